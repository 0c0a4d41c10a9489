import { dirname, relative, sep } from 'node:path';

/**
 * `![alt](path)` for an image, with the rules VS Code's own Markdown image paste follows:
 * the path relative to the document with `/`, wrapped in `<…>` when it has spaces or
 * parentheses, and `[`/`]` escaped in the alt text.
 */
export function markdownImageLink(documentPath: string, imagePath: string, alt: string): string {
  const path = relative(dirname(documentPath), imagePath).split(sep).join('/');
  const target = /[\s()]/.test(path) ? `<${path.replace(/[<>]/g, (c) => encodeURIComponent(c))}>` : path;
  const text = alt
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[[\]\\]/g, (c) => `\\${c}`);
  return `![${text}](${target})`;
}
