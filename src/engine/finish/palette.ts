import { channelsOf, type RawImage } from './rawImage';

type Rgb = [number, number, number];

/** Most colours a palette may hold: what an indexed PNG or a GIF can keep. */
export const MAX_PALETTE_COLORS = 256;

/**
 * A palette of at most `count` colours by median cut (Heckbert, "Color image quantization for
 * frame buffer display", 1982): the box of colours with the widest channel is split at its
 * pixel-count median along that channel until there are `count` boxes; each box gives its
 * pixel-weighted mean colour. Ties are broken by the colour's value, so one picture always
 * gives one palette. A picture with fewer colours gives fewer. Of an RGBA picture only the
 * visible pixels count (see isVisible): the colour under a cut-out background is no colour of the sprite.
 */
export function medianCutPalette(image: RawImage, count: number): Rgb[] {
  const histogram = new Map<number, number>();
  const { rgb } = image;
  const channels = channelsOf(image);
  for (let i = 0; i < rgb.length; i += channels) {
    if (channels === 4 && !isVisible(rgb[i + 3])) continue;
    const key = (rgb[i] << 16) | (rgb[i + 1] << 8) | rgb[i + 2];
    histogram.set(key, (histogram.get(key) ?? 0) + 1);
  }
  const entries = [...histogram.entries()].sort((a, b) => a[0] - b[0]);
  if (entries.length === 0) return [];
  const boxes: Box[] = [box(entries)];
  while (boxes.length < count) {
    let widest = -1;
    for (let b = 0; b < boxes.length; b++) {
      if (boxes[b].entries.length > 1 && (widest < 0 || boxes[b].range > boxes[widest].range)) widest = b;
    }
    if (widest < 0) break;
    const [low, high] = split(boxes[widest]);
    boxes.splice(widest, 1, low, high);
  }
  return boxes.map(meanColor);
}

interface Box {
  entries: [number, number][];
  channel: number;
  range: number;
}

const channelOf = (key: number, channel: number) => (key >> (16 - 8 * channel)) & 255;

function box(entries: [number, number][]): Box {
  let channel = 0;
  let range = -1;
  for (let c = 0; c < 3; c++) {
    let min = 255;
    let max = 0;
    for (const [key] of entries) {
      const value = channelOf(key, c);
      if (value < min) min = value;
      if (value > max) max = value;
    }
    if (max - min > range) {
      range = max - min;
      channel = c;
    }
  }
  return { entries, channel, range };
}

function split({ entries, channel }: Box): [Box, Box] {
  const sorted = [...entries].sort((a, b) => channelOf(a[0], channel) - channelOf(b[0], channel) || a[0] - b[0]);
  const total = sorted.reduce((sum, [, n]) => sum + n, 0);
  let seen = 0;
  let cut = 1;
  for (; cut < sorted.length; cut++) {
    seen += sorted[cut - 1][1];
    if (seen * 2 >= total) break;
  }
  return [box(sorted.slice(0, cut)), box(sorted.slice(cut))];
}

function meanColor({ entries }: Box): Rgb {
  const sum = [0, 0, 0];
  let n = 0;
  for (const [key, count] of entries) {
    for (let c = 0; c < 3; c++) sum[c] += channelOf(key, c) * count;
    n += count;
  }
  return [Math.round(sum[0] / n), Math.round(sum[1] / n), Math.round(sum[2] / n)];
}

/**
 * Alpha at which a pixel of pixel art is kept, as fully opaque; below it the pixel is cut away.
 * A sprite has no partly transparent pixels: they would blur its outline against any background.
 */
const VISIBLE_ALPHA = 128;

export function isVisible(alpha: number): boolean {
  return alpha >= VISIBLE_ALPHA;
}

/**
 * Every pixel replaced by its nearest palette colour (squared RGB distance; on a tie the earlier
 * colour). An RGBA picture keeps its alpha; only its visible pixels take a palette colour, the
 * others become transparent black.
 */
export function mapToPalette(image: RawImage, palette: readonly Rgb[]): RawImage {
  const { rgb } = image;
  const channels = channelsOf(image);
  const out = new Uint8Array(rgb.length);
  const nearest = new Map<number, number>();
  for (let i = 0; i < rgb.length; i += channels) {
    if (channels === 4) {
      out[i + 3] = rgb[i + 3];
      if (!isVisible(rgb[i + 3])) continue;
    }
    if (palette.length === 0) throw new Error('a palette needs at least one colour');
    const key = (rgb[i] << 16) | (rgb[i + 1] << 8) | rgb[i + 2];
    let index = nearest.get(key);
    if (index === undefined) {
      index = 0;
      let best = Infinity;
      for (let p = 0; p < palette.length; p++) {
        const dr = rgb[i] - palette[p][0];
        const dg = rgb[i + 1] - palette[p][1];
        const db = rgb[i + 2] - palette[p][2];
        const distance = dr * dr + dg * dg + db * db;
        if (distance < best) {
          best = distance;
          index = p;
        }
      }
      nearest.set(key, index);
    }
    out.set(palette[index], i);
  }
  return { ...image, rgb: out };
}
