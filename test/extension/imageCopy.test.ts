import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { copyImageInto } from '../../src/extension/markdown/imageCopy';
import { tempFolder } from '../support/tempFolder';

const work = tempFolder('sdxl-copy');

test('an outside image is copied in under its own name, into a folder made for it', async () => {
  const source = join(work, 'outside', 'My Fox (1).png');
  mkdirSync(join(work, 'outside'));
  writeFileSync(source, 'fox');
  const folder = join(work, 'ws', 'assets', 'generated');
  const copy = await copyImageInto(folder, source);
  assert.equal(copy, join(folder, 'My Fox (1).png'));
  assert.equal(readFileSync(copy, 'utf8'), 'fox');
  assert.equal(readFileSync(source, 'utf8'), 'fox');

  // Inserting the same picture again links the copy already there.
  assert.equal(await copyImageInto(folder, source), copy);
  assert.deepEqual(readdirSync(folder), ['My Fox (1).png']);
});

test('another file with the name is never overwritten', async () => {
  const folder = join(work, 'taken');
  mkdirSync(folder);
  writeFileSync(join(folder, 'fox.jpg'), 'someone else');
  writeFileSync(join(folder, 'fox-2.jpg'), 'someone else too');
  const source = join(work, 'fox.jpg');
  writeFileSync(source, 'mine');
  const copy = await copyImageInto(folder, source);
  assert.equal(copy, join(folder, 'fox-3.jpg'));
  assert.equal(readFileSync(join(folder, 'fox.jpg'), 'utf8'), 'someone else');
  assert.equal(readFileSync(copy, 'utf8'), 'mine');
});
