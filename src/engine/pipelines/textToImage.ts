import type { GenerationSettings } from '../../protocol/recipe';
import { validateSettings } from '../models/generationSettings';
import {
  decodeLatents,
  denoiseBatch,
  denoiseLatents,
  encodeConditioning,
  initialNoise,
  jobScheduler,
  type PipelineHooks,
  type PipelineModels,
  type PipelineResult,
} from './stages';

/**
 * diffusers StableDiffusionXLPipeline.__call__ (SD 1.x/2.x: StableDiffusionPipeline.__call__,
 * which differs only in the conditioning) with a CPU torch.Generator, batch 1.
 */
export async function textToImage(
  { model: { sessions, tokenizers } }: PipelineModels,
  settings: GenerationSettings,
  hooks: PipelineHooks = {},
): Promise<PipelineResult> {
  const model = sessions.model;
  validateSettings(settings, model);
  const scheduler = jobScheduler(settings, model.schedulerConfig);
  const conditioning = await encodeConditioning(sessions, tokenizers, settings, hooks);

  const { latentShape, generator, initial } = initialNoise(model, settings, scheduler);
  const job = { settings, conditioning, scheduler, generator, latentShape, beginIndex: 0 };
  const latents = await denoiseLatents(sessions, initial, job, hooks);
  hooks.onPhase?.('decode');
  const decoded = await decodeLatents(sessions, latents, latentShape, settings.vaeTiling, hooks);
  return { latents, latentShape, decoded };
}

/**
 * The same job for several seeds, whose UNet steps run as one call of 2N (diffusers'
 * num_images_per_prompt layout). Each image keeps its own generator, so its noise, and within
 * the provider's rounding its pixels, are those of its own single job; only the seed differs.
 */
export async function textToImageBatch(
  { model: { sessions, tokenizers } }: PipelineModels,
  settings: readonly GenerationSettings[],
  hooks: PipelineHooks = {},
): Promise<PipelineResult[]> {
  const model = sessions.model;
  const first = settings[0];
  for (const each of settings) {
    validateSettings(each, model);
    if (JSON.stringify({ ...each, seed: 0 }) !== JSON.stringify({ ...first, seed: 0 })) {
      throw new Error('the images of one batch differ only in their seed');
    }
  }
  const conditioning = await encodeConditioning(sessions, tokenizers, first, hooks);
  let latentShape: number[] = [];
  const tracks = settings.map((each) => {
    const scheduler = jobScheduler(each, model.schedulerConfig);
    const noise = initialNoise(model, each, scheduler);
    latentShape = noise.latentShape;
    return { initial: noise.initial, scheduler, generator: noise.generator };
  });
  const latents = await denoiseBatch(sessions, tracks, { settings: first, conditioning, latentShape, beginIndex: 0 }, hooks);
  hooks.onPhase?.('decode');
  const results: PipelineResult[] = [];
  for (const each of latents) results.push({ latents: each, latentShape, decoded: await decodeLatents(sessions, each, latentShape, first.vaeTiling, hooks) });
  return results;
}
