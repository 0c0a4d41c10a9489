import type { Recipe } from '../../engine/recipe';
import type { PanelSettings } from '../../protocol/panelProtocol';

/** The form values that reproduce a recipe: "Reuse settings" and image-to-image prefill. */
export function settingsFromRecipe(recipe: Recipe): Partial<PanelSettings> {
  return {
    prompt: recipe.prompt,
    negativePrompt: recipe.negativePrompt ?? '',
    width: recipe.width,
    height: recipe.height,
    steps: recipe.steps,
    guidance: recipe.guidance,
    sampler: recipe.sampler,
    karras: recipe.karras,
    seedMode: 'fixed',
    seed: recipe.seed,
  };
}
