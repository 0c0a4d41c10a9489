import type { GenerationSettings } from '../../protocol/recipe';
import type { ModelFolder } from '../models/modelFolder';
import { EngineError } from '../errors';
import { DEFAULT_AESTHETIC_SCORE, DEFAULT_NEGATIVE_AESTHETIC_SCORE } from '../models/generationSettings';

/** The time ids of each side of classifier-free guidance; they differ only in a refiner's aesthetic score. */
export interface TimeIds {
  positive: readonly number[];
  negative: readonly number[];
}

/**
 * SDXL's micro-conditioning (Podell et al. 2023, §2.2; diffusers' _get_add_time_ids): original
 * size, crop top-left (0, 0), then the target size, or for a UNet trained with aesthetic scores
 * (the refiner, requires_aesthetics_score) the score instead of the target size. Sizes are height
 * first. SD UNets take none.
 */
export function sdxlTimeIds(model: ModelFolder, settings: GenerationSettings): TimeIds | undefined {
  if (model.family === 'sd') return undefined;
  const original = [settings.height, settings.width, 0, 0];
  if (model.details.requiresAestheticsScore) {
    return {
      positive: [...original, settings.aestheticScore ?? DEFAULT_AESTHETIC_SCORE],
      negative: [...original, settings.negativeAestheticScore ?? DEFAULT_NEGATIVE_AESTHETIC_SCORE],
    };
  }
  const ids = [...original, settings.height, settings.width];
  return { positive: ids, negative: ids };
}

/**
 * The UNet's declared time_ids width must match what the folder's model_index.json says, or the
 * UNet would read a size as a score; diffusers refuses this mismatch too.
 */
export function checkTimeIdWidth(model: ModelFolder, declared: number | string | undefined, ids: TimeIds): void {
  if (typeof declared !== 'number' || declared === ids.positive.length) return;
  const says = model.details.requiresAestheticsScore
    ? 'requires_aesthetics_score is true (5 time ids: size, crop, aesthetic score)'
    : 'requires_aesthetics_score is false or absent (6 time ids: size, crop, target size)';
  throw new EngineError(
    `${model.dir}: unet/model.onnx takes ${declared} time ids, but model_index.json's ${says}. ` +
      (declared === 5
        ? 'This looks like a refiner UNet: set "requires_aesthetics_score": true in model_index.json.'
        : 'Set "requires_aesthetics_score": false in model_index.json.'),
    'model-folder',
  );
}
