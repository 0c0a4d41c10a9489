// The stages text-to-image and image-to-image share, for SDXL and SD 1.x/2.x alike, so all run
// the same prompt encoding, UNet loop and VAE decoding and differ only in how the first latents
// are made and in what the family's UNet takes.
import type { ClipTokenizer } from '../text/clipTokenizer';
import type { ModelSessions } from '../runtime/modelSessions';
import type { GenerationSettings, VaeTiling } from '../../protocol/recipe';
import { TorchGenerator } from '../random/torchGenerator';
import type { Phase } from '../../protocol/phase';
import { EngineError, throwIfAborted } from '../errors';
import { findNonFinite } from '../image/postprocess';
import { createScheduler, type Scheduler } from '../schedulers/scheduler';
import { INPAINT_UNET_CHANNELS, type ModelFolder } from '../models/modelFolder';
import { denoiseTracks, type DenoiseTrack, type InpaintStepping, type StepInfo } from './denoiseLoop';
import { encodePrompts, type Conditioning, type TextEncoderSpec } from './promptEncoding';
import { checkTimeIdWidth, sdxlTimeIds } from './microConditioning';
import { UnetRunner } from './unetRunner';
import { runVaeDecoder, type TileInfo } from './vaeRuns';

/** A loaded model as the engine keeps it and a pipeline runs it: its folder, its sessions, the tokenizers of its text encoders. */
export interface LoadedModel {
  folder: ModelFolder;
  sessions: ModelSessions;
  /** One per text encoder, in the order the family's encoders run. */
  tokenizers: readonly ClipTokenizer[];
}

/** What every pipeline runs on: the job's model and, for a base→refiner hand-off, the refiner that takes over. */
export interface PipelineModels {
  model: LoadedModel;
  refiner?: LoadedModel;
}

export interface PipelineHooks {
  signal?: AbortSignal;
  onPhase?: (phase: Phase) => void;
  onStep?: (info: StepInfo) => void;
  /** Before each VAE tile when the VAE runs in tiles. */
  onTile?: (info: TileInfo) => void;
}

export interface PipelineResult {
  /** Final latents [1,C,h,w], before VAE scaling. */
  latents: Float32Array;
  latentShape: number[];
  /** VAE decoder output [1,3,H,W], roughly in [-1,1]. */
  decoded: Float32Array;
  /** The finished RGB picture when it is not the decoded one (inpainting's paste-back onto the whole canvas). */
  picture?: { data: Uint8Array; width: number; height: number };
}

/** The job's sampler from the model's scheduler config, with its timesteps set. */
export function jobScheduler(settings: GenerationSettings, schedulerConfig: Readonly<Record<string, unknown>>): Scheduler {
  const scheduler = createScheduler(settings.sampler, schedulerConfig, {
    karras: settings.karras,
    ...(settings.timestepSpacing ? { timestepSpacing: settings.timestepSpacing } : {}),
  });
  try {
    scheduler.setTimesteps(settings.steps);
  } catch (error) {
    // A schedule that cannot take the job's step count (PNDM's warm-up needs four, LCM at most
    // its distillation's) refuses the request, as diffusers does with a ValueError.
    if (error instanceof RangeError) throw new EngineError(`${error.message}.`, 'bad-request');
    throw error;
  }
  return scheduler;
}

/**
 * Text-to-image's first latents, diffusers' prepare_latents: randn from the job's seed on the CPU
 * generator, times the scheduler's init_noise_sigma. The generator goes on to feed the steps.
 */
export function initialNoise(
  model: ModelFolder,
  settings: GenerationSettings,
  scheduler: Scheduler,
): { latentShape: number[]; generator: TorchGenerator; initial: Float32Array } {
  const latentShape = latentShapeOf(model, settings);
  const generator = new TorchGenerator(settings.seed);
  const noise = generator.randn(latentShape);
  const sigma = Math.fround(scheduler.initNoiseSigma);
  const initial = new Float32Array(noise.length);
  for (let i = 0; i < noise.length; i++) initial[i] = noise[i] * sigma;
  return { latentShape, generator, initial };
}

/** [1, C, h, w]: the VAE's latent channels at the job's size over the VAE factor (an inpainting UNet takes more channels than it returns). */
export function latentShapeOf(model: ModelFolder, size: { width: number; height: number }): number[] {
  const factor = model.vae.scaleFactor;
  return [1, model.vae.latentChannels, size.height / factor, size.width / factor];
}

