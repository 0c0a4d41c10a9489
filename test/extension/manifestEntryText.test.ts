import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { appendEntry, entryFromRecipe, newManifestText } from '../../src/extension/manifest/manifestEntryText';
import { staleReasons } from '../../src/engine/manifest/assetStaleness';
import { emptyLock } from '../../src/engine/manifest/manifestLock';
import { parseManifest } from '../../src/engine/manifest/parseManifest';
import type { Recipe } from '../../src/protocol/recipe';

const recipe: Recipe = {
  version: 1, model: 'tiny-sdxl', prompt: 'a "quoted" fox', negativePrompt: 'blurry', width: 32, height: 48, steps: 3,
  guidance: 4.5, sampler: 'euler-a', karras: false, timestepSpacing: 'trailing', seed: 123456789, initImage: '/ws/sketch.png', strength: 0.4,
};

describe('Add to Manifest', () => {
  test('the entry made from a recipe is up to date with the image it came from', () => {
    const entry = entryFromRecipe(recipe, { output: 'art/fox.png', model: 'models/tiny-sdxl', source: 'sketch.png' });
    const { manifest, problems } = parseManifest(newManifestText(entry), '/ws/assets.sdxl.json');
    assert.deepEqual(problems, []);
    const asset = manifest.assets[0]!;
    assert.equal(asset.seed, 123456789);
    assert.deepEqual(staleReasons(asset, manifest, { recipe: { ...recipe, initImage: 'sketch.png' }, lock: emptyLock() }), []);
    assert.deepEqual(staleReasons(asset, manifest, { recipe: { ...recipe, initImage: 'sketch.png', seed: 1 }, lock: emptyLock() }), [
      'seed changed: the file has 1, the manifest says 123456789',
    ]);
  });

  test("a finished image's exact size and pixel art (its palette's colours) go into the entry, which is then up to date", () => {
    const finished: Recipe = {
      ...recipe,
      initImage: undefined,
      strength: undefined,
      output: { width: 12, height: 8, fit: 'contain', background: '#102030' },
      pixelArt: { factor: 2, palette: ['#1a1c2c', '#f4b41a'] },
    };
    const entry = entryFromRecipe(finished, { output: 'sprite.png', model: 'models/tiny-sdxl' });
    const { manifest, problems } = parseManifest(newManifestText(entry), '/ws/assets.sdxl.json');
    assert.deepEqual(problems, []);
    const asset = manifest.assets[0]!;
    assert.deepEqual(staleReasons(asset, manifest, { recipe: finished, lock: emptyLock() }), []);
    assert.deepEqual(staleReasons(asset, manifest, { recipe: { ...finished, pixelArt: { factor: 2, colors: 2 } }, lock: emptyLock() }), [
      'pixelArt changed: the file has {"factor":2,"colors":2}, the manifest says {"factor":2,"palette":["#1a1c2c","#f4b41a"]}',
    ]);
  });

  test("a transparent, seamless image's background and tiling go into the entry, which is then up to date", () => {
    const base: Recipe = { ...recipe, initImage: undefined, strength: undefined, tiling: 'both' };
    const cases = [
      [{ mode: 'transparent', matting: 'birefnet-lite', isolateSubject: false }, 'transparent'],
      [{ mode: 'transparent', matting: 'birefnet-lite', isolateSubject: true }, { mode: 'transparent', isolateSubject: true }],
      [{ mode: 'transparent', matting: 'tiny-matting', isolateSubject: false }, { mode: 'transparent', matting: 'tiny-matting' }],
    ] as const;
    for (const [background, field] of cases) {
      const made: Recipe = { ...base, background, output: { width: 16, height: 16, fit: 'contain' } };
      const entry = entryFromRecipe(made, { output: 'cutout.png', model: 'models/tiny-sdxl' });
      assert.deepEqual([entry.background, entry.tiling], [field, 'both']);
      const { manifest, problems } = parseManifest(newManifestText(entry), '/ws/assets.sdxl.json');
      assert.deepEqual(problems, []);
      assert.deepEqual(staleReasons(manifest.assets[0]!, manifest, { recipe: made, lock: emptyLock() }), [], JSON.stringify(field));
    }
  });

  test('appends after the last entry with its indentation, or fills an empty array', () => {
    const entry = entryFromRecipe({ ...recipe, initImage: undefined, strength: undefined }, { output: 'b.png', model: 'm' });
    const text = '{\n  "assets": [\n    { "output": "a.png", "prompt": "x", "model": "m" }\n  ]\n}\n';
    const edit = appendEntry(text, entry);
    const after = text.slice(0, edit.offset) + edit.text + text.slice(edit.offset + edit.length);
    assert.equal(after.split('\n')[3], `    { "output": "b.png", "prompt": "a \\"quoted\\" fox", "model": "m", "negativePrompt": "blurry", "width": 32, "height": 48, "steps": 3, "guidance": 4.5, "sampler": "euler-a", "timestepSpacing": "trailing", "seed": 123456789 }`);
    assert.deepEqual(parseManifest(after, '/ws/assets.sdxl.json').problems, []);
    const empty = '{ "assets": [ ] }';
    const fill = appendEntry(empty, entry);
    const filled = empty.slice(0, fill.offset) + fill.text + empty.slice(fill.offset + fill.length);
    assert.equal(parseManifest(filled, '/ws/assets.sdxl.json').manifest.assets.length, 1);
    assert.throws(() => appendEntry(after, entry), /already has an entry for b\.png/);
    assert.throws(() => appendEntry('{ "presets": {} }', entry), /no "assets" array/);
  });
});
