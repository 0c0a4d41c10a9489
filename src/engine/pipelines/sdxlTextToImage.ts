import type { ClipTokenizer } from '../text/clipTokenizer';
import type { ModelSessions } from '../runtime/modelSessions';
import type { GenerationSettings } from '../recipe';
import { validateSettings } from './generationSettings';
import {
  decodeLatents,
  denoiseLatents,
  encodeConditioning,
  initialNoise,
  jobScheduler,
  type PipelineHooks,
  type PipelineResult,
} from './sdxlStages';

/**
 * diffusers StableDiffusionXLPipeline.__call__ (SD 1.x/2.x: StableDiffusionPipeline.__call__,
 * which differs only in the conditioning) with a CPU torch.Generator, batch 1.
 */
export async function sdxlTextToImage(
  sessions: ModelSessions,
  tokenizers: readonly ClipTokenizer[],
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
  const decoded = await decodeLatents(sessions, latents, latentShape);
  return { latents, latentShape, decoded };
}
