import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { ModelFamily } from '../../protocol/modelFamily';
import { EngineError } from '../errors';

/** A model folder's ONNX components, in the order their phases run. */
export const COMPONENT_NAMES = ['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder', 'vae_encoder'] as const;
export type ComponentName = (typeof COMPONENT_NAMES)[number];


/**
 * Few-step distillations that change the right defaults: 'turbo' (adversarial diffusion
 * distillation, SDXL Turbo / SD Turbo) and 'lcm' (latent consistency models, LCM UNets and
 * LCM-LoRA merges).
 */
export type Distillation = 'turbo' | 'lcm';

export interface FamilyDetails {
  family: ModelFamily;
  /** SD only: 1 for CLIP ViT-L text encoders (SD 1.x), 2 for OpenCLIP ViT-H (SD 2.x). */
  sdVersion?: 1 | 2;
  distillation?: Distillation;
  /** The scheduler config's prediction_type; diffusers' default is epsilon. */
  predictionType: string;
  /** The UNet config's time_cond_proj_dim: an LCM UNet's guidance-embedding width. */
  timeCondProjDim?: number;
  /** model_index.json's requires_aesthetics_score (the SDXL refiner's time ids carry a score). */
  requiresAestheticsScore: boolean;
}

export interface UnetConfig {
  blockOutChannels: number[];
  inChannels: number;
  /** Latent size the model was trained at, if the config says. */
  sampleSize: number | undefined;
}

export interface VaeConfig {
  scalingFactor: number;
  shiftFactor: number;
  /** Pixel size of one latent cell: 2^(levels-1). */
  scaleFactor: number;
  /** The config's sample_size: diffusers' tile size in pixels when tiling is on (AutoencoderKL's default 32 when absent). */
  sampleSize: number;
  /** Channels of each level, full resolution first (SDXL: 128, 256, 512, 512). */
  blockOutChannels: number[];
  latentChannels: number;
}

export interface ModelFolder {
  dir: string;
  /** Shown to users and written into recipes. */
  name: string;
  family: ModelFamily;
  details: FamilyDetails;
  /** model.onnx path of each component present. */
  onnx: Partial<Record<ComponentName, string>>;
  tokenizerDirs: string[];
  schedulerConfig: Record<string, unknown>;
  unet: UnetConfig;
  vae: VaeConfig;
  /** diffusers' StableDiffusionXLPipeline default is true; StableDiffusionPipeline has no such option (false). */
  forceZerosForEmptyPrompt: boolean;
  /** num_hidden_layers of each text encoder config, when the folder has one. */
  textEncoderLayers: Partial<Record<'text_encoder' | 'text_encoder_2', number>>;
}

/** Sub-folders each family needs; the tokenizers listed are the ones its text encoders use, in order. */
const REQUIRED: Record<ModelFamily, { entries: string[]; tokenizers: string[] }> = {
  sdxl: {
    entries: ['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder', 'tokenizer', 'tokenizer_2', 'scheduler'],
    tokenizers: ['tokenizer', 'tokenizer_2'],
  },
  'sdxl-refiner': {
    entries: ['text_encoder_2', 'unet', 'vae_decoder', 'tokenizer_2', 'scheduler'],
    tokenizers: ['tokenizer_2'],
  },
  sd: { entries: ['text_encoder', 'unet', 'vae_decoder', 'tokenizer', 'scheduler'], tokenizers: ['tokenizer'] },
};

/**
 * Reads a diffusers/Optimum ONNX folder. The family comes from which sub-folders exist,
 * not from model_index.json's class names, because Optimum and diffusers write that file
 * in different formats.
 */
export function readModelFolder(dirArg: string): ModelFolder {
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new EngineError(`Model folder not found: ${dir}`, 'model-folder');
  }
  const has = (sub: string) => existsSync(join(dir, sub, 'model.onnx'));
  const family = detectFamily(dir, has);
  for (const sub of REQUIRED[family].entries) requireEntry(dir, sub, family);

  const onnx: ModelFolder['onnx'] = {};
  for (const component of COMPONENT_NAMES) {
    if (has(component)) onnx[component] = join(dir, component, 'model.onnx');
  }
  const index = readJsonIfPresent(join(dir, 'model_index.json')) ?? {};
  const unetConfig = readJson(join(dir, 'unet', 'config.json'));
  const vaeConfig = readJson(join(dir, 'vae_decoder', 'config.json'));
  const schedulerConfig = readJson(join(dir, 'scheduler', 'scheduler_config.json'));
  const textEncoderConfig = readJsonIfPresent(join(dir, 'text_encoder', 'config.json'));
  const textEncoder2Config = readJsonIfPresent(join(dir, 'text_encoder_2', 'config.json'));
  return {
    dir,
    name: modelName(dir),
    family,
    details: familyDetails(family, { index, unetConfig, schedulerConfig, textEncoderConfig, textEncoder2Config }),
    onnx,
    tokenizerDirs: REQUIRED[family].tokenizers.map((sub) => join(dir, sub)),
    schedulerConfig,
    unet: parseUnetConfig(unetConfig, join(dir, 'unet', 'config.json')),
    vae: parseVaeConfig(vaeConfig, join(dir, 'vae_decoder', 'config.json')),
    forceZerosForEmptyPrompt: family !== 'sd' && index.force_zeros_for_empty_prompt !== false,
    textEncoderLayers: {
      text_encoder: layerCount(join(dir, 'text_encoder', 'config.json')),
      text_encoder_2: layerCount(join(dir, 'text_encoder_2', 'config.json')),
    },
  };
}

