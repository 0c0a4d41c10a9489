/** The lines around the cursor that decide how an image link is set into the text. */
export interface CursorLines {
  /** The cursor's line, without its line break. */
  line: string;
  /** The cursor's column in `line`. */
  column: number;
  /** The line above, undefined on the first line. */
  previous?: string;
  /** The line below, undefined on the last line. */
  next?: string;
}

const blank = (text: string | undefined): boolean => text === undefined || text.trim() === '';

/**
 * The text to insert at the cursor for `link`, so that a picture reads as a picture: in the
 * middle of a sentence it goes where the cursor is, as the user put it there; at the end of a
 * line, on an empty line or before a line's text it becomes a paragraph of its own, with a
 * blank line on each side where the neighbouring text would otherwise run into it.
 * Line breaks are `eol`, the document's own.
 */
export function placedImageLink(link: string, at: CursorLines, eol: '\n' | '\r\n' = '\n'): string {
  const before = at.line.slice(0, at.column);
  const after = at.line.slice(at.column);
  const textBefore = !blank(before);
  const textAfter = !blank(after);
  if (textBefore && textAfter) return link;
  if (textBefore) {
    // The end of a line of text: a new paragraph below it, and a blank line before the next text.
    return `${eol}${eol}${link}${blank(at.next) ? '' : eol}`;
  }
  const lead = blank(at.previous) ? '' : eol;
  if (textAfter) return `${lead}${link}${eol}${eol}`;
  // An empty line: the link fills it; the last line keeps the document's final line break.
  const trail = at.next === undefined || !blank(at.next) ? eol : '';
  return `${lead}${link}${trail}`;
}
