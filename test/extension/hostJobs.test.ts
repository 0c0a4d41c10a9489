import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeImage } from '../../src/engine/image/writeImage';
import { scanGallery } from '../../src/extension/gallery/galleryScan';
import { HostQueue } from '../../src/extension/jobs/hostQueue';
import { settingsFromRecipe } from '../../src/extension/jobs/recipeSettings';
import { batchSeeds } from '../../src/extension/jobs/seeds';
import type { Recipe } from '../../src/protocol/recipe';
import { tempFolder } from '../support/tempFolder';

const recipe: Recipe = {
  version: 1, model: 'm', prompt: 'a fox', negativePrompt: null, width: 64, height: 64, steps: 4,
  guidance: 5, sampler: 'euler-a', karras: false, timestepSpacing: null, seed: 9,
};

test('batch seeds are consecutive from the fixed, last or random first seed', () => {
  assert.deepEqual(batchSeeds('fixed', 10, 3, 3, () => 77), [10, 11, 12]);
  assert.deepEqual(batchSeeds('last', 10, 3, 2, () => 77), [3, 4]);
  assert.deepEqual(batchSeeds('last', 10, undefined, 1, () => 77), [77]);
  assert.deepEqual(batchSeeds('random', 10, 3, 2, () => 77), [77, 78]);
});

test('the host queue keeps submission order and drops finished jobs', () => {
  const queue = new HostQueue();
  queue.add('a', 'first', 1);
  queue.add('b', 'second', 2);
  queue.start('a');
  assert.deepEqual(queue.snapshot().map((i) => [i.jobId, i.state]), [['a', 'running'], ['b', 'queued']]);
  assert.equal(queue.running()?.jobId, 'a');
  queue.finish('a');
  queue.finish('unknown');
  assert.deepEqual(queue.ids(), ['b']);
  assert.equal(queue.running(), undefined);
  assert.equal(queue.size, 1);
});

test('reusing a recipe fixes its seed and fills the form', () => {
  assert.deepEqual(settingsFromRecipe(recipe), {
    prompt: 'a fox', negativePrompt: '', width: 64, height: 64, steps: 4, guidance: 5,
    sampler: 'euler-a', karras: false, seedMode: 'fixed', seed: 9, promptWeighting: false, refinerDir: '',
    tiling: 'off',
  });
});

test('the gallery lists images newest first with their recipes, skipping other files', async () => {
  const root = tempFolder('sdxl-gallery');
  const folder = join(root, 'assets', 'generated');
  mkdirSync(join(folder, 'sub'), { recursive: true });
  const rgb = new Uint8Array(8 * 8 * 3).fill(128);
  await writeImage(join(folder, 'old.png'), rgb, 8, 8, { format: 'png', recipe });
  await writeImage(join(folder, 'sub', 'new.webp'), rgb, 8, 8, { format: 'webp', recipe: { ...recipe, seed: 10 } });
  await writeImage(join(folder, 'plain.png'), rgb, 8, 8, { format: 'png' });
  writeFileSync(join(folder, 'notes.txt'), 'x');
  writeFileSync(join(folder, '.hidden.png.tmp'), 'x');
  utimesSync(join(folder, 'old.png'), 1000, 1000);
  const items = await scanGallery(root, folder);
  assert.deepEqual(items.map((i) => i.relativePath).sort(), ['assets/generated/old.png', 'assets/generated/plain.png', 'assets/generated/sub/new.webp']);
  assert.equal(items.at(-1)?.relativePath, 'assets/generated/old.png');
  assert.equal(items.find((i) => i.relativePath.endsWith('new.webp'))?.recipe?.seed, 10);
  assert.equal(items.find((i) => i.relativePath.endsWith('plain.png'))?.recipe, undefined);
  assert.deepEqual(await scanGallery(root, join(root, 'missing')), []);
});
