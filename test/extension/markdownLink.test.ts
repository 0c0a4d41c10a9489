import assert from 'node:assert/strict';
import { test } from 'node:test';
import { markdownImageLink } from '../../src/extension/markdownLink';

test('links are relative to the document, with / separators', () => {
  assert.equal(markdownImageLink('/ws/README.md', '/ws/assets/generated/fox-1.png', 'a fox'), '![a fox](assets/generated/fox-1.png)');
  assert.equal(markdownImageLink('/ws/docs/guide/intro.md', '/ws/assets/fox.png', 'fox'), '![fox](../../assets/fox.png)');
});

test('paths with spaces or parentheses are wrapped in angle brackets', () => {
  assert.equal(markdownImageLink('/ws/a.md', '/ws/my images/fox (1).png', 'fox'), '![fox](<my images/fox (1).png>)');
});

test('alt text escapes brackets and folds whitespace; non-ASCII stays', () => {
  assert.equal(markdownImageLink('/ws/a.md', '/ws/ü/狐.png', ' a [red]\n fox \\ '), '![a \\[red\\] fox \\\\](ü/狐.png)');
});
