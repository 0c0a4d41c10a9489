import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Recipe } from '../../protocol/recipe';
import { DEFAULT_MASK_PADDING } from '../../engine/models/generationSettings';
import type { InpaintOptions, ModelChoice, PanelSettings } from '../../protocol/panelProtocol';

/**
 * The form values that reproduce a recipe: "Reuse settings", Vary, Regenerate. The model and
 * the refiner are the configured folders of the recipe's names when there are ones that load
 * (no refiner folder: refinerDir ''); the input image is left to `locateInitImage`, since the
 * recipe's path may no longer lead to it.
 */
export function settingsFromRecipe(recipe: Recipe, models: readonly ModelChoice[] = []): Partial<PanelSettings> {
  const modelDir = modelDirForRecipe(models, recipe.model);
  const inpainting = recipe.mask !== undefined || recipe.outpaint !== undefined;
  return {
    ...(modelDir !== undefined ? { modelDir } : {}),
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
    // An edit's strength is inpainting's own, which leaves image to image's as it was.
    ...(recipe.strength !== undefined ? (inpainting ? { inpaintStrength: recipe.strength } : { strength: recipe.strength }) : {}),
    // Absent in a recipe means off, which the panel's own default is not.
    promptWeighting: recipe.promptWeighting === true,
    refinerDir: recipe.refiner !== undefined ? (modelDirForRecipe(models, recipe.refiner) ?? '') : '',
    ...(recipe.refinerStart !== undefined ? { refinerStart: recipe.refinerStart } : {}),
    ...(recipe.output !== undefined ? { output: recipe.output } : {}),
    ...(recipe.pixelArt !== undefined ? { pixelArt: recipe.pixelArt } : {}),
    ...(recipe.background !== undefined ? { transparentBackground: { isolateSubject: recipe.background.isolateSubject } } : {}),
    tiling: recipe.tiling ?? 'off',
    ...(inpainting ? { inpaint: inpaintOptionsFromRecipe(recipe) } : {}),
  };
}

/** An inpainting recipe's options as the panel holds them; the mask file is left to the caller to locate. */
function inpaintOptionsFromRecipe(recipe: Recipe): InpaintOptions {
  return {
    maskBlur: recipe.maskBlur ?? 0,
    inpaintArea: recipe.inpaintArea ?? 'full',
    maskPadding: recipe.maskPadding ?? DEFAULT_MASK_PADDING,
    outpaint: recipe.outpaint ?? { left: 0, top: 0, right: 0, bottom: 0 },
  };
}

/** The configured model folder a recipe names (recipes keep the folder's name, not its path). */
export function modelDirForRecipe(models: readonly ModelChoice[], name: string): string | undefined {
  return models.find((m) => !m.problem && m.label === name)?.dir;
}

/**
 * The input image of an image-to-image recipe, if it is still there. The recipe holds the
 * path as it was given: absolute from the extension, possibly relative from the command line,
 * so a relative one is looked for from each of `baseDirs` in turn (the image's folder, the
 * workspace folder).
 */
export function locateInitImage(initImage: string, baseDirs: readonly string[]): string | undefined {
  const candidates = isAbsolute(initImage) ? [initImage] : baseDirs.map((dir) => resolve(dir, initImage));
  return candidates.find((path) => existsSync(path));
}