/** diffusers' inpainting UNets: 4 latent channels, the mask, 4 masked-image latent channels. */
export const INPAINT_UNET_CHANNELS = 9;

/** UNet size multiple in pixels: the VAE factor times one halving per down level after the first. */
export function sizeMultiple(model: ModelFolder): number {
  return model.vae.scaleFactor * 2 ** (model.unet.blockOutChannels.length - 1);
}

function detectFamily(dir: string, has: (sub: string) => boolean): ModelFamily {
  if (!has('unet')) throw missing(dir, 'unet/model.onnx');
  if (has('text_encoder_2')) return has('text_encoder') ? 'sdxl' : 'sdxl-refiner';
  if (has('text_encoder')) return 'sd';
  throw missing(dir, 'text_encoder/model.onnx');
}

interface FamilyEvidence {
  index: Record<string, unknown>;
  unetConfig: Record<string, unknown>;
  schedulerConfig: Record<string, unknown>;
  textEncoderConfig: Record<string, unknown> | undefined;
  textEncoder2Config?: Record<string, unknown>;
}

/**
 * What the configs say beyond the encoders present. Turbo checkpoints ship a scheduler with
 * trailing spacing (stabilityai/sdxl-turbo and sd-turbo); LCM shows as an LCMScheduler or a
 * UNet with time_cond_proj_dim. SD 1.x uses CLIP ViT-L (768 wide, quick_gelu), SD 2.x OpenCLIP
 * ViT-H (1024 wide, gelu).
 */
export function familyDetails(family: ModelFamily, evidence: FamilyEvidence): FamilyDetails {
  const { index, unetConfig, schedulerConfig, textEncoderConfig } = evidence;
  const timeCondProjDim = typeof unetConfig.time_cond_proj_dim === 'number' ? unetConfig.time_cond_proj_dim : undefined;
  const distillation: Distillation | undefined =
    timeCondProjDim !== undefined || schedulerConfig._class_name === 'LCMScheduler'
      ? 'lcm'
      : schedulerConfig.timestep_spacing === 'trailing'
        ? 'turbo'
        : undefined;
  const details: FamilyDetails = {
    family,
    predictionType: typeof schedulerConfig.prediction_type === 'string' ? schedulerConfig.prediction_type : 'epsilon',
    requiresAestheticsScore:
      typeof index.requires_aesthetics_score === 'boolean'
        ? index.requires_aesthetics_score
        : addedTimeIdCount(unetConfig, evidence.textEncoder2Config) === 5,
    ...(distillation ? { distillation } : {}),
    ...(timeCondProjDim !== undefined ? { timeCondProjDim } : {}),
  };
  if (family === 'sd') details.sdVersion = sdVersion(unetConfig, textEncoderConfig);
  return details;
}

/**
 * How many time ids the UNet's added embedding was trained with, from its config: the
 * text_time embedding takes the pooled text (text_encoder_2's projection_dim) and one
 * addition_time_embed_dim sinusoid per id (diffusers' UNet2DConditionModel). A refiner folder
 * whose model_index.json leaves out requires_aesthetics_score is still known by its 5.
 */
function addedTimeIdCount(
  unetConfig: Record<string, unknown>,
  textEncoder2Config: Record<string, unknown> | undefined,
): number | undefined {
  const total = unetConfig.projection_class_embeddings_input_dim;
  const perId = unetConfig.addition_time_embed_dim;
  const pooled = textEncoder2Config?.projection_dim;
  if (typeof total !== 'number' || typeof perId !== 'number' || typeof pooled !== 'number' || perId <= 0) return undefined;
  return (total - pooled) / perId;
}

function sdVersion(unetConfig: Record<string, unknown>, textEncoderConfig: Record<string, unknown> | undefined): 1 | 2 {
  const width = unetConfig.cross_attention_dim ?? textEncoderConfig?.hidden_size;
  if (width === 768) return 1;
  if (width === 1024) return 2;
  return textEncoderConfig?.hidden_act === 'gelu' ? 2 : 1;
}

