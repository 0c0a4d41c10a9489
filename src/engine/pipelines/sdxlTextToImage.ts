import type { ClipTokenizer } from '../text/clipTokenizer';
import type { ModelSessions } from '../runtime/modelSessions';
import type { GenerationSettings } from '../recipe';
import type { Phase } from './phase';
import { EngineError, throwIfAborted } from '../errors';
import { findNonFinite } from '../image/postprocess';
import { TorchGenerator } from '../random/torchGenerator';
import { floatTensor, tensorToFloat32 } from '../runtime/tensors';
import { createScheduler } from '../schedulers/scheduler';
import { denoise, type StepInfo } from './denoiseLoop';
import { encodeSdxlPrompts } from './sdxlPromptEncoding';
import { UnetRunner } from './unetRunner';
import { validateSettings } from './generationSettings';

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

/** diffusers StableDiffusionXLPipeline.__call__ with a CPU torch.Generator, batch 1. */
export async function sdxlTextToImage(
  sessions: ModelSessions,
  tokenizers: [ClipTokenizer, ClipTokenizer],
  settings: GenerationSettings,
  hooks: PipelineHooks = {},
): Promise<PipelineResult> {
  const model = sessions.model;
  validateSettings(settings, model);
  const guidance = settings.guidance > 1;
  const scheduler = createScheduler(settings.sampler, model.schedulerConfig, {
    karras: settings.karras,
    ...(settings.timestepSpacing ? { timestepSpacing: settings.timestepSpacing } : {}),
  });
  scheduler.setTimesteps(settings.steps);

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
    guidance,
    model.forceZerosForEmptyPrompt,
  );
  await sessions.done('text_encoder');
  await sessions.done('text_encoder_2');
  throwIfAborted(hooks.signal);

  const vaeFactor = model.vae.scaleFactor;
  const latentShape = [1, model.unet.inChannels, settings.height / vaeFactor, settings.width / vaeFactor];
  const generator = new TorchGenerator(settings.seed);
  const noise = generator.randn(latentShape);
  const sigma = Math.fround(scheduler.initNoiseSigma);
  const initial = new Float32Array(noise.length);
  for (let i = 0; i < noise.length; i++) initial[i] = noise[i] * sigma;

  hooks.onPhase?.('denoise');
  const unet = await sessions.get('unet');
  // SDXL micro-conditioning: original size, crop top-left, target size, height first.
  const timeIds = [settings.height, settings.width, 0, 0, settings.height, settings.width];
  const latents = await denoise(initial, {
    scheduler,
    unet: new UnetRunner(unet, latentShape, conditioning, timeIds),
    generator,
    latentShape,
    guidance: settings.guidance,
    beginIndex: 0,
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

  hooks.onPhase?.('decode');
  const decoded = await decodeLatents(sessions, latents, latentShape);
  return { latents, latentShape, decoded };
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
