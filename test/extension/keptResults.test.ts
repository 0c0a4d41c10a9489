import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeImage } from '../../src/engine/image/writeImage';
import { scanGallery } from '../../src/extension/gallery/galleryScan';
import { KEPT_RESULTS_LIMIT, KeptResults, type StateStore } from '../../src/extension/gallery/keptResults';
import type { Recipe } from '../../src/protocol/recipe';
import { tempFolder } from '../support/tempFolder';

const recipe: Recipe = {
  version: 1, model: 'm', prompt: 'a fox', negativePrompt: null, width: 8, height: 8, steps: 4,
  guidance: 5, sampler: 'euler-a', karras: false, timestepSpacing: null, seed: 9,
};
const rgb = new Uint8Array(8 * 8 * 3).fill(128);

/** Workspace state as VS Code keeps it between sessions: values go through JSON. */
class JsonState implements StateStore {
  readonly values = new Map<string, string>();
  get<T>(key: string): T | undefined {
    const text = this.values.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, JSON.stringify(value));
  }
}

function workspace() {
  const root = tempFolder('sdxl-kept');
  const output = join(root, 'assets', 'generated');
  mkdirSync(output, { recursive: true });
  mkdirSync(join(root, 'art'), { recursive: true });
  return { root, output };
}

test('kept results are stored relative to the workspace, newest first, once each, and come back absolute', async () => {
  const { root } = workspace();
  const outside = join(tempFolder('sdxl-kept-elsewhere'), 'x-inpaint-1.png');
  const state = new JsonState();
  const kept = new KeptResults(state);
  await kept.keep(root, join(root, 'art', 'a-inpaint-1.png'));
  await kept.keep(root, outside);
  await kept.keep(root, join(root, 'art', 'a-inpaint-1.png'));
  assert.deepEqual(state.get('sdxlAssets.keptResults'), ['art/a-inpaint-1.png', outside]);
  assert.deepEqual(new KeptResults(state).paths(root), [join(root, 'art', 'a-inpaint-1.png'), outside]);
});

test('the kept list is bounded, dropping the oldest', async () => {
  const { root } = workspace();
  const kept = new KeptResults(new JsonState());
  for (let i = 0; i < KEPT_RESULTS_LIMIT + 5; i += 1) await kept.keep(root, join(root, 'art', `p${i}.png`));
  const paths = kept.paths(root);
  assert.equal(paths.length, KEPT_RESULTS_LIMIT);
  assert.equal(paths[0], join(root, 'art', `p${KEPT_RESULTS_LIMIT + 4}.png`));
  assert.equal(paths.at(-1), join(root, 'art', 'p5.png'));
});

test('the gallery lists kept results with recipes among the output folder, newest first, and drops gone ones', async () => {
  const { root, output } = workspace();
  const state = new JsonState();
  const kept = new KeptResults(state);
  const generated = join(output, 'fox.png');
  const edit = join(root, 'art', 'fox-inpaint-3.png');
  const plainEdit = join(root, 'art', 'plain-inpaint-4.png');
  const movedEdit = join(root, 'art', 'moved-inpaint-5.png');
  await writeImage(generated, rgb, 8, 8, { format: 'png', recipe });
  await writeImage(edit, rgb, 8, 8, { format: 'png', recipe: { ...recipe, seed: 3 } });
  await writeImage(plainEdit, rgb, 8, 8, { format: 'png' });
  await writeImage(movedEdit, rgb, 8, 8, { format: 'png', recipe });
  writeFileSync(join(root, 'art', 'notes.txt'), 'x');
  utimesSync(generated, 1000, 1000);
  utimesSync(edit, 2000, 2000);
  for (const path of [generated, edit, plainEdit, movedEdit, join(root, 'art', 'notes.txt')]) await kept.keep(root, path);

  const scan = async () => {
    await kept.forgetMissing(root);
    return (await scanGallery(root, output, undefined, kept.paths(root))).map((file) => [file.relativePath, file.recipe?.seed]);
  };
  assert.deepEqual(await scan(), [
    ['art/moved-inpaint-5.png', 9],
    ['art/fox-inpaint-3.png', 3],
    ['assets/generated/fox.png', 9],
  ]);

  rmSync(edit);
  renameSync(movedEdit, join(root, 'art', 'elsewhere.png'));
  assert.deepEqual(await scan(), [['assets/generated/fox.png', 9]]);
  assert.deepEqual(state.get('sdxlAssets.keptResults'), ['art/notes.txt', 'art/plain-inpaint-4.png', 'assets/generated/fox.png']);
});

test('the gallery limit counts kept results with the others', async () => {
  const { root, output } = workspace();
  const edit = join(root, 'art', 'new-inpaint-1.png');
  await writeImage(join(output, 'old.png'), rgb, 8, 8, { format: 'png', recipe });
  await writeImage(edit, rgb, 8, 8, { format: 'png', recipe });
  utimesSync(join(output, 'old.png'), 1000, 1000);
  assert.deepEqual((await scanGallery(root, output, 1, [edit])).map((file) => file.relativePath), ['art/new-inpaint-1.png']);
});
