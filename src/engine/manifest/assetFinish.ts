import { resolve } from 'node:path';
import { DEFAULT_FOCUS, DEFAULT_PADDING, DEFAULT_PALETTE_COLORS, MAX_OUTPUT_SIDE, orderedOutput, orderedPixelArt } from '../../protocol/finishSteps';
import { OUTPUT_FITS, type FinishSteps, type OutputFit, type OutputSize, type PixelArt } from '../../protocol/recipe';
import { EngineError } from '../errors';
import { readPaletteFile } from '../finish/paletteFile';
import { MAX_PALETTE_COLORS } from '../finish/palette';

/**
 * Post-processing a preset or an entry may state, one file per asset. The recipe calls the exact
 * size `output`, but in the manifest `output` is the file's path, hence `exactSize`. Each step is
 * stated whole: an entry's step replaces its preset's step of that kind.
 */
export const FINISH_FIELDS = ['exactSize', 'pixelArt'] as const;
export type FinishField = (typeof FINISH_FIELDS)[number];

/**
 * Pixel art as stated: a median-cut palette of `colors`, or a palette file relative to the
 * manifest, or the colours themselves (as a recipe records them, so Add to Manifest can copy them).
 */
export type StatedPixelArt = { factor: number; colors: number } | { factor: number; palette: string | string[] };

export interface StatedFinish {
  exactSize?: OutputSize;
  pixelArt?: StatedPixelArt;
}

const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;

/** What is wrong with a stated finishing field's value, as "must be …" text, or undefined. */
export function finishFieldProblem(field: FinishField, value: unknown): string | undefined {
  return field === 'exactSize' ? exactSizeProblem(value) : pixelArtProblem(value);
}

function exactSizeProblem(value: unknown): string | undefined {
  const expected = `{ "width", "height" (1 to ${MAX_OUTPUT_SIDE}), "fit": ${OUTPUT_FITS.map((f) => `"${f}"`).join(' | ')} (default "cover"), "focus": [x, y] in 0..1 (cover, crop), "background": "#rrggbb" (contain) }`;
  if (!isObject(value)) return expected;
  const unknown = Object.keys(value).find((k) => !['width', 'height', 'fit', 'focus', 'background'].includes(k));
  if (unknown !== undefined) return `${expected}, without "${unknown}"`;
  for (const side of ['width', 'height'] as const) {
    const n = value[side];
    if (!Number.isSafeInteger(n) || (n as number) < 1 || (n as number) > MAX_OUTPUT_SIDE) return `${expected}; its ${side} must be a whole number from 1 to ${MAX_OUTPUT_SIDE}`;
  }
  if (value.fit !== undefined && !OUTPUT_FITS.includes(value.fit as OutputFit)) return `${expected}; its fit must be one of ${OUTPUT_FITS.join(', ')}`;
  const fit = (value.fit ?? 'cover') as OutputFit;
  if (value.focus !== undefined) {
    if (fit === 'contain') return `${expected}; "focus" chooses what cover and crop keep, contain keeps everything`;
    const focus = value.focus;
    if (!Array.isArray(focus) || focus.length !== 2 || !focus.every((f) => typeof f === 'number' && f >= 0 && f <= 1)) return `${expected}; its focus must be [x, y], fractions from 0 to 1`;
  }
  if (value.background !== undefined) {
    if (fit !== 'contain') return `${expected}; "background" fills the padding of fit "contain"`;
    if (typeof value.background !== 'string' || !HEX_COLOR.test(value.background)) return `${expected}; its background must be a colour "#rrggbb"`;
  }
  return undefined;
}

