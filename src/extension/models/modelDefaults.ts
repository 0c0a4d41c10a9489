import type { CatalogEntry } from '../../engine/models/catalog';
import type { ModelFolder } from '../../engine/models/modelFolder';
import { resolveSettings } from '../../engine/models/generationSettings';
import type { ModelDefaults } from '../../protocol/panelProtocol';

/**
 * The form values a model starts with: what the engine itself gives a job that leaves them out,
 * so the panel and the command line agree per family, with a catalog model's recommended
 * settings over them as the command line takes them.
 */
export function modelDefaults(model: ModelFolder, recommended: CatalogEntry['recommended'] | undefined): ModelDefaults {
  // A seed is given only so that resolveSettings does not draw one for nothing.
  const textToImage = resolveSettings({ prompt: '', seed: 0 }, model);
  // The input is never read here: resolveSettings only asks whether there is one.
  const imageToImage = resolveSettings({ prompt: '', seed: 0, initImage: '' }, model);
  return {
    width: recommended?.width ?? textToImage.width,
    height: recommended?.height ?? textToImage.height,
    steps: recommended?.steps ?? textToImage.steps,
    guidance: recommended?.guidance ?? textToImage.guidance,
    sampler: recommended?.sampler ?? textToImage.sampler,
    // The catalog's steps are for text to image: Turbo's 1 step would run none at strength 0.5.
    imageToImage: { steps: imageToImage.steps, guidance: imageToImage.guidance, strength: imageToImage.strength! },
  };
}
