import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRecipe, serializeRecipe } from '../../src/engine/image/recipeMetadata';
import type { Recipe } from '../../src/protocol/recipe';

const recipe: Recipe = {
  version: 1,
  model: 'sdxl-base-1.0',
  prompt: 'a wooden shield, "game" icon — 盾のアイコン',
  negativePrompt: null,
  width: 1024,
  height: 1024,
  steps: 30,
  guidance: 5.5,
  sampler: 'dpmpp-2m',
  karras: true,
  timestepSpacing: 'trailing',
  seed: 2 ** 53 - 1,
};

describe('serializeRecipe / parseRecipe', () => {
  test('round-trip', () => {
    assert.deepEqual(parseRecipe(serializeRecipe(recipe)), recipe);
    assert.deepEqual(parseRecipe(serializeRecipe({ ...recipe, negativePrompt: '', timestepSpacing: null })), {
      ...recipe,
      negativePrompt: '',
      timestepSpacing: null,
    });
  });

  test('round-trip of a base→refiner recipe', () => {
    const refined: Recipe = { ...recipe, refiner: 'sdxl-refiner', refinerStart: 0.8, aestheticScore: 6, negativeAestheticScore: 2.5 };
    assert.deepEqual(parseRecipe(serializeRecipe(refined)), refined);
    assert.ok(serializeRecipe(refined).endsWith('"refiner":"sdxl-refiner","refinerStart":0.8,"aestheticScore":6,"negativeAestheticScore":2.5}'));
  });

  test('round-trip of where the image was computed', () => {
    const made: Recipe = {
      ...recipe,
      provider: { choice: 'auto', provider: 'webgpu', skipped: [{ provider: 'cuda', reason: 'not installed' }] },
    };
    assert.deepEqual(parseRecipe(serializeRecipe(made)), made);
    assert.ok(serializeRecipe(made).endsWith('"provider":{"choice":"auto","provider":"webgpu","skipped":[{"provider":"cuda","reason":"not installed"}]}}'));
  });

  test('round-trip of seamless tiles; a recipe without the field reads as before', () => {
    for (const tiling of ['x', 'y', 'both'] as const) {
      const tiled: Recipe = { ...recipe, tiling, provider: { choice: 'cpu', provider: 'cpu', skipped: [] } };
      assert.deepEqual(parseRecipe(serializeRecipe(tiled)), tiled);
      assert.ok(serializeRecipe(tiled).includes(`"seed":${recipe.seed},"tiling":"${tiling}","provider":`));
    }
    assert.equal(parseRecipe(serializeRecipe(recipe)).tiling, undefined);
    assert.throws(() => parseRecipe(JSON.stringify({ ...recipe, tiling: 'xy' })), /"tiling" must be one of x, y, both when present, got "xy"/);
  });

  test('writes the fields in a fixed order whatever the object', () => {
    const shuffled = Object.fromEntries(Object.entries(recipe).reverse()) as unknown as Recipe;
    assert.equal(serializeRecipe(shuffled), serializeRecipe(recipe));
    assert.ok(serializeRecipe(recipe).startsWith('{"version":1,"model":"sdxl-base-1.0","prompt":'));
  });

  test('drops fields it does not know', () => {
    const json = JSON.stringify({ ...recipe, comment: 'from a later writer' });
    assert.deepEqual(parseRecipe(json), recipe);
  });

  test('names the bad field', () => {
    const bad = (patch: Record<string, unknown>) => JSON.stringify({ ...recipe, ...patch });
    const cases: [string, RegExp][] = [
      [bad({ version: 2 }), /"version" must be 1, got 2/],
      [bad({ model: '' }), /"model"/],
      [bad({ prompt: undefined }), /"prompt" must be a string, got nothing/],
      [bad({ negativePrompt: 3 }), /"negativePrompt"/],
      [bad({ width: 0 }), /"width" must be a positive whole number/],
      [bad({ height: 512.5 }), /"height"/],
      [bad({ steps: '30' }), /"steps"/],
      [bad({ guidance: -1 }), /"guidance"/],
      [bad({ sampler: 'heun' }), /"sampler" must be one of euler, euler-a, .*, got "heun"/],
      [bad({ karras: 'yes' }), /"karras"/],
      [bad({ timestepSpacing: 'random' }), /"timestepSpacing"/],
      [bad({ seed: -1 }), /"seed"/],
      [bad({ seed: 2 ** 53 }), /"seed"/],
      [bad({ refiner: '' }), /"refiner"/],
      [bad({ refinerStart: 0.5 }), /"refinerStart" must be absent without refiner/],
      [bad({ refiner: 'r', refinerStart: 1 }), /"refinerStart" must be a number between 0 and 1/],
      [bad({ aestheticScore: 11 }), /"aestheticScore"/],
      [bad({ negativeAestheticScore: '2.5' }), /"negativeAestheticScore"/],
      [bad({ provider: 'cpu' }), /"provider" must be \{ choice, provider, skipped/],
      [bad({ provider: { choice: 'auto', provider: 'auto', skipped: [] } }), /"provider"/],
      [bad({ provider: { choice: 'auto', provider: 'cpu', skipped: [{ provider: 'tpu', reason: '' }] } }), /"provider"/],
      ['{"version":1,', /not valid JSON/],
      ['[1]', /JSON object/],
      ['null', /JSON object/],
    ];
    for (const [json, message] of cases) assert.throws(() => parseRecipe(json), message, json);
  });
});