function pixelArtProblem(value: unknown): string | undefined {
  const expected = `{ "factor": a whole number of 1 or more, and "colors" (1 to ${MAX_PALETTE_COLORS}, default ${DEFAULT_PALETTE_COLORS}) or "palette": a .hex or .gpl file relative to the manifest, or ["#rrggbb", …] }`;
  if (!isObject(value)) return expected;
  const unknown = Object.keys(value).find((k) => !['factor', 'colors', 'palette'].includes(k));
  if (unknown !== undefined) return `${expected}, without "${unknown}"`;
  if (!Number.isSafeInteger(value.factor) || (value.factor as number) < 1) return `${expected}; its factor must be a whole number of 1 or more`;
  if (value.colors !== undefined && value.palette !== undefined) return `${expected}; "colors" or "palette", not both`;
  if (value.colors !== undefined && (!Number.isSafeInteger(value.colors) || (value.colors as number) < 1 || (value.colors as number) > MAX_PALETTE_COLORS)) {
    return `${expected}; its colors must be a whole number from 1 to ${MAX_PALETTE_COLORS}`;
  }
  const palette = value.palette;
  if (Array.isArray(palette)) {
    if (palette.length < 1 || palette.length > MAX_PALETTE_COLORS || !palette.every((c) => typeof c === 'string' && HEX_COLOR.test(c))) {
      return `${expected}; its palette colours must be 1 to ${MAX_PALETTE_COLORS} "#rrggbb"`;
    }
  } else if (palette !== undefined && (typeof palette !== 'string' || !/\.(hex|gpl)$/i.test(palette))) {
    return `${expected}; its palette must be the path of a .hex or .gpl file, or the colours`;
  }
  return undefined;
}

/**
 * A checked field's value with the defaults written out, as the recipe will record it. Under a
 * transparent background contain pads with transparency unless a colour is stated, as the CLI does.
 */
export function statedFinishStep(field: 'exactSize', value: unknown, transparent?: boolean): OutputSize;
export function statedFinishStep(field: 'pixelArt', value: unknown): StatedPixelArt;
export function statedFinishStep(field: FinishField, value: unknown, transparent = false): OutputSize | StatedPixelArt {
  const v = value as Record<string, unknown>;
  if (field === 'pixelArt') {
    const factor = v.factor as number;
    if (typeof v.palette === 'string') return { factor, palette: v.palette };
    if (Array.isArray(v.palette)) return { factor, palette: v.palette.map((c: string) => c.toLowerCase()) };
    return { factor, colors: (v.colors as number | undefined) ?? DEFAULT_PALETTE_COLORS };
  }
  const fit = (v.fit as OutputFit | undefined) ?? 'cover';
  const size: OutputSize = { width: v.width as number, height: v.height as number, fit };
  if (fit === 'contain') {
    const background = (v.background as string | undefined) ?? (transparent ? undefined : DEFAULT_PADDING);
    if (background !== undefined) size.background = background.toLowerCase();
  } else size.focus = (v.focus as [number, number] | undefined) ?? [...DEFAULT_FOCUS];
  return orderedOutput(size);
}

/** The steps without reading any file, or undefined when a palette file's colours are needed. */
export function finishStepsWithoutFiles(finish: StatedFinish): FinishSteps | undefined {
  const pixelArt = finish.pixelArt;
  if (pixelArt && 'palette' in pixelArt && typeof pixelArt.palette === 'string') return undefined;
  return {
    ...(finish.exactSize ? { output: finish.exactSize } : {}),
    ...(pixelArt ? { pixelArt: orderedPixelArt(pixelArt as PixelArt) } : {}),
  };
}

/**
 * The finishing steps a job runs and its recipe records: a palette file's colours are read now
 * and recorded rather than its path, as `generate --palette FILE` does, so that a changed file
 * makes the asset stale. Throws the palette reader's EngineError when the file is unusable.
 */
export async function finishSteps(finish: StatedFinish, manifestDir: string): Promise<FinishSteps> {
  const pixelArt = finish.pixelArt;
  if (!pixelArt || !('palette' in pixelArt) || typeof pixelArt.palette !== 'string') return finishStepsWithoutFiles(finish)!;
  const palette = await readPaletteFile(resolve(manifestDir, pixelArt.palette));
  return {
    ...(finish.exactSize ? { output: finish.exactSize } : {}),
    pixelArt: orderedPixelArt({ factor: pixelArt.factor, palette }),
  };
}

/** The steps, or why they cannot be had, as staleness takes them (AssetFacts.finish). */
export async function finishFacts(finish: StatedFinish, manifestDir: string): Promise<FinishSteps | { problem: string }> {
  try {
    return await finishSteps(finish, manifestDir);
  } catch (error) {
    if (error instanceof EngineError) return { problem: error.message };
    throw error;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
