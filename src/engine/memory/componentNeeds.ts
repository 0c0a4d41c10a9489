// What each component of a model folder needs for one job: its weights, from the bytes of its
// files (so fp16 folders count half), and its working memory for the job's size and batch.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ComponentName, ModelFolder } from '../models/modelFolder';
import { vaeDecodeMemory, vaeEncodeMemory } from '../image/vaeMemory';
import type { ComponentNeed } from './memoryPlan';

export interface JobShape {
  width: number;
  height: number;
  /** The decode (and image encode) in tiles of this many pixels, when tiled. */
  vaeTileSize?: number;
  /** Images per UNet call. */
  batch: number;
  /** Classifier-free guidance doubles the UNet's rows. */
  guidance: boolean;
  /** Image-to-image runs the VAE encoder first. */
  imageToImage: boolean;
}

const MIB = 2 ** 20;
const FLOAT = 4;
/** The text encoders see 77 tokens whatever the image: a constant that covers CLIP bigG's outputs. */
const TEXT_ENCODER_WORKING = 256 * MIB;
/**
 * Multipliers on the largest tensors: how many attention-score-sized and feature-map-sized
 * buffers ONNX Runtime holds at once, set so that the estimates stay above the peaks measured
 * on full-size random-weight models on the CPU (README, "Memory").
 */
const UNET_SCORE_BUFFERS = 3;
const UNET_MAP_BUFFERS = 24;
/** A 64-wide attention head, as SDXL and SD 2.x have (their attention_head_dim counts heads). */
const HEAD_WIDTH = 64;

/** The job's components in the order their phases run. */
export function componentNeeds(model: ModelFolder, job: JobShape): ComponentNeed[] {
  const needs: ComponentNeed[] = [];
  const add = (component: ComponentName, phase: string, activations: number, keepsWorkingMemory = false) => {
    const path = model.onnx[component];
    if (path) needs.push({ component, phase, weights: folderBytes(dirname(path)), activations, keepsWorkingMemory });
  };
  add('text_encoder', 'encode prompt', TEXT_ENCODER_WORKING);
  add('text_encoder_2', 'encode prompt', TEXT_ENCODER_WORKING);
  // Two SD 2.1 jobs at 512² with the VAE staying loaded peaked 1.2 GiB above what the UNet's
  // arena explains: a VAE run's memory stays with its session, arena or not.
  if (job.imageToImage) add('vae_encoder', 'encode image', vaeWorking(vaeEncodeMemory, model, job), true);
  add('unet', 'denoise', unetWorking(model, job), true);
  add('vae_decoder', 'decode', vaeWorking(vaeDecodeMemory, model, job), true);
  return needs;
}

/**
 * The UNet's attention scores at its first attention level (the widest token count: the first
 * level for SD, the second for SDXL, whose first level has none) and its first level's feature maps.
 */
function unetWorking(model: ModelFolder, job: JobShape): number {
  const rows = job.batch * (job.guidance ? 2 : 1);
  const latentCells = (job.width / model.vae.scaleFactor) * (job.height / model.vae.scaleFactor);
  const level = model.family === 'sd' ? 0 : 1;
  const channels = model.unet.blockOutChannels;
  const tokens = latentCells / 4 ** level;
  const heads = Math.max(1, channels[level] / HEAD_WIDTH);
  const scores = rows * heads * tokens * tokens * FLOAT;
  const maps = rows * latentCells * channels[0] * FLOAT;
  return UNET_SCORE_BUFFERS * scores + UNET_MAP_BUFFERS * maps;
}

/** The VAE runs one image at a time, whole or in tiles, as vaeMemory estimates it. */
function vaeWorking(estimate: typeof vaeDecodeMemory, model: ModelFolder, job: JobShape): number {
  const memory = estimate(model.vae, job.width, job.height, job.vaeTileSize ?? model.vae.sampleSize);
  return job.vaeTileSize === undefined ? memory.whole : memory.tiled;
}

/** Every file of the component's folder: model.onnx plus its external data, whatever it is called. */
function folderBytes(dir: string): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && entry.name !== 'config.json') bytes += statSync(join(dir, entry.name)).size;
  }
  return bytes;
}