/** The UNet's sample: the latents' channels plus any an inpainting UNet takes besides them. */
function unetInputShape(latentShape: readonly number[], extra: Float32Array | undefined): number[] {
  const [batch, channels, height, width] = latentShape;
  return [batch, channels + (extra ? extra.length / (height * width) : 0), height, width];
}

/** A UNet export whose channel count differs from what the job feeds would fail inside ONNX Runtime with a bare shape error. */
function checkUnetChannels(declared: unknown, fed: number, model: ModelFolder): void {
  if (typeof declared !== 'number' || declared === fed) return;
  if (declared === INPAINT_UNET_CHANNELS) {
    throw new EngineError(`${model.dir} has an inpainting UNet (9 input channels): it needs an input image and a mask to repaint.`, 'bad-request');
  }
  throw new EngineError(
    `unet/model.onnx takes ${declared} input channels, but this job feeds it ${fed} (unet/config.json says in_channels ${model.unet.inChannels}); the folder's config does not match its model.`,
    'model-folder',
  );
}

/**
 * Whether the negative branch runs: diffusers' do_classifier_free_guidance, guidance_scale > 1
 * and no time_cond_proj_dim (an LCM UNet takes the guidance as an embedding instead).
 */
function usesClassifierFreeGuidance(settings: GenerationSettings, model: ModelFolder): boolean {
  return settings.guidance > 1 && model.details.timeCondProjDim === undefined;
}

/** Each family's text encoders in the order their states are concatenated; the SDXL refiner has only OpenCLIP bigG. */
const TEXT_ENCODERS = {
  sdxl: ['text_encoder', 'text_encoder_2'],
  'sdxl-refiner': ['text_encoder_2'],
  sd: ['text_encoder'],
} as const satisfies Record<ModelFolder['family'], readonly ('text_encoder' | 'text_encoder_2')[]>;

/** The prompt (and, under guidance, the negative) as UNet conditioning; the text encoders live only for this. */
export async function encodeConditioning(
  sessions: ModelSessions,
  tokenizers: readonly ClipTokenizer[],
  settings: GenerationSettings,
  hooks: PipelineHooks,
): Promise<Conditioning> {
  const model = sessions.model;
  hooks.onPhase?.('encode');
  const components = TEXT_ENCODERS[model.family];
  const specs: TextEncoderSpec[] = [];
  for (const [i, component] of components.entries()) {
    specs.push({
      tokenizer: tokenizers[i],
      encoder: await sessions.get(component),
      configLayers: model.textEncoderLayers[component],
      hiddenState: model.family === 'sd' ? 'last' : 'penultimate',
      pooled: component === 'text_encoder_2',
    });
  }
  throwIfAborted(hooks.signal);
  const conditioning = await encodePrompts(specs, settings.prompt, settings.negativePrompt, {
    guidance: usesClassifierFreeGuidance(settings, model),
    forceZerosForEmptyPrompt: model.forceZerosForEmptyPrompt,
    weighting: settings.promptWeighting === true,
  });
  for (const component of components) await sessions.done(component);
  throwIfAborted(hooks.signal);
  return conditioning;
}

export interface DenoiseJob {
  settings: GenerationSettings;
  conditioning: Conditioning;
  scheduler: Scheduler;
  generator: TorchGenerator;
  latentShape: number[];
  /** Index into scheduler.timesteps of the first step (image-to-image starts part-way). */
  beginIndex: number;
  /** Index of the timestep to stop before (a base handing over to a refiner); absent: the end. */
  endIndex?: number;
  /** Inpainting: the UNet's extra channels or the blend after each step. */
  inpaint?: InpaintStepping;
}

/**
 * The shared UNet loop from `initial`, with SDXL's micro-conditioning for the job's size and an
 * LCM UNet's guidance embedding.
 */
export async function denoiseLatents(
  sessions: ModelSessions,
  initial: Float32Array,
  job: DenoiseJob,
  hooks: PipelineHooks,
): Promise<Float32Array> {
  const { scheduler, generator, ...shared } = job;
  return (await denoiseBatch(sessions, [{ initial, scheduler, generator }], shared, hooks))[0];
}

