import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CursorLines, placedImageLink } from '../../src/extension/markdown/linkPlacement';

const LINK = '![a fox](fox.png)';

/** The document after inserting at the `|` in `text`, as the command does. */
function insertAtBar(text: string, eol: '\n' | '\r\n' = '\n'): string {
  const offset = text.indexOf('|');
  const plain = text.replace('|', '');
  const lines = plain.split(eol);
  const lineIndex = plain.slice(0, offset).split(eol).length - 1;
  const lineStart = plain.slice(0, offset).lastIndexOf(eol) + (lineIndex === 0 ? 1 : eol.length);
  const at: CursorLines = {
    line: lines[lineIndex]!,
    column: offset - (lineIndex === 0 ? 0 : lineStart),
    ...(lineIndex > 0 ? { previous: lines[lineIndex - 1] } : {}),
    ...(lineIndex < lines.length - 1 ? { next: lines[lineIndex + 1] } : {}),
  };
  return plain.slice(0, offset) + placedImageLink(LINK, at, eol) + plain.slice(offset);
}

test('at the end of a line of text the link becomes its own paragraph', () => {
  assert.equal(insertAtBar('Text before.|'), `Text before.\n\n${LINK}`);
  assert.equal(insertAtBar('Text before.|\n'), `Text before.\n\n${LINK}\n`);
  assert.equal(insertAtBar('Text before.|\n\nMore.\n'), `Text before.\n\n${LINK}\n\nMore.\n`);
  assert.equal(insertAtBar('Text before.|\nMore.\n'), `Text before.\n\n${LINK}\n\nMore.\n`);
});

test('on an empty line it fills the line, with blank lines where text touches it', () => {
  assert.equal(insertAtBar('# Notes\n\nThe hero:\n|'), `# Notes\n\nThe hero:\n\n${LINK}\n`);
  assert.equal(insertAtBar('# Notes\n\n|\n\nMore.'), `# Notes\n\n${LINK}\n\nMore.`);
  assert.equal(insertAtBar('One.\n|\nTwo.'), `One.\n\n${LINK}\n\nTwo.`);
  assert.equal(insertAtBar('|'), `${LINK}\n`);
});

test('before the text of a line it goes above it, as a paragraph', () => {
  assert.equal(insertAtBar('|Text after.'), `${LINK}\n\nText after.`);
  assert.equal(insertAtBar('Intro.\n|Text after.'), `Intro.\n\n${LINK}\n\nText after.`);
});

test('in the middle of a sentence it goes exactly where the cursor is', () => {
  assert.equal(insertAtBar('See | here.'), `See ${LINK} here.`);
});

test('line breaks follow the document: CRLF stays CRLF', () => {
  assert.equal(insertAtBar('Text before.|\r\nMore.\r\n', '\r\n'), `Text before.\r\n\r\n${LINK}\r\n\r\nMore.\r\n`);
});
