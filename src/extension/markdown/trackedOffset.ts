/** One replacement as `onDidChangeTextDocument` reports it: offsets in characters. */
export interface TextChange {
  rangeOffset: number;
  rangeLength: number;
  text: string;
}

/**
 * Where a position in a document is after edits, so that a link generated for it lands where
 * the cursor was while the user went on typing. Changes are applied in the order given (VS
 * Code lists one event's changes from the end of the document backwards, so each offset holds
 * when it is applied). Text typed at the position goes after it, as the user's continuation;
 * a position inside replaced text moves to the start of the replacement, next to the user's
 * text and never inside it.
 */
export function offsetAfterChanges(offset: number, changes: readonly TextChange[]): number {
  let position = offset;
  for (const { rangeOffset, rangeLength, text } of changes) {
    const rangeEnd = rangeOffset + rangeLength;
    if (rangeEnd < position || (rangeEnd === position && rangeLength > 0)) {
      position += text.length - rangeLength;
    } else if (rangeOffset < position) {
      position = rangeOffset;
    }
  }
  return position;
}
