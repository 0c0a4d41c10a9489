// A text-to-image recipe with every required field, so a test spells out only what it checks.
import type { Recipe } from '../../src/protocol/recipe';

export const testRecipe = (fields: Partial<Recipe> = {}): Recipe => ({
  version: 1,
  model: 'tiny',
  prompt: 'a fox',
  negativePrompt: null,
  width: 32,
  height: 32,
  steps: 30,
  guidance: 5,
  sampler: 'euler',
  karras: false,
  timestepSpacing: null,
  seed: 1,
  ...fields,
});