/** The loop for several images of one prompt and settings, each with its own track, in shared UNet calls. */
export async function denoiseBatch(
  sessions: ModelSessions,
  tracks: readonly DenoiseTrack[],
  job: Omit<DenoiseJob, 'scheduler' | 'generator'>,
  hooks: PipelineHooks,
): Promise<Float32Array[]> {
  const { settings, latentShape } = job;
  const model = sessions.model;
  hooks.onPhase?.('denoise');
  const unet = await sessions.get('unet');
  const timeIds = sdxlTimeIds(model, settings);
  if (timeIds) checkTimeIdWidth(model, unet.signature.input('time_ids').shape[1], timeIds);
  const condDim = model.details.timeCondProjDim;
  const timestepCond = condDim === undefined ? undefined : guidanceScaleEmbedding(settings.guidance - 1, condDim);
  const inputShape = unetInputShape(latentShape, job.inpaint?.unetExtra);
  checkUnetChannels(unet.signature.input('sample').shape[1], inputShape[1], model);
  const runner = new UnetRunner(unet, inputShape, job.conditioning, timeIds, timestepCond, tracks.length);
  const results = await denoiseTracks(tracks, {
    unet: runner,
    latentShape,
    guidance: settings.guidance,
    guidanceRescale: settings.guidanceRescale,
    beginIndex: job.beginIndex,
    endIndex: job.endIndex,
    inpaint: job.inpaint,
    signal: hooks.signal,
    onStep: hooks.onStep,
  }).finally(() => runner.dispose());
  await sessions.done('unet');
  if (results.some((latents) => findNonFinite(latents) >= 0)) {
    throw new EngineError(
      'The UNet produced NaN or infinite latents. With a float16 model this is an overflow: try a float32 UNet or fewer guidance.',
      'non-finite',
    );
  }
  throwIfAborted(hooks.signal);
  return results;
}

/**
 * diffusers' get_guidance_scale_embedding (StableDiffusionPipeline, LatentConsistencyModelPipeline;
 * after VDM, Kingma et al. 2021): sin ‖ cos of 1000·w·10000^(−i/(half−1)), in float32, zero-padded
 * to an odd width. Pipelines pass w = guidance_scale − 1 (Imagen's CFG form, not LCM's paper's).
 */
export function guidanceScaleEmbedding(w: number, dim: number): Float32Array {
  const half = Math.floor(dim / 2);
  const step = Math.fround(Math.fround(Math.log(10000)) / (half - 1));
  const scaled = Math.fround(Math.fround(w) * 1000);
  const out = new Float32Array(dim);
  for (let i = 0; i < half; i++) {
    const arg = Math.fround(scaled * Math.fround(Math.exp(Math.fround(i * -step))));
    out[i] = Math.sin(arg);
    out[half + i] = Math.cos(arg);
  }
  return out;
}

/** latents / scaling_factor + shift_factor, then the VAE decoder (diffusers' decode path), in tiles when `tiling` says. */
export async function decodeLatents(
  sessions: ModelSessions,
  latents: Float32Array,
  latentShape: readonly number[],
  tiling?: VaeTiling,
  hooks: Pick<PipelineHooks, 'signal' | 'onTile'> = {},
): Promise<Float32Array> {
  const vae = sessions.model.vae;
  const scaled = new Float32Array(latents.length);
  const scale = Math.fround(vae.scalingFactor);
  for (let i = 0; i < latents.length; i++) scaled[i] = latents[i] / scale + vae.shiftFactor;
  const { data: decoded } = await runVaeDecoder(sessions, { data: scaled, shape: latentShape }, tiling, hooks);
  await sessions.done('vae_decoder');
  if (findNonFinite(decoded) >= 0) {
    throw new EngineError(
      `The VAE decoder produced NaN or infinite values. ${vaeOverflowAdvice(sessions.model, 'vae_decoder')}`,
      'non-finite',
    );
  }
  return decoded;
}

/** Why a VAE gives NaN and what to do, for the family at hand: only SDXL's VAE has a known fp16 fix. */
export function vaeOverflowAdvice(model: ModelFolder, component: 'vae_decoder' | 'vae_encoder'): string {
  if (model.family === 'sd') return `A float16 VAE overflows on some inputs: use a float32 ${component}.`;
  return `The SDXL VAE overflows in float16: use the fp16-fix VAE (madebyollin/sdxl-vae-fp16-fix) or a float32 ${component}.`;
}
