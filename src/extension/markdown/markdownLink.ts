import nodePath from 'node:path';
import { isInside } from '../outputFiles';

/** `node:path` or one of its flavours: `path.win32` lets the tests check Windows paths on any machine. */
export type PathApi = typeof nodePath;

/**
 * `![alt](path)` for an image, with the rules VS Code's own Markdown image paste follows: the
 * path relative to the document's folder with `/`, wrapped in `<…>` when it has spaces or
 * parentheses, and `[`/`]` escaped in the alt text. Undefined when no relative path leads
 * there (on Windows, another drive): such an image has to be copied in first.
 */
export function markdownImageLink(
  documentDir: string,
  imagePath: string,
  alt: string,
  pathApi: PathApi = nodePath,
): string | undefined {
  const path = relativeLinkPath(documentDir, imagePath, pathApi);
  return path === undefined ? undefined : formatImageLink(alt, path);
}

/** The image's path from the document's folder with `/` separators; undefined when there is none. */
export function relativeLinkPath(documentDir: string, imagePath: string, pathApi: PathApi = nodePath): string | undefined {
  const relative = pathApi.relative(documentDir, imagePath);
  if (pathApi.isAbsolute(relative)) return undefined;
  return relative.split(pathApi.sep).join('/');
}

/**
 * Whether a document may link to the image where it lies: only inside a workspace folder (a
 * link out of the workspace breaks for everyone else who clones it) and by a relative path.
 */
export function linkableInPlace(
  documentDir: string,
  imagePath: string,
  workspaceFolders: readonly string[],
  pathApi: PathApi = nodePath,
): boolean {
  return (
    workspaceFolders.some((folder) => isInside(folder, imagePath, pathApi)) &&
    relativeLinkPath(documentDir, imagePath, pathApi) !== undefined
  );
}

export function formatImageLink(alt: string, path: string): string {
  return `![${altText(alt)}](${linkDestination(path)})`;
}

/**
 * A `/`-separated relative path as a link destination. Characters a renderer would read as
 * part of the URL's syntax (`%` escapes, `#` fragment, `?` query, `\` escapes, `<>`) are
 * percent-encoded; other characters, non-ASCII included, stay readable.
 */
export function linkDestination(path: string): string {
  const encoded = path.replace(/[%#?\\<>]/g, (c) => encodeURIComponent(c));
  return /[\s()]/.test(encoded) ? `<${encoded}>` : encoded;
}

/** One line, with the characters that would end or escape the link text escaped. */
export function altText(alt: string): string {
  return alt
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[[\]\\]/g, (c) => `\\${c}`);
}
