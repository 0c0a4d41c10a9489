import assert from 'node:assert/strict';
import { posix, win32 } from 'node:path';
import { describe, test } from 'node:test';
import {
  altText,
  linkableInPlace,
  linkDestination,
  markdownImageLink,
  relativeLinkPath,
} from '../../src/extension/markdown/markdownLink';

describe('Markdown image links: paths', () => {
  test('relative to the document, with / separators', () => {
    assert.equal(markdownImageLink('/ws', '/ws/assets/generated/fox-1.png', 'a fox', posix), '![a fox](assets/generated/fox-1.png)');
    assert.equal(markdownImageLink('/ws/docs/guide', '/ws/assets/fox.png', 'fox', posix), '![fox](../../assets/fox.png)');
  });

  test('a document in a sub-folder next to the image', () => {
    assert.equal(markdownImageLink('/ws/assets/notes', '/ws/assets/fox.png', 'fox', posix), '![fox](../fox.png)');
    assert.equal(markdownImageLink('/ws/assets', '/ws/assets/a/b/fox.png', 'fox', posix), '![fox](a/b/fox.png)');
  });

  test('a document in another workspace folder reaches the image through the parent folder', () => {
    assert.equal(markdownImageLink('/work/docs-site/guide', '/work/game/assets/fox.png', 'fox', posix), '![fox](../../game/assets/fox.png)');
    assert.equal(
      markdownImageLink('C:\\work\\docs-site', 'C:\\work\\game\\assets\\fox.png', 'fox', win32),
      '![fox](../game/assets/fox.png)',
    );
  });

  test('Windows paths become / separated, whatever the case of the drive letter', () => {
    assert.equal(markdownImageLink('C:\\ws\\docs', 'c:\\ws\\assets\\generated\\fox-1.png', 'fox', win32), '![fox](../assets/generated/fox-1.png)');
    assert.equal(relativeLinkPath('C:\\ws', 'C:\\ws\\my images\\fox (1).png', win32), 'my images/fox (1).png');
  });

  test('no relative path to another drive or a network share', () => {
    assert.equal(relativeLinkPath('C:\\ws\\docs', 'D:\\pictures\\fox.png', win32), undefined);
    assert.equal(relativeLinkPath('C:\\ws', '\\\\server\\share\\fox.png', win32), undefined);
    assert.equal(markdownImageLink('C:\\ws', 'D:\\fox.png', 'fox', win32), undefined);
  });

  test('only images inside a workspace folder and reachable by a relative path are linked in place', () => {
    const folders = ['/work/game', '/work/docs'];
    assert.equal(linkableInPlace('/work/docs', '/work/game/assets/fox.png', folders, posix), true);
    assert.equal(linkableInPlace('/work/docs', '/home/me/Pictures/fox.png', folders, posix), false);
    assert.equal(linkableInPlace('/work/docs', '/work/gamer/fox.png', folders, posix), false);
    assert.equal(linkableInPlace('C:\\ws', 'D:\\ws2\\fox.png', ['C:\\ws', 'D:\\ws2'], win32), false);
    assert.equal(linkableInPlace('C:\\ws\\docs', 'C:\\ws\\fox.png', ['C:\\ws'], win32), true);
  });
});

describe('Markdown image links: escaping', () => {
  test('paths with spaces or parentheses are wrapped in angle brackets', () => {
    assert.equal(markdownImageLink('/ws', '/ws/my images/fox (1).png', 'fox', posix), '![fox](<my images/fox (1).png>)');
    assert.equal(linkDestination('a(b).png'), '<a(b).png>');
    assert.equal(linkDestination('tab\there.png'), '<tab\there.png>');
  });

  test('non-ASCII stays readable', () => {
    assert.equal(markdownImageLink('/ws', '/ws/ü/狐.png', '狐', posix), '![狐](ü/狐.png)');
    assert.equal(linkDestination('café au lait.png'), '<café au lait.png>');
  });

  test('characters a renderer would take for URL syntax are percent-encoded', () => {
    assert.equal(linkDestination('100%#1?.png'), '100%25%231%3F.png');
    assert.equal(linkDestination('a\\b<c>.png'), 'a%5Cb%3Cc%3E.png');
    assert.equal(linkDestination('my <fox>.png'), '<my %3Cfox%3E.png>');
  });

  test('alt text escapes brackets and backslashes and folds whitespace', () => {
    assert.equal(altText(' a [red]\n fox \\ '), 'a \\[red\\] fox \\\\');
    assert.equal(markdownImageLink('/ws', '/ws/f.png', 'a [b]', posix), '![a \\[b\\]](f.png)');
  });
});
