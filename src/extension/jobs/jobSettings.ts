import type { JobRequest } from '../../protocol/engineProtocol';
import type { FinishSteps } from '../../protocol/recipe';
import type { PanelSettings } from '../../protocol/panelProtocol';

/**
 * Whether the form's job hands off to its refiner. The hand-off starts from noise, so image to
 * image keeps the choice for later without using it, as text to image keeps the strength.
 */
export function usesRefiner(form: PanelSettings): boolean {
  return form.refinerDir !== '' && form.initImage === undefined;
}

/**
 * What the engine gets for one image of the form; the strength only goes along with an input
 * image and the refiner start with a refiner (JobRequest.refinerDir, beside the settings).
 */
export function jobSettings(form: PanelSettings, seed: number): JobRequest['settings'] {
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
    ...(form.initImage !== undefined ? { initImage: form.initImage, strength: form.strength } : {}),
    ...(form.tiling !== 'off' ? { tiling: form.tiling } : {}),
  };
}

/** The form's post-processing, recorded in the recipe by the engine. */
export function finishSteps(form: PanelSettings): FinishSteps {
  return { ...(form.output ? { output: form.output } : {}), ...(form.pixelArt ? { pixelArt: form.pixelArt } : {}) };
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
