import nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PathApi } from './markdownLink';

/** An inline image link `![alt](destination "title")` found on one line. */
export interface ImageLinkSpan {
  alt: string;
  /** As written, less the `<…>` and backslash escapes; percent escapes are still there. */
  destination: string;
  title?: string;
  /** Columns of the `!` and just past the closing `)`. */
  start: number;
  end: number;
}

/**
 * The inline image link whose text covers `column` on `line`, following CommonMark: alt text
 * with nested brackets and escapes, a destination in `<…>` or bare with balanced parentheses,
 * and an optional title in quotes or parentheses. Reference-style images have no path here.
 */
export function imageLinkAt(line: string, column: number): ImageLinkSpan | undefined {
  for (let start = line.indexOf('!['); start !== -1 && start <= column; start = line.indexOf('![', start + 1)) {
    const link = parseImageLink(line, start);
    if (link && column < link.end) return link;
  }
  return undefined;
}

function parseImageLink(line: string, start: number): ImageLinkSpan | undefined {
  const altEnd = closingBracket(line, start + 2);
  if (altEnd === undefined || line[altEnd + 1] !== '(') return undefined;
  const alt = unescape(line.slice(start + 2, altEnd));
  let i = skipSpaces(line, altEnd + 2);

  let destination: string;
  if (line[i] === '<') {
    const close = scan(line, i + 1, (c) => c === '>' || c === '<');
    if (close === undefined || line[close] !== '>') return undefined;
    destination = line.slice(i + 1, close);
    i = close + 1;
  } else {
    const from = i;
    let depth = 0;
    for (; i < line.length; i++) {
      const c = line[i]!;
      if (c === '\\' && i + 1 < line.length) i++;
      else if (c === '(') depth++;
      else if (c === ')' && depth-- === 0) break;
      else if (/\s/.test(c)) break;
    }
    if (depth > 0) return undefined;
    destination = line.slice(from, i);
  }

  i = skipSpaces(line, i);
  let title: string | undefined;
  const opener = line[i];
  if (opener === '"' || opener === "'" || opener === '(') {
    const closer = opener === '(' ? ')' : opener;
    const close = scan(line, i + 1, (c) => c === closer);
    if (close === undefined) return undefined;
    title = unescape(line.slice(i + 1, close));
    i = skipSpaces(line, close + 1);
  }
  if (line[i] !== ')') return undefined;
  return { alt, destination: unescape(destination), ...(title !== undefined ? { title } : {}), start, end: i + 1 };
}

/** The index of the `]` that closes a bracket opened just before `from`. */
function closingBracket(line: string, from: number): number | undefined {
  let depth = 0;
  for (let i = from; i < line.length; i++) {
    const c = line[i];
    if (c === '\\') i++;
    else if (c === '[') depth++;
    else if (c === ']' && depth-- === 0) return i;
  }
  return undefined;
}

/** The first index from `from` where `stop` holds, stepping over backslash escapes. */
function scan(line: string, from: number, stop: (c: string) => boolean): number | undefined {
  for (let i = from; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (stop(line[i]!)) return i;
  }
  return undefined;
}

function skipSpaces(line: string, from: number): number {
  let i = from;
  while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
  return i;
}

/** CommonMark's backslash escapes: a backslash before ASCII punctuation stands for that character. */
function unescape(text: string): string {
  return text.replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

/**
 * The file a link destination names, as VS Code's Markdown preview resolves it: relative to
 * the document's folder, or with a leading `/` to the workspace folder; percent escapes
 * decoded, query and fragment dropped. Undefined for URLs of other schemes (https:, data:).
 */
export function resolveImageTarget(
  destination: string,
  documentDir: string,
  workspaceFolder: string | undefined,
  pathApi: PathApi = nodePath,
): string | undefined {
  const target = destination.trim();
  if (/^file:/i.test(target)) {
    try {
      return fileURLToPath(target);
    } catch {
      return undefined;
    }
  }
  // One letter before the colon is a Windows drive, not a scheme.
  if (/^[a-z][a-z0-9+.-]+:/i.test(target) || target === '') return undefined;
  const path = decodePercent(target.replace(/[?#].*$/, ''));
  if (path === '') return undefined;
  if (pathApi.isAbsolute(path) && !path.startsWith('/')) return pathApi.normalize(path);
  if (path.startsWith('/')) return pathApi.join(workspaceFolder ?? documentDir, path);
  return pathApi.resolve(documentDir, path);
}

function decodePercent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
