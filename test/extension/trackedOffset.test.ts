import assert from 'node:assert/strict';
import { test } from 'node:test';
import { offsetAfterChanges } from '../../src/extension/markdown/trackedOffset';

const insert = (at: number, text: string) => ({ rangeOffset: at, rangeLength: 0, text });
const replace = (at: number, length: number, text: string) => ({ rangeOffset: at, rangeLength: length, text });

/** Applies the changes to the text, as VS Code does, to check the offset against real content. */
function apply(text: string, changes: ReturnType<typeof replace>[]): string {
  return changes.reduce((t, c) => t.slice(0, c.rangeOffset) + c.text + t.slice(c.rangeOffset + c.rangeLength), text);
}

test('edits after the position leave it alone', () => {
  assert.equal(offsetAfterChanges(5, [insert(9, 'abc'), replace(6, 2, '')]), 5);
  assert.equal(offsetAfterChanges(5, [replace(5, 3, 'xy')]), 5);
});

test('edits before the position move it by what they added or removed', () => {
  assert.equal(offsetAfterChanges(5, [insert(0, 'abc')]), 8);
  assert.equal(offsetAfterChanges(5, [replace(1, 2, '')]), 3);
  assert.equal(offsetAfterChanges(5, [replace(3, 2, 'wxyz')]), 7);
});

test('text typed at the position goes after it', () => {
  const before = 'Intro. More.';
  const offset = 6;
  const changes = [insert(6, ' And'), insert(10, ' so on')];
  const after = apply(before, changes);
  const moved = offsetAfterChanges(offsetAfterChanges(offset, [changes[0]!]), [changes[1]!]);
  assert.equal(after.slice(0, moved), 'Intro.');
  assert.equal(after.slice(moved), ' And so on More.');
});

test('a position inside deleted or replaced text moves to the start of it', () => {
  assert.equal(offsetAfterChanges(5, [replace(3, 4, '')]), 3);
  assert.equal(offsetAfterChanges(5, [replace(3, 4, 'new text')]), 3);
});

test('one event with several changes, listed from the end backwards (multi-cursor typing)', () => {
  const before = 'a|b|c|d';
  const offset = before.indexOf('c');
  const changes = [insert(5, 'X'), insert(3, 'X'), insert(1, 'X')];
  const after = apply(before, changes);
  assert.equal(after, 'aX|bX|cX|d');
  assert.equal(after[offsetAfterChanges(offset, changes)], 'c');
});

test('a whole-document replacement puts the position at the start', () => {
  assert.equal(offsetAfterChanges(40, [replace(0, 100, 'fresh')]), 0);
});
