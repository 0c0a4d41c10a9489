import type { ModelSessions } from '../runtime/modelSessions';
import type { GenerationSettings, VaeTiling } from '../../protocol/recipe';
import { EngineError, throwIfAborted } from '../errors';
import { findNonFinite } from '../image/postprocess';
import { readInputImage } from '../image/readInputImage';
import { TorchGenerator } from '../random/torchGenerator';
import type { Scheduler } from '../schedulers/scheduler';
import { denoisingSteps, minimumSteps } from '../../protocol/denoisingSteps';
import { validateSettings } from '../models/generationSettings';
import type { ModelFolder } from '../models/modelFolder';
import {
  decodeLatents,
  denoiseLatents,
  encodeConditioning,
  jobScheduler,
  type PipelineHooks,
  type PipelineModels,
  type PipelineResult,
  vaeOverflowAdvice,
} from './stages';
import { runVaeEncoder } from './vaeRuns';

/**
 * diffusers StableDiffusionXLImg2ImgPipeline.__call__ (requires_aesthetics_score false, no
 * denoising_start; SD 1.x/2.x: StableDiffusionImg2ImgPipeline) with a CPU torch.Generator,
 * batch 1: the input image's latents, noised to the strength's first timestep, are denoised by
 * the remaining steps.
 */
export async function imageToImage(
  { model: { sessions, tokenizers } }: PipelineModels,
  settings: GenerationSettings,
  hooks: PipelineHooks = {},
): Promise<PipelineResult> {
  const model = sessions.model;
  const { initImage, strength } = checkImageJob(settings, model, 'Image-to-image');
  const scheduler = jobScheduler(settings, model.schedulerConfig);
  const beginIndex = firstStepIndex(settings.steps, strength) * scheduler.order;
  const conditioning = await encodeConditioning(sessions, tokenizers, settings, hooks);

  const generator = new TorchGenerator(settings.seed);
  const start = await noisedImageLatents(sessions, initImage, settings, { scheduler, beginIndex, generator }, hooks);

  const latentShape = start.shape;
  const job = { settings, conditioning, scheduler, generator, latentShape, beginIndex };
  const latents = await denoiseLatents(sessions, start.latents, job, hooks);
  hooks.onPhase?.('decode');
  const decoded = await decodeLatents(sessions, latents, latentShape, settings.vaeTiling, hooks);
  return { latents, latentShape, decoded };
}

/** The settings checked for a job that starts from an image: its path, its strength, and a VAE encoder to read it. */
export function checkImageJob(settings: GenerationSettings, model: ModelFolder, job: string): { initImage: string; strength: number } {
  validateSettings(settings, model);
  const { initImage, strength } = settings;
  if (initImage === undefined || strength === undefined) {
    throw new EngineError(`${job} needs an input image and a strength.`, 'bad-request');
  }
  if (!model.onnx.vae_encoder) {
    throw new EngineError(`${job} needs a VAE encoder, and ${model.dir} has no vae_encoder/model.onnx.`, 'model-folder');
  }
  return { initImage, strength };
}

/**
 * diffusers' get_timesteps: `init_timestep = min(int(steps · strength), steps)`,
 * `t_start = max(steps − init_timestep, 0)`. Throws where no step would run, which diffusers
 * also refuses rather than returning the input unchanged.
 */
export function firstStepIndex(steps: number, strength: number): number {
  const initTimestep = denoisingSteps(steps, strength);
  if (initTimestep < 1) {
    throw new EngineError(
      `strength ${strength} of ${steps} steps leaves no denoising step (steps × strength must be at least 1); use at least ${minimumSteps(strength)} steps or raise the strength.`,
      'bad-request',
    );
  }
  return Math.max(steps - initTimestep, 0);
}

/**
 * diffusers' prepare_latents: the input image at the job's size, encoded, then
 * `scheduler.add_noise(init_latents, randn, timesteps[begin])` with the begin index set first,
 * so that add_noise and the first step use the same noise level. The encoder runs in tiles when
 * `size.vaeTiling` says.
 */
export async function noisedImageLatents(
  sessions: ModelSessions,
  path: string,
  size: { width: number; height: number; vaeTiling?: VaeTiling },
  start: { scheduler: Scheduler; beginIndex: number; generator: TorchGenerator },
  hooks: Pick<PipelineHooks, 'signal' | 'onTile'> = {},
): Promise<{ latents: Float32Array; shape: number[] }> {
  const { scheduler, beginIndex, generator } = start;
  const { signal } = hooks;
  const pixels = await readInputImage(path, size.width, size.height);
  throwIfAborted(signal);
  const image = await encodeImage(sessions, pixels, [1, 3, size.height, size.width], generator, size.vaeTiling, hooks);
  scheduler.setBeginIndex(beginIndex);
  const noise = generator.randn(image.shape);
  return { latents: scheduler.addNoise(image.latents, noise, scheduler.timesteps[beginIndex]), shape: image.shape };
}

/**
 * The VAE encoder's latents × scaling_factor (diffusers' prepare_latents). Exports that return
 * `latent_sample` give the posterior mean, used as is; Optimum >= 1.23 returns
 * `latent_parameters` (mean ‖ logvar), sampled from the job's generator as diffusers does
 * (`sampled` says so).
 */
export async function encodeImage(
  sessions: ModelSessions,
  pixels: Float32Array,
  imageShape: number[],
  generator: TorchGenerator,
  tiling: VaeTiling | undefined,
  hooks: Pick<PipelineHooks, 'signal' | 'onTile'>,
): Promise<{ latents: Float32Array; shape: number[]; sampled: boolean }> {
  const vae = sessions.model.vae;
  const encoded = await runVaeEncoder(sessions, { data: pixels, shape: imageShape }, tiling, hooks);
  const { output, data: values } = encoded;
  await sessions.done('vae_encoder');
  if (findNonFinite(values) >= 0) {
    throw new EngineError(
      `The VAE encoder produced NaN or infinite values. ${vaeOverflowAdvice(sessions.model, 'vae_encoder')}`,
      'non-finite',
    );
  }
  const [, channels, height, width] = encoded.shape;
  const latentChannels = output === 'latent_parameters' ? channels / 2 : channels;
  const shape = [1, latentChannels, height, width];
  const mean = output === 'latent_parameters' ? samplePosterior(values, shape, generator) : values;
  const scale = Math.fround(vae.scalingFactor);
  const latents = new Float32Array(mean.length);
  // The inverse of decodeLatents: (x − shift_factor) · scaling_factor, in float32 like torch.
  for (let i = 0; i < latents.length; i++) latents[i] = Math.fround((mean[i] - vae.shiftFactor) * scale);
  throwIfAborted(hooks.signal);
  return { latents, shape, sampled: output === 'latent_parameters' };
}

/**
 * diffusers/models/autoencoders/vae.py DiagonalGaussianDistribution.sample:
 * mean + exp(0.5 · clamp(logvar, −30, 20)) · randn, each op rounded to float32 as torch does.
 */
function samplePosterior(parameters: Float32Array, shape: number[], generator: TorchGenerator): Float32Array {
  const size = parameters.length / 2;
  const noise = generator.randn(shape);
  const sample = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const logvar = Math.min(Math.max(parameters[size + i], -30), 20);
    const std = Math.fround(Math.exp(Math.fround(0.5 * logvar)));
    sample[i] = parameters[i] + Math.fround(std * noise[i]);
  }
  return sample;
}
