import type { ClipTokenizer } from '../text/clipTokenizer';
import type { ModelSessions } from '../runtime/modelSessions';
import type { GenerationSettings } from '../recipe';
import { TorchGenerator } from '../random/torchGenerator';
import { validateSettings } from './generationSettings';
import {
  decodeLatents,
  denoiseLatents,
  encodeConditioning,
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

  const vaeFactor = model.vae.scaleFactor;
  const latentShape = [1, model.unet.inChannels, settings.height / vaeFactor, settings.width / vaeFactor];
  const generator = new TorchGenerator(settings.seed);
  const noise = generator.randn(latentShape);
  const sigma = Math.fround(scheduler.initNoiseSigma);
  const initial = new Float32Array(noise.length);
  for (let i = 0; i < noise.length; i++) initial[i] = noise[i] * sigma;

  const job = { settings, conditioning, scheduler, generator, latentShape, beginIndex: 0 };
  const latents = await denoiseLatents(sessions, initial, job, hooks);
  hooks.onPhase?.('decode');
  const decoded = await decodeLatents(sessions, latents, latentShape);
  return { latents, latentShape, decoded };
}