/** How `info` and the panel name a family, e.g. "SD 2.x (v-prediction)" or "SDXL Turbo". */
export function familyLabel(details: FamilyDetails): string {
  const base = { sdxl: 'SDXL', 'sdxl-refiner': 'SDXL refiner', sd: `SD ${details.sdVersion ?? 1}.x` }[details.family];
  const name =
    details.distillation === 'turbo' ? `${base} Turbo` : details.distillation === 'lcm' ? `${base} LCM` : base;
  return details.predictionType === 'v_prediction' ? `${name}, v-prediction` : name;
}

function requireEntry(dir: string, sub: string, family: ModelFamily): void {
  const files: Record<string, string[]> = {
    tokenizer: ['vocab.json', 'merges.txt'],
    tokenizer_2: ['vocab.json', 'merges.txt'],
    scheduler: ['scheduler_config.json'],
  };
  for (const file of files[sub] ?? ['model.onnx']) {
    if (!existsSync(join(dir, sub, file))) throw missing(dir, `${sub}/${file}`, family);
  }
}

function missing(dir: string, file: string, family?: ModelFamily): EngineError {
  const kind = family ? { sdxl: 'SDXL', 'sdxl-refiner': 'SDXL refiner', sd: 'SD 1.x/2.x' }[family] : 'Stable Diffusion';
  return new EngineError(`${dir} is not a usable ${kind} ONNX folder: ${file} is missing.`, 'model-folder');
}

function parseUnetConfig(config: Record<string, unknown>, path: string): UnetConfig {
  const blockOutChannels = config.block_out_channels;
  if (!Array.isArray(blockOutChannels) || blockOutChannels.length === 0) {
    throw new EngineError(`${path}: block_out_channels is missing or empty.`, 'model-folder');
  }
  return {
    blockOutChannels: blockOutChannels.map(Number),
    inChannels: typeof config.in_channels === 'number' ? config.in_channels : 4,
    sampleSize: typeof config.sample_size === 'number' ? config.sample_size : undefined,
  };
}

function parseVaeConfig(config: Record<string, unknown>, path: string): VaeConfig {
  const blockOutChannels = config.block_out_channels;
  if (typeof config.scaling_factor !== 'number') {
    throw new EngineError(`${path}: scaling_factor is missing.`, 'model-folder');
  }
  const channels = Array.isArray(blockOutChannels) && blockOutChannels.every((c) => typeof c === 'number')
    ? (blockOutChannels as number[])
    : [128, 256, 512, 512];
  // AutoencoderKL takes the first of a [height, width] sample_size for its latent tile.
  const sampleSize = Array.isArray(config.sample_size) ? config.sample_size[0] : config.sample_size;
  return {
    scalingFactor: config.scaling_factor,
    shiftFactor: typeof config.shift_factor === 'number' ? config.shift_factor : 0,
    scaleFactor: 2 ** (channels.length - 1),
    sampleSize: typeof sampleSize === 'number' ? sampleSize : 32,
    blockOutChannels: channels,
    latentChannels: typeof config.latent_channels === 'number' ? config.latent_channels : 4,
  };
}

function layerCount(path: string): number | undefined {
  const config = readJsonIfPresent(path);
  return typeof config?.num_hidden_layers === 'number' ? config.num_hidden_layers : undefined;
}

/**
 * Hugging Face cache snapshots are named by revision hash; the repo folder above says more. The
 * ONNX layout may sit in a sub-folder of the snapshot (a catalog entry's path prefix).
 */
function modelName(dir: string): string {
  const snapshot = /models--([^/\\]+)--([^/\\]+)[/\\]snapshots[/\\][^/\\]+(?:[/\\][^/\\]+)*$/.exec(dir);
  return snapshot ? `${snapshot[1]}/${snapshot[2]}` : basename(dir);
}

function readJson(path: string): Record<string, unknown> {
  const value = readJsonIfPresent(path);
  if (!value) throw new EngineError(`${path} is missing.`, 'model-folder');
  return value;
}

function readJsonIfPresent(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const value: unknown = JSON.parse(pythonJsonToJson(readFileSync(path, 'utf8')));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch (error) {
    throw new EngineError(`${path} is not valid JSON: ${(error as Error).message}`, 'model-folder');
  }
  throw new EngineError(`${path} does not hold a JSON object.`, 'model-folder');
}

/**
 * Python's json module writes Infinity and NaN bare (diffusers saves DPM-Solver's
 * lambda_min_clipped as -Infinity); 1e999 parses as Infinity and NaN has no JSON form.
 */
function pythonJsonToJson(text: string): string {
  return text.replace(/("(?:[^"\\]|\\.)*")|(-?)Infinity\b|\bNaN\b/g, (match, str: string | undefined, minus: string | undefined) => {
    if (str) return str;
    if (match === 'NaN') return 'null';
    return `${minus ?? ''}1e999`;
  });
}
