import type { JobRequest } from '../../protocol/engineProtocol';
import type { FinishSteps, Recipe } from '../../protocol/recipe';
import type { InpaintOptions, PanelSettings } from '../../protocol/panelProtocol';

/**
 * Whether the form's job hands off to its refiner. The hand-off starts from noise, so image to
 * image keeps the choice for later without using it, as text to image keeps the strength.
 */
export function usesRefiner(form: PanelSettings): boolean {
  return form.refinerDir !== '' && form.initImage === undefined;
}

/**
 * What the engine gets for one image of the form; the strength (inpainting's own when inpainting)
 * only goes along with an input image and the refiner start with a refiner (JobRequest.refinerDir, beside the settings).
 * Inpainting adds its options and `maskPath`, the painted mask's file (absent when only
 * outpaint margins are repainted).
 */
export function jobSettings(form: PanelSettings, seed: number, maskPath?: string): JobRequest['settings'] {
  return {
    prompt: form.prompt,
    negativePrompt: form.negativePrompt.trim() === '' ? null : form.negativePrompt,
    width: form.width,
    height: form.height,
    steps: form.steps,
    guidance: form.guidance,
    sampler: form.sampler,
    karras: form.karras,
    seed,
    promptWeighting: form.promptWeighting,
    ...(usesRefiner(form) ? { refinerStart: form.refinerStart } : {}),
    ...(form.initImage !== undefined ? { initImage: form.initImage, strength: form.inpaint ? form.inpaintStrength : form.strength } : {}),
    ...(form.tiling !== 'off' ? { tiling: form.tiling } : {}),
    ...(form.initImage !== undefined && form.inpaint ? inpaintSettings(form.inpaint, maskPath) : {}),
  };
}

/** The recipe's inpainting fields, each left out where its absence means the same (no blur, the whole picture, no margins). */
function inpaintSettings(options: InpaintOptions, maskPath: string | undefined): Pick<Recipe, 'mask' | 'maskBlur' | 'inpaintArea' | 'maskPadding' | 'outpaint'> {
  const { maskBlur, inpaintArea, maskPadding, outpaint } = options;
  return {
    ...(maskPath !== undefined ? { mask: maskPath } : {}),
    ...(maskBlur > 0 ? { maskBlur } : {}),
    ...(inpaintArea === 'masked' ? { inpaintArea, maskPadding } : {}),
    ...(Object.values(outpaint).some((margin) => margin > 0) ? { outpaint } : {}),
  };
}

/** The form's post-processing, recorded in the recipe by the engine. */
export function finishSteps(form: PanelSettings): FinishSteps {
  return { ...(form.output ? { output: form.output } : {}), ...(form.pixelArt ? { pixelArt: form.pixelArt } : {}) };
}

/** The form's @Nx files, which only an exact size without an icon set has; one file at 1× alone. */
export function densityRequest(form: PanelSettings): Pick<JobRequest, 'densities'> {
  const { densities } = form;
  if (!densities || !form.output || form.iconSet || (densities.length === 1 && densities[0] === 1)) return {};
  return { densities: [...densities].sort((a, b) => a - b) };
}

/**
 * The job's transparent background: the form's choice with the matting model's folder, which the
 * host locates (offering the download) before the job is made.
 */
export function backgroundRequest(form: PanelSettings, mattingDir: string | undefined): Pick<JobRequest, 'transparentBackground'> {
  if (!form.transparentBackground) return {};
  if (mattingDir === undefined) throw new Error('A transparent background needs the background-matting model; download it with "SDXL Assets: Download Model…".');
  return { transparentBackground: { mattingDir, isolateSubject: form.transparentBackground.isolateSubject } };
}
