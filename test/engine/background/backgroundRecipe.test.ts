// The recipe's background field: written and read back, absent from older recipes, checked.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRecipe, serializeRecipe } from '../../../src/engine/image/recipeMetadata';
import { ISOLATE_SUBJECT_WORDS, promptWithIsolatedSubject } from '../../../src/protocol/background';
import type { Recipe } from '../../../src/protocol/recipe';

const recipe: Recipe = {
  version: 1, model: 'tiny', prompt: 'a fox', negativePrompt: null, width: 64, height: 64, steps: 3,
  guidance: 5, sampler: 'euler', karras: false, timestepSpacing: null, seed: 1,
};

describe('the recipe of a transparent image', () => {
  test('round-trips the background field; a recipe without it reads as before, byte for byte', () => {
    const transparent: Recipe = { ...recipe, background: { mode: 'transparent', matting: 'birefnet-lite', isolateSubject: true } };
    assert.deepEqual(parseRecipe(serializeRecipe(transparent)), transparent);
    const old = JSON.stringify(recipe);
    assert.equal(serializeRecipe(parseRecipe(old)), old);
    assert.equal('background' in parseRecipe(old), false);
  });

  test('a malformed background is refused, naming the field', () => {
    for (const background of [{ mode: 'white', matting: 'x', isolateSubject: false }, { mode: 'transparent', matting: '', isolateSubject: false }, { mode: 'transparent', matting: 'x' }]) {
      assert.throws(() => parseRecipe(JSON.stringify({ ...recipe, background })), /recipe field "background" must be/);
    }
  });

  test('isolate-subject appends its words once, after the prompt', () => {
    assert.equal(promptWithIsolatedSubject('a fox', false), 'a fox');
    assert.equal(promptWithIsolatedSubject('a fox', true), `a fox, ${ISOLATE_SUBJECT_WORDS}`);
    assert.equal(promptWithIsolatedSubject('a fox, ', true), `a fox, ${ISOLATE_SUBJECT_WORDS}`);
    assert.equal(promptWithIsolatedSubject('', true), ISOLATE_SUBJECT_WORDS);
  });
});
