// Tiled VAE decoding and encoding as diffusers' AutoencoderKL does them after enable_tiling()
// (diffusers/models/autoencoders/autoencoder_kl.py: tiled_decode, _tiled_encode, blend_v, blend_h):
// overlapping square tiles run through the VAE one at a time, each blended linearly into the
// tile above and the one to its left, then cropped and laid side by side. Pure maths around a
// callback that runs one tile, so that it can run any session, or none in tests.
import { throwIfAborted } from '../errors';

/** diffusers' tile_overlap_factor: neighbouring tiles share a quarter of a tile. */
export const TILE_OVERLAP_FACTOR = 0.25;

export interface TensorData {
  data: Float32Array;
  /** [1, C, H, W] */
  shape: readonly number[];
}

/** One direction of tiling: input tiles of `tile` cells every `stride`, outputs blended over `blend` and cut to `keep`. */
export interface TilePlan {
  tile: number;
  stride: number;
  /** diffusers' blend_extent, in output cells. */
  blend: number;
  /** diffusers' row_limit, in output cells. */
  keep: number;
  /** Output cells per input cell: the VAE factor when decoding, its inverse when encoding. */
  scale: number;
}

/**
 * tiled_decode's numbers for a tile of `tileSize` pixels: latent tiles of tileSize / factor
 * cells (tile_latent_min_size) every three quarters of a tile, blended over a quarter of a pixel tile.
 */
export function decodeTilePlan(tileSize: number, vaeFactor: number): TilePlan {
  return tilePlan(Math.trunc(tileSize / vaeFactor), tileSize, vaeFactor);
}

/** _tiled_encode's numbers, the same with the sides swapped: pixel tiles, blended over a quarter of a latent tile. */
export function encodeTilePlan(tileSize: number, vaeFactor: number): TilePlan {
  return tilePlan(tileSize, Math.trunc(tileSize / vaeFactor), 1 / vaeFactor);
}

function tilePlan(inputTile: number, outputTile: number, scale: number): TilePlan {
  const blend = Math.trunc(outputTile * TILE_OVERLAP_FACTOR);
  return { tile: inputTile, stride: Math.trunc(inputTile * (1 - TILE_OVERLAP_FACTOR)), blend, keep: outputTile - blend, scale };
}

/** Whether diffusers tiles an input of this height and width: when either side is above the tile. */
export function needsTiles(plan: TilePlan, height: number, width: number): boolean {
  return height > plan.tile || width > plan.tile;
}

/** Python's range(0, length, stride): where each tile starts along one side. */
export function tileStarts(length: number, stride: number): number[] {
  const starts: number[] = [];
  for (let start = 0; start < length; start += stride) starts.push(start);
  return starts;
}

/** How many tiles the plan runs for an input of this height and width. */
export function tileCount(plan: TilePlan, height: number, width: number): number {
  return tileStarts(height, plan.stride).length * tileStarts(width, plan.stride).length;
}

export interface TileRunOptions {
  signal?: AbortSignal;
  /** Before each tile runs: its number from 1, and how many there are. */
  onTile?: (tile: number, total: number) => void;
}

/**
 * Runs `runTile` on every tile of `input` in diffusers' order (rows top to bottom, each left to
 * right) and assembles the output. Each tile is blended into the already blended tile above and
 * then the one to its left, as diffusers' in-place blend_v and blend_h leave them; only the row
 * above is kept, not every tile. Cancellation is checked before each tile.
 */
export async function runTiled(
  input: TensorData,
  plan: TilePlan,
  runTile: (tile: TensorData) => Promise<TensorData>,
  options: TileRunOptions = {},
): Promise<TensorData> {
  const [batch, channels, height, width] = input.shape;
  if (batch !== 1) throw new Error(`tiled VAE runs one image at a time, got a batch of ${batch}`);
  const rowStarts = tileStarts(height, plan.stride);
  const colStarts = tileStarts(width, plan.stride);
  const total = rowStarts.length * colStarts.length;
  let output: { data: Float32Array; channels: number; height: number; width: number } | undefined;
  let above: TensorData[] = [];
  let outY = 0;
  let done = 0;
  for (const [r, top] of rowStarts.entries()) {
    const row: TensorData[] = [];
    let outX = 0;
    let rowHeight = 0;
    for (const [c, left] of colStarts.entries()) {
      throwIfAborted(options.signal);
      options.onTile?.(++done, total);
      const crop = cropTile(input.data, channels, height, width, top, left, plan.tile);
      const tile = await runTile(crop);
      if (r > 0) blendVertical(above[c], tile, plan.blend);
      if (c > 0) blendHorizontal(row[c - 1], tile, plan.blend);
      row.push(tile);
      if (!output) output = emptyOutput(tile, plan, height, width);
      const [, , tileHeight, tileWidth] = tile.shape;
      const keepHeight = Math.min(plan.keep, tileHeight);
      const keepWidth = Math.min(plan.keep, tileWidth);
      pasteTile(output, tile, outY, outX, keepHeight, keepWidth);
      outX += keepWidth;
      rowHeight = keepHeight;
    }
    if (output && outX !== output.width) throw new Error(`tiles cover ${outX} of ${output.width} columns`);
    outY += rowHeight;
    above = row;
  }
  if (!output || outY !== output.height) throw new Error(`tiles cover ${outY} of ${output?.height} rows`);
  return { data: output.data, shape: [1, output.channels, output.height, output.width] };
}

