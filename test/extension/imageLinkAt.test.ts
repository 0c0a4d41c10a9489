import assert from 'node:assert/strict';
import { posix, win32 } from 'node:path';
import { describe, test } from 'node:test';
import { imageLinkAt, resolveImageTarget } from '../../src/extension/markdown/imageLinkAt';

describe('the image link under the cursor', () => {
  test('a plain link, from its ! to its closing parenthesis', () => {
    const line = 'See ![a fox](assets/fox.png) here.';
    const link = imageLinkAt(line, 10);
    assert.deepEqual(link, { alt: 'a fox', destination: 'assets/fox.png', start: 4, end: 28 });
    assert.equal(line.slice(link!.start, link!.end), '![a fox](assets/fox.png)');
    assert.equal(imageLinkAt(line, 3), undefined);
    assert.equal(imageLinkAt(line, 28), undefined);
    assert.equal(imageLinkAt(line, 27)?.destination, 'assets/fox.png');
  });

  test('angle-bracket destinations may hold spaces and parentheses', () => {
    const link = imageLinkAt('![fox](<my images/fox (1).png>)', 2);
    assert.equal(link?.destination, 'my images/fox (1).png');
    assert.equal(link?.end, 31);
  });

  test('titles in double quotes, single quotes or parentheses', () => {
    assert.deepEqual(imageLinkAt('![x](a.png "The \\"fox\\"")', 0), {
      alt: 'x', destination: 'a.png', title: 'The "fox"', start: 0, end: 25,
    });
    assert.equal(imageLinkAt("![x](<a b.png> 'title')", 0)?.title, 'title');
    assert.equal(imageLinkAt('![x](a.png (title))', 0)?.title, 'title');
  });

  test('bare destinations keep balanced parentheses and escapes', () => {
    assert.equal(imageLinkAt('![x](fox(1).png)', 0)?.destination, 'fox(1).png');
    assert.equal(imageLinkAt('![x](fox\\).png)', 0)?.destination, 'fox).png');
    assert.equal(imageLinkAt('![x](fox(1.png)', 0), undefined);
  });

  test('alt text with escaped and nested brackets', () => {
    assert.equal(imageLinkAt('![a \\[red\\] fox](f.png)', 5)?.alt, 'a [red] fox');
    assert.equal(imageLinkAt('![a [red] fox](f.png)', 5)?.alt, 'a [red] fox');
  });

  test('the second of two links on a line, and nothing for links that are not images', () => {
    const line = '![a](a.png) and ![b](b.png)';
    assert.equal(imageLinkAt(line, 18)?.alt, 'b');
    assert.equal(imageLinkAt(line, 13), undefined);
    assert.equal(imageLinkAt('[a](a.png)', 2), undefined);
    assert.equal(imageLinkAt('![a][ref]', 2), undefined);
    assert.equal(imageLinkAt('![a](a.png', 2), undefined);
  });
});

describe('the file a link names', () => {
  test('relative to the document, percent escapes decoded, fragment and query dropped', () => {
    assert.equal(resolveImageTarget('assets/fox.png', '/ws/docs', '/ws', posix), '/ws/docs/assets/fox.png');
    assert.equal(resolveImageTarget('../my%20images/fox%231.png?v=2#top', '/ws/docs', '/ws', posix), '/ws/my images/fox#1.png');
    assert.equal(resolveImageTarget('ü/狐.png', '/ws', '/ws', posix), '/ws/ü/狐.png');
  });

  test('a leading / starts from the workspace folder, as in VS Code\'s preview', () => {
    assert.equal(resolveImageTarget('/assets/fox.png', '/ws/docs', '/ws', posix), '/ws/assets/fox.png');
    assert.equal(resolveImageTarget('/assets/fox.png', '/ws/docs', undefined, posix), '/ws/docs/assets/fox.png');
  });

  test('Windows documents', () => {
    assert.equal(resolveImageTarget('../assets/fox.png', 'C:\\ws\\docs', 'C:\\ws', win32), 'C:\\ws\\assets\\fox.png');
    assert.equal(resolveImageTarget('/assets/fox.png', 'C:\\ws\\docs', 'C:\\ws', win32), 'C:\\ws\\assets\\fox.png');
    assert.equal(resolveImageTarget('D:/pictures/fox.png', 'C:\\ws', 'C:\\ws', win32), 'D:\\pictures\\fox.png');
  });

  test('file: URLs are files; other schemes are not', () => {
    assert.equal(resolveImageTarget('file:///tmp/a%20b.png', '/ws', '/ws', posix), '/tmp/a b.png');
    assert.equal(resolveImageTarget('https://example.com/fox.png', '/ws', '/ws', posix), undefined);
    assert.equal(resolveImageTarget('data:image/png;base64,AAAA', '/ws', '/ws', posix), undefined);
    assert.equal(resolveImageTarget('', '/ws', '/ws', posix), undefined);
  });
});
