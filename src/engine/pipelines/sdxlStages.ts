// The stages SDXL text-to-image and image-to-image share, so both run the same prompt
// encoding, UNet loop and VAE decoding and differ only in how the first latents are made.
import type { ClipTokenizer } from '../text/clipTokenizer';
import type { ModelSessions } from '../runtime/modelSessions';
import type { GenerationSettings } from '../recipe';
import type { TorchGenerator } from '../random/torchGenerator';
import type { Phase } from './phase';
import { EngineError, throwIfAborted } from '../errors';
import { findNonFinite } from '../image/postprocess';
import { floatTensor, tensorToFloat32 } from '../runtime/tensors';
import { createScheduler, type Scheduler } from '../schedulers/scheduler';
import { denoise, type StepInfo } from './denoiseLoop';
import { encodeSdxlPrompts, type SdxlConditioning } from './sdxlPromptEncoding';
import { UnetRunner } from './unetRunner';

export interface PipelineHooks {
  signal?: AbortSignal;
  onPhase?: (phase: Phase) => void;
  onStep?: (info: StepInfo) => void;
}

export interface PipelineResult {
  /** Final latents [1,C,h,w], before VAE scaling. */
  latents: Float32Array;
  latentShape: number[];
  /** VAE decoder output [1,3,H,W], roughly in [-1,1]. */
  decoded: Float32Array;
}

/** The job's sampler from the model's scheduler config, with its timesteps set. */
export function jobScheduler(settings: GenerationSettings, schedulerConfig: Readonly<Record<string, unknown>>): Scheduler {
  const scheduler = createScheduler(settings.sampler, schedulerConfig, {
    karras: settings.karras,
    ...(settings.timestepSpacing ? { timestepSpacing: settings.timestepSpacing } : {}),
  });
  scheduler.setTimesteps(settings.steps);
  return scheduler;
}

/** The prompt (and, under guidance, the negative) as UNet conditioning; the text encoders live only for this. */
export async function encodeConditioning(
  sessions: ModelSessions,
  tokenizers: [ClipTokenizer, ClipTokenizer],
  settings: GenerationSettings,
  hooks: PipelineHooks,
): Promise<SdxlConditioning> {
  const model = sessions.model;
  hooks.onPhase?.('encode');
  const encoders = [await sessions.get('text_encoder'), await sessions.get('text_encoder_2')] as const;
  throwIfAborted(hooks.signal);
  const conditioning = await encodeSdxlPrompts(
    {
      tokenizers,
      encoders: [...encoders],
      layers: [model.textEncoderLayers.text_encoder, model.textEncoderLayers.text_encoder_2],
    },
    settings.prompt,
    settings.negativePrompt,
    settings.guidance > 1,
    model.forceZerosForEmptyPrompt,
  );
  await sessions.done('text_encoder');
  await sessions.done('text_encoder_2');
  throwIfAborted(hooks.signal);
  return conditioning;
}

export interface DenoiseJob {
  settings: GenerationSettings;
  conditioning: SdxlConditioning;
  scheduler: Scheduler;
  generator: TorchGenerator;
  latentShape: number[];
  /** Index into scheduler.timesteps of the first step (image-to-image starts part-way). */
  beginIndex: number;
}

/** The shared UNet loop from `initial`, with SDXL's micro-conditioning for the job's size. */
export async function denoiseSdxl(
  sessions: ModelSessions,
  initial: Float32Array,
  job: DenoiseJob,
  hooks: PipelineHooks,
): Promise<Float32Array> {
  const { settings, latentShape } = job;
  hooks.onPhase?.('denoise');
  const unet = await sessions.get('unet');
  // SDXL micro-conditioning: original size, crop top-left, target size, height first.
  const timeIds = [settings.height, settings.width, 0, 0, settings.height, settings.width];
  const latents = await denoise(initial, {
    scheduler: job.scheduler,
    unet: new UnetRunner(unet, latentShape, job.conditioning, timeIds),
    generator: job.generator,
    latentShape,
    guidance: settings.guidance,
    beginIndex: job.beginIndex,
    signal: hooks.signal,
    onStep: hooks.onStep,
  });
  await sessions.done('unet');
  if (findNonFinite(latents) >= 0) {
    throw new EngineError(
      'The UNet produced NaN or infinite latents. With a float16 model this is an overflow: try a float32 UNet or fewer guidance.',
      'non-finite',
    );
  }
  throwIfAborted(hooks.signal);
  return latents;
}

/** latents / scaling_factor + shift_factor, then the VAE decoder (diffusers' decode path). */
export async function decodeLatents(
  sessions: ModelSessions,
  latents: Float32Array,
  latentShape: readonly number[],
): Promise<Float32Array> {
  const vae = sessions.model.vae;
  const scaled = new Float32Array(latents.length);
  const scale = Math.fround(vae.scalingFactor);
  for (let i = 0; i < latents.length; i++) scaled[i] = latents[i] / scale + vae.shiftFactor;
  const decoder = await sessions.get('vae_decoder');
  const input = decoder.signature.input('latent_sample');
  decoder.signature.output('sample');
  const result = await decoder.session.run({ latent_sample: floatTensor(input, scaled, latentShape) }, ['sample']);
  const decoded = tensorToFloat32(result.sample, 'vae_decoder sample');
  await sessions.done('vae_decoder');
  if (findNonFinite(decoded) >= 0) {
    throw new EngineError(
      'The VAE decoder produced NaN or infinite values: the SDXL VAE overflows in float16. Use the fp16-fix VAE (madebyollin/sdxl-vae-fp16-fix) or a float32 vae_decoder.',
      'non-finite',
    );
  }
  return decoded;
}