function emptyOutput(first: TensorData, plan: TilePlan, height: number, width: number) {
  const channels = first.shape[1];
  const outHeight = height * plan.scale;
  const outWidth = width * plan.scale;
  if (!Number.isInteger(outHeight) || !Number.isInteger(outWidth)) {
    throw new Error(`${height}×${width} is not a whole number of VAE cells at scale ${plan.scale}`);
  }
  return { data: new Float32Array(channels * outHeight * outWidth), channels, height: outHeight, width: outWidth };
}

/** input[:, :, top:top+size, left:left+size], clipped at the edges as a Python slice is. */
function cropTile(data: Float32Array, channels: number, height: number, width: number, top: number, left: number, size: number): TensorData {
  const h = Math.min(size, height - top);
  const w = Math.min(size, width - left);
  const out = new Float32Array(channels * h * w);
  for (let ch = 0; ch < channels; ch++) {
    for (let y = 0; y < h; y++) {
      const from = (ch * height + top + y) * width + left;
      out.set(data.subarray(from, from + w), (ch * h + y) * w);
    }
  }
  return { data: out, shape: [1, channels, h, w] };
}

function pasteTile(
  output: { data: Float32Array; height: number; width: number },
  tile: TensorData,
  outY: number,
  outX: number,
  keepHeight: number,
  keepWidth: number,
): void {
  const [, channels, tileHeight, tileWidth] = tile.shape;
  for (let ch = 0; ch < channels; ch++) {
    for (let y = 0; y < keepHeight; y++) {
      const from = (ch * tileHeight + y) * tileWidth;
      output.data.set(tile.data.subarray(from, from + keepWidth), (ch * output.height + outY + y) * output.width + outX);
    }
  }
}

/**
 * blend_v: the first rows of `below` fade in from the last rows of `above`, weights
 * (1 − y/e, y/e) over e = min(both heights, extent). Each product and the sum rounded to
 * float32, as torch computes `a * (1 - y / e) + b * (y / e)` on float32 tensors.
 */
export function blendVertical(above: TensorData, below: TensorData, extent: number): void {
  const [, channels, aboveHeight, width] = above.shape;
  const belowHeight = below.shape[2];
  const e = Math.min(aboveHeight, belowHeight, extent);
  for (let y = 0; y < e; y++) {
    const [wa, wb] = weights(y, e);
    for (let ch = 0; ch < channels; ch++) {
      const a = (ch * aboveHeight + aboveHeight - e + y) * width;
      const b = (ch * belowHeight + y) * width;
      for (let x = 0; x < width; x++) below.data[b + x] = mix(above.data[a + x], wa, below.data[b + x], wb);
    }
  }
}

/** blend_h: the first columns of `right` fade in from the last columns of `left`, as blendVertical does for rows. */
export function blendHorizontal(left: TensorData, right: TensorData, extent: number): void {
  const [, channels, height, leftWidth] = left.shape;
  const rightWidth = right.shape[3];
  const e = Math.min(leftWidth, rightWidth, extent);
  for (let x = 0; x < e; x++) {
    const [wa, wb] = weights(x, e);
    for (let ch = 0; ch < channels; ch++) {
      for (let y = 0; y < height; y++) {
        const a = (ch * height + y) * leftWidth + leftWidth - e + x;
        const b = (ch * height + y) * rightWidth + x;
        right.data[b] = mix(left.data[a], wa, right.data[b], wb);
      }
    }
  }
}

/** Python's `1 - y / e` and `y / e` in double, then as torch's float32 scalar operands. */
function weights(y: number, e: number): [number, number] {
  return [Math.fround(1 - y / e), Math.fround(y / e)];
}

function mix(a: number, wa: number, b: number, wb: number): number {
  return Math.fround(Math.fround(a * wa) + Math.fround(b * wb));
}
