import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, posix, win32 } from 'node:path';
import { test } from 'node:test';
import {
  IMAGE_TO_IMAGE_TEMPLATE,
  isInside,
  OutputLocationError,
  outputPathFor,
  workspaceRelative,
} from '../../src/extension/outputFiles';
import { tempFolder } from '../support/tempFolder';

const root = tempFolder('sdxl-out');

const values = { prompt: 'A Red Fox, in the snow!', seed: 42, model: 'sdxl-base-1.0', date: new Date('2026-11-27T10:20:30Z') };

test('default name: prompt slug and seed under assets/generated', () => {
  const path = outputPathFor(root, 'assets/generated', '${prompt}-${seed}', values, 'png');
  assert.equal(workspaceRelative(root, path), 'assets/generated/a-red-fox-in-the-snow-42.png');
});

test('an existing file or a name already handed out is never reused', () => {
  const folder = join(root, 'assets', 'generated');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'a-red-fox-in-the-snow-42.png'), 'x');
  const second = outputPathFor(root, 'assets/generated', '${prompt}-${seed}', values, 'png');
  assert.equal(workspaceRelative(root, second), 'assets/generated/a-red-fox-in-the-snow-42-2.png');
  const third = outputPathFor(root, 'assets/generated', '${prompt}-${seed}', values, 'png', new Set([second]));
  assert.equal(workspaceRelative(root, third), 'assets/generated/a-red-fox-in-the-snow-42-3.png');
});

test('templates may use sub-folders, dates, the model and an explicit counter', () => {
  const path = outputPathFor(root, 'art', '${date}/${model}_${counter}', values, 'jpeg');
  assert.equal(workspaceRelative(root, path), 'art/2026-11-27/sdxl-base-1-0_1.jpg');
});

test('values cannot smuggle separators into the name', () => {
  const path = outputPathFor(root, 'out', '${prompt}', { ...values, prompt: '../../etc/passwd' }, 'png');
  assert.equal(workspaceRelative(root, path), 'out/etc-passwd.png');
});

test('a directory or template that leaves the workspace is refused', () => {
  for (const [dir, template] of [
    ['../elsewhere', '${seed}'],
    ['/tmp/absolute', '${seed}'],
    ['assets', '../../${seed}'],
    ['assets', '/etc/${seed}'],
  ]) {
    assert.throws(() => outputPathFor(root, dir, template, values, 'png'), OutputLocationError, `${dir} ${template}`);
  }
  assert.equal(workspaceRelative(root, outputPathFor(root, '.', '${seed}', values, 'webp')), '42.webp');
});

test('an unknown variable is named', () => {
  assert.throws(() => outputPathFor(root, 'a', '${prompt}-${steps}', values, 'png'), /Unknown variable \$\{steps\}/);
});

test('image-to-image results are named after their input and never replace it', () => {
  const input = join(root, 'art', 'Hero Shot (1).png');
  const folder = join(root, 'img2img-out');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'hero-shot-1-img2img-42.png'), 'taken');
  const path = outputPathFor(root, 'img2img-out', IMAGE_TO_IMAGE_TEMPLATE, { ...values, source: input }, 'png');
  assert.equal(workspaceRelative(root, path), 'img2img-out/hero-shot-1-img2img-42-2.png');
  // Without an input, ${source} is no variable at all.
  assert.throws(() => outputPathFor(root, 'a', IMAGE_TO_IMAGE_TEMPLATE, values, 'png'), /Unknown variable \$\{source\}/);
});

test('inside a folder, on POSIX and Windows paths', () => {
  assert.equal(isInside('/ws', '/ws/a/b.png', posix), true);
  assert.equal(isInside('/ws', '/ws', posix), true);
  assert.equal(isInside('/ws', '/wsx/b.png', posix), false);
  assert.equal(isInside('/ws', '/ws/../etc', posix), false);
  assert.equal(isInside('C:\\ws', 'c:\\WS\\a.png', win32), true);
  assert.equal(isInside('C:\\ws', 'D:\\ws\\a.png', win32), false);
});
