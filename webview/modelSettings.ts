import type { ModelChoice, PanelSettings } from '../src/protocol/panelProtocol';
import { fittedSize } from './imageToImage';
import type { Size } from './sizePresets';

/**
 * The form after choosing another model: that model's size, steps, guidance, sampler and
 * strength, since keeping SDXL base's 30 steps on a Turbo (or its 1 step on SDXL base) would
 * quietly make a bad picture. What the user wrote (prompts, seed, batch) stays. In image to image
 * (`initImage`) the size follows the picture, fitted to the new model's multiple, except when
 * inpainting only the masked area, which works at the model's own size.
 */
export function withModel(settings: PanelSettings, modelDir: string, models: readonly ModelChoice[], initImage?: Size): PanelSettings {
  const model = models.find((m) => m.dir === modelDir);
  const values = model?.defaults;
  if (!values) return { ...settings, modelDir };
  const followsPicture = initImage !== undefined && settings.inpaint?.inpaintArea !== 'masked';
  const size = followsPicture ? fittedSize(initImage, model.sizeMultiple) : { width: values.width, height: values.height };
  const mode = initImage ? values.imageToImage : values;
  return {
    ...settings,
    modelDir,
    ...size,
    steps: mode.steps,
    guidance: mode.guidance,
    sampler: values.sampler,
    strength: values.imageToImage.strength,
  };
}

/**
 * Steps and guidance still at the model's defaults for one mode take the other mode's when the
 * form goes into or out of image to image: a Turbo draws in 1 step, but at strength 0.5 needs 2
 * for one to run. Values the user chose stay.
 */
export function withModeDefaults(settings: PanelSettings, models: readonly ModelChoice[], imageToImage: boolean): PanelSettings {
  const values = models.find((m) => m.dir === settings.modelDir)?.defaults;
  if (!values) return settings;
  const [from, to] = imageToImage ? [values, values.imageToImage] : [values.imageToImage, values];
  return {
    ...settings,
    steps: settings.steps === from.steps ? to.steps : settings.steps,
    guidance: settings.guidance === from.guidance ? to.guidance : settings.guidance,
  };
}

/** The size the model recommends (its trained size, or the catalog's), else the form's own while no model loads. */
export function modelSize(settings: PanelSettings, models: readonly ModelChoice[]): Size {
  const values = models.find((m) => m.dir === settings.modelDir)?.defaults;
  return values ? { width: values.width, height: values.height } : { width: settings.width, height: settings.height };
}
