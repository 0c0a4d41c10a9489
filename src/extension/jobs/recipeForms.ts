// A picture's recipe turned into what the panel's form needs: Use as image-to-image input,
// Inpaint…, Reuse settings, Vary and Regenerate.
import { basename, dirname } from 'node:path';
import { readRecipeFromFile } from '../../engine/image/recipeMetadata';
import type { ModelChoice, PanelSettings } from '../../protocol/panelProtocol';
import type { Recipe } from '../../protocol/recipe';
import type { FormEvent } from '../panel/panelBackend';
import { formDefaults } from './formDefaults';
import { imageToImageRequest } from './imageToImageRequest';
import { locateInitImage, settingsFromRecipe } from './recipeSettings';

/** Image-to-image with the picture at `path` as input, prefilled from its metadata; `root` is the workspace folder, if any. */
export async function imageToImageForm(path: string, root: string | undefined, models: readonly ModelChoice[]): Promise<FormEvent> {
  const request = await imageToImageRequest(path, root, models);
  return { type: 'imageToImage', ...request };
}

/** Inpainting of the picture at `path`: image to image's form, with the mask painter on the picture. */
export async function inpaintForm(path: string, root: string | undefined, models: readonly ModelChoice[]): Promise<FormEvent> {
  const request = await imageToImageRequest(path, root, models);
  return { type: 'imageToImage', ...request, inpaint: true };
}

/**
 * The form that made the picture at `path`: image-to-image with its input when that is still
 * there, else text-to-image with its settings.
 */
export async function reuseForm(path: string, root: string | undefined, models: readonly ModelChoice[]): Promise<FormEvent> {
  const recipe = await recipeOf(path);
  const settings = settingsFromRecipe(recipe, models);
  const initImage = recipe.initImage === undefined ? undefined : locateInitImage(recipe.initImage, searchDirs(path, root));
  if (initImage === undefined) {
    const { inpaint: _inpaint, ...textToImage } = settings;
    return { type: 'applySettings', settings: textToImage };
  }
  const request = await imageToImageRequest(initImage, root, models);
  if (!settings.inpaint) return { type: 'imageToImage', image: request.image, settings };
  // A mask that is gone leaves the painter empty, to paint again.
  const maskPath = recipe.mask === undefined ? undefined : locateInitImage(recipe.mask, searchDirs(path, root));
  return { type: 'imageToImage', image: request.image, settings, inpaint: true, ...(maskPath !== undefined ? { maskPath } : {}) };
}

/**
 * The picture's recipe as a form for one new job: `regenerate` keeps the seed and insists on
 * the recipe's own model, `vary` draws a new seed and falls back to `defaultModel`.
 */
export async function recipeForm(
  path: string,
  mode: 'regenerate' | 'vary',
  root: string | undefined,
  models: readonly ModelChoice[],
  defaultModel: string,
): Promise<PanelSettings> {
  const recipe = await recipeOf(path);
  const settings = settingsFromRecipe(recipe, models);
  const missing = (how: string, name: string) =>
    new Error(`${basename(path)} was ${how} the model "${name}", which is not among SDXL Assets: Model Folders. Add its folder to regenerate it.`);
  if (mode === 'regenerate' && settings.modelDir === undefined) throw missing('made with', recipe.model);
  if (mode === 'regenerate' && recipe.refiner !== undefined && !settings.refinerDir) throw missing('refined with', recipe.refiner);
  let initImage: string | undefined;
  if (recipe.initImage !== undefined) {
    initImage = locateInitImage(recipe.initImage, searchDirs(path, root));
    if (initImage === undefined) throw new Error(`The input image ${recipe.initImage} of ${basename(path)} is not there any more.`);
  }
  let inpaint = settings.inpaint;
  if (inpaint && recipe.mask !== undefined) {
    const maskFile = locateInitImage(recipe.mask, searchDirs(path, root));
    if (maskFile === undefined) throw new Error(`The mask ${recipe.mask} of ${basename(path)} is not there any more.`);
    inpaint = { ...inpaint, maskFile };
  }
  return {
    ...formDefaults(models, defaultModel),
    ...settings,
    ...(initImage !== undefined ? { initImage } : {}),
    ...(inpaint ? { inpaint } : {}),
    ...(mode === 'vary' ? { seedMode: 'random' as const } : {}),
    batch: 1,
  };
}

async function recipeOf(path: string): Promise<Recipe> {
  const recipe = await readRecipeFromFile(path).catch(() => null);
  if (!recipe) throw new Error(`${basename(path)} carries no SDXL Assets recipe.`);
  return recipe;
}

/** Where a relative input path of a recipe may start from: the picture's folder, then the workspace folder. */
function searchDirs(path: string, root: string | undefined): string[] {
  return root ? [dirname(path), root] : [dirname(path)];
}
