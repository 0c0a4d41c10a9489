// What the VAE's activations need at a size, whole or in diffusers' tiles, so that the memory
// plan can decide when to tile. Estimates from the architecture of diffusers' Encoder and Decoder
// (diffusers/models/autoencoders/vae.py), calibrated on ONNX Runtime's CPU arena; weights are the
// plan's to add. They err high: an estimate that is short ends in the out-of-memory killer.
import type { VaeTiling } from '../../protocol/recipe';
import { VAE_TILE_LATENT_MULTIPLE } from '../../protocol/generationLimits';
import type { VaeConfig } from '../models/modelFolder';
import { decodeTilePlan, encodeTilePlan, needsTiles, tileCount, tileStarts, type TilePlan } from './vaeTiles';

/**
 * Tensors of the widest layer alive at once at one resolution: a resnet's input (kept for the
 * skip), its group norm, activation and convolution outputs.
 */
const LIVE_TENSORS = 4;
/**
 * ONNX Runtime's CPU arena grows in doubling chunks, so a run holds up to half again what its
 * tensors need. Measured on a full-size SDXL VAE decoder (random weights, float32, CPU), RSS above
 * the loaded session: 256² 229 MiB, 512² 1016 MiB, 768² 3359 MiB, against 256, 1024 and 2304 MiB
 * of tensors by the count above.
 */
const ARENA_SLACK = 1.5;
/**
 * A tiled run feeds tiles of several shapes (the edge tiles are narrower), and the arena keeps
 * blocks for each: measured 456 MiB for 512² in 256 px tiles against 229 MiB for one 256² run.
 */
const TILE_SHAPES_SLACK = 2;

export type VaeShape = Pick<VaeConfig, 'blockOutChannels' | 'latentChannels' | 'scaleFactor' | 'sampleSize'>;

export interface VaeMemoryEstimate {
  /** Peak bytes of activations for the whole image in one run. */
  whole: number;
  /** Peak bytes with tiles of `tileSize`: one tile's activations plus the tiles and output kept meanwhile. */
  tiled: number;
  tileSize: number;
  /** Tiles the tiled run takes (1: the image is not larger than a tile, and tiling changes nothing). */
  tiles: number;
}

/**
 * Peak activation bytes of the decoder for a width × height image. Each up block runs at twice the
 * resolution of the last, the widest tensors at full resolution being the upsampler's into the last
 * block; the mid block's single-head attention holds two (h·w)² matrices (scores, softmax).
 */
export function decoderActivationBytes(vae: VaeShape, width: number, height: number, bytesPerValue = 4): number {
  const channels = [...vae.blockOutChannels].reverse();
  const latentCells = (width / vae.scaleFactor) * (height / vae.scaleFactor);
  let peak = attentionValues(channels[0], latentCells);
  for (let level = 0; level < channels.length; level++) {
    const widest = Math.max(channels[level], level > 0 ? channels[level - 1] : vae.latentChannels);
    peak = Math.max(peak, LIVE_TENSORS * widest * latentCells * 4 ** level);
  }
  return ARENA_SLACK * peak * bytesPerValue;
}

/** Peak activation bytes of the encoder: the mirror image, widest at full resolution in the first block. */
export function encoderActivationBytes(vae: VaeShape, width: number, height: number, bytesPerValue = 4): number {
  const channels = vae.blockOutChannels;
  const levels = channels.length;
  const pixels = width * height;
  let peak = attentionValues(channels[levels - 1], pixels / 4 ** (levels - 1));
  for (let level = 0; level < levels; level++) {
    const widest = Math.max(channels[level], level > 0 ? channels[level - 1] : 3);
    peak = Math.max(peak, LIVE_TENSORS * widest * (pixels / 4 ** level));
  }
  return ARENA_SLACK * peak * bytesPerValue;
}

/** What decoding a width × height image needs whole and in tiles of tileSize pixels (default: the VAE config's). */
export function vaeDecodeMemory(vae: VaeShape, width: number, height: number, tileSize = vae.sampleSize, bytesPerValue = 4): VaeMemoryEstimate {
  const plan = decodeTilePlan(tileSize, vae.scaleFactor);
  const latent = { width: width / vae.scaleFactor, height: height / vae.scaleFactor };
  const whole = decoderActivationBytes(vae, width, height, bytesPerValue);
  if (!needsTiles(plan, latent.height, latent.width)) return { whole, tiled: whole, tileSize, tiles: 1 };
  const tile = { width: Math.min(tileSize, width), height: Math.min(tileSize, height) };
  // Kept meanwhile, in float32 whatever the model's precision: the output, the row of tiles above and the row being made.
  const kept = 4 * 3 * (width * height + 2 * rowOfTiles(plan, latent.width) * tile.height * tile.width);
  return {
    whole,
    tiled: TILE_SHAPES_SLACK * decoderActivationBytes(vae, tile.width, tile.height, bytesPerValue) + kept,
    tileSize,
    tiles: tileCount(plan, latent.height, latent.width),
  };
}

/** What encoding a width × height image needs whole and in tiles. */
export function vaeEncodeMemory(vae: VaeShape, width: number, height: number, tileSize = vae.sampleSize, bytesPerValue = 4): VaeMemoryEstimate {
  const plan = encodeTilePlan(tileSize, vae.scaleFactor);
  const whole = encoderActivationBytes(vae, width, height, bytesPerValue);
  if (!needsTiles(plan, height, width)) return { whole, tiled: whole, tileSize, tiles: 1 };
  const tile = { width: Math.min(tileSize, width), height: Math.min(tileSize, height) };
  const latentTile = (tile.width / vae.scaleFactor) * (tile.height / vae.scaleFactor);
  const kept = 4 * (3 * width * height + 2 * 2 * vae.latentChannels * rowOfTiles(plan, width) * latentTile);
  return {
    whole,
    tiled: TILE_SHAPES_SLACK * encoderActivationBytes(vae, tile.width, tile.height, bytesPerValue) + kept,
    tileSize,
    tiles: tileCount(plan, height, width),
  };
}

/**
 * The tiling that lets a decode of width × height fit in `availableBytes` of activations:
 * undefined when the whole decode fits; else the VAE config's tile size when that fits, else the
 * largest smaller tile on the grid diffusers' overlap allows that does, down to the smallest.
 */
export function vaeTilingFor(vae: VaeShape, width: number, height: number, availableBytes: number, bytesPerValue = 4): VaeTiling | undefined {
  if (decoderActivationBytes(vae, width, height, bytesPerValue) <= availableBytes) return undefined;
  const grid = VAE_TILE_LATENT_MULTIPLE * vae.scaleFactor;
  let tileSize = Math.max(grid, Math.floor(Math.min(vae.sampleSize, Math.max(width, height)) / grid) * grid);
  while (tileSize > grid && vaeDecodeMemory(vae, width, height, tileSize, bytesPerValue).tiled > availableBytes) tileSize -= grid;
  return { tileSize };
}

function rowOfTiles(plan: TilePlan, width: number): number {
  return tileStarts(width, plan.stride).length;
}

/** Values of single-head attention over `tokens` of `channels`: q, k, v and output, scores and their softmax. */
function attentionValues(channels: number, tokens: number): number {
  return 4 * channels * tokens + 2 * tokens * tokens;
}
