// The limits every request meets before any download or model load: one set of pure rules that
// the CLI, the engine process and the panel's host all apply, so no side lets through what another
// refuses. Nothing here reads files or loads ONNX Runtime.
import type { GenerationSettings } from './recipe';
import { INPAINT_AREAS, SAMPLERS, TILINGS, TIMESTEP_SPACINGS } from './recipe';

/**
 * The longest side an image may have. SDXL's activations grow with the area: at 4096×4096 one
 * UNet call already needs tens of GB, and beyond it a request only ends in the kernel's OOM killer.
 */
export const MAX_IMAGE_SIDE = 4096;
export const MAX_STEPS = 1000;
export const MAX_GUIDANCE = 100;
/** Seeds stay exact in a JavaScript number and in recipes read back as JSON. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;
/** Images of one command or panel request; each is a whole job. */
export const MAX_BATCH = 1000;

/** AUTOMATIC1111's mask blur slider ends at 64 pixels; a wider blur turns any mask into a haze. */
export const MAX_MASK_BLUR = 64;
/** Outpaint margins are whole latent cells of the usual VAE factor, so the canvas keeps the UNet's grid. */
export const OUTPAINT_MULTIPLE = 8;

export const OUTPUT_FORMATS = ['png', 'webp', 'jpeg'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * A VAE tile is a multiple of this many latent cells: diffusers' quarter overlap then strides by
 * exactly the part of each tile it keeps (int(0.75·t) cells = t − int(0.25·t) pixels at the VAE
 * factor); any other size leaves the tiles misaligned. Four cells is also the smallest tile.
 */
export const VAE_TILE_LATENT_MULTIPLE = 4;
/** The VAE factor of every SD and SDXL VAE (three down-samplings), for checks before the model is read. */
export const USUAL_VAE_FACTOR = 8;

/** The settings as they arrive: any field may be missing, and anything may be in it. */
export type SettingsToCheck = { [K in keyof GenerationSettings]?: unknown };

/**
 * The first thing wrong with the given settings, as one sentence naming the field and what it
 * takes, or undefined. `multiple` is the UNet's size factor once the model is known; before that
 * only the ranges are checked.
 */
export function settingsProblem(settings: SettingsToCheck, multiple?: number): string | undefined {
  for (const name of ['prompt', 'negativePrompt'] as const) {
    const text = settings[name];
    if (text === undefined || text === null) continue;
    if (typeof text !== 'string') return `${name} must be text, got ${describe(text)}.`;
    // PNG text chunks end at a NUL, and EXIF strings too: the recipe would be cut short.
    if (text.includes('\0')) return `${name} contains a NUL character, which image metadata cannot hold; remove it.`;
  }
  for (const name of ['width', 'height'] as const) {
    const value = settings[name];
    if (value === undefined) continue;
    if (!isWhole(value) || value <= 0) return `${name} must be a positive whole number of pixels, got ${describe(value)}.`;
    if (value > MAX_IMAGE_SIDE) return `${name} ${value} is above the limit of ${MAX_IMAGE_SIDE} pixels a side.`;
    if (multiple !== undefined && value % multiple !== 0) {
      const lower = Math.max(multiple, Math.floor(value / multiple) * multiple);
      return `${name} ${value} is not a multiple of ${multiple}, which this model's UNet needs; try ${lower} or ${lower + multiple}.`;
    }
  }
  const { steps, guidance, seed, sampler, timestepSpacing } = settings;
  if (steps !== undefined && (!isWhole(steps) || steps < 1 || steps > MAX_STEPS)) {
    return `steps must be a whole number from 1 to ${MAX_STEPS}, got ${describe(steps)}.`;
  }
  if (guidance !== undefined && !inRange(guidance, 0, MAX_GUIDANCE)) {
    return `guidance must be a number from 0 to ${MAX_GUIDANCE}, got ${describe(guidance)}.`;
  }
  if (seed !== undefined && (!isWhole(seed) || seed < 0 || seed > MAX_SEED)) {
    return `seed must be a whole number from 0 to ${MAX_SEED}, got ${describe(seed)}.`;
  }
  if (sampler !== undefined && !(SAMPLERS as readonly unknown[]).includes(sampler)) {
    return `Unknown sampler "${String(sampler)}"; use one of ${SAMPLERS.join(', ')}.`;
  }
  if (timestepSpacing !== undefined && timestepSpacing !== null && !(TIMESTEP_SPACINGS as readonly unknown[]).includes(timestepSpacing)) {
    return `Unknown timestep spacing "${String(timestepSpacing)}"; use one of ${TIMESTEP_SPACINGS.join(', ')}.`;
  }
  if (settings.guidanceRescale !== undefined && !inRange(settings.guidanceRescale, 0, 1)) {
    return `guidance rescale must be a number from 0 to 1, got ${describe(settings.guidanceRescale)}.`;
  }
  if (settings.tiling !== undefined && !(TILINGS as readonly unknown[]).includes(settings.tiling)) {
    return `Unknown tiling ${describe(settings.tiling)}; use one of ${TILINGS.join(', ')}.`;
  }
  const start = settings.refinerStart;
  if (start !== undefined && (typeof start !== 'number' || !Number.isFinite(start) || start <= 0 || start >= 1)) {
    return `refiner start must be a number between 0 and 1 (exclusive), got ${describe(start)}.`;
  }
  for (const [name, score] of [
    ['aesthetic score', settings.aestheticScore],
    ['negative aesthetic score', settings.negativeAestheticScore],
  ] as const) {
    if (score !== undefined && !inRange(score, 0, 10)) {
      return `${name} must be a number from 0 to 10 (LAION's aesthetic scale), got ${describe(score)}.`;
    }
  }
  if (settings.vaeTiling !== undefined) {
    const problem = vaeTilingProblem(settings.vaeTiling);
    if (problem !== undefined) return problem;
  }
  if (settings.initImage !== undefined && (typeof settings.initImage !== 'string' || settings.initImage === '')) {
    return `the input image must be a file path, got ${describe(settings.initImage)}.`;
  }
  if (settings.strength !== undefined) {
    if (settings.initImage === undefined) return 'strength applies only to image-to-image; give an input image too.';
    const strength = settings.strength;
    if (typeof strength !== 'number' || !Number.isFinite(strength) || strength <= 0 || strength > 1) {
      return `strength must be a number above 0 and at most 1, got ${describe(strength)}.`;
    }
  }
  return inpaintProblem(settings);
}

/**
 * The inpainting fields' problem, or undefined: a mask or outpaint margins need an input image;
 * blur, area and padding need something to repaint; padding applies to the masked area only.
 */
export function inpaintProblem(settings: SettingsToCheck): string | undefined {
  const { mask, maskBlur, inpaintArea, maskPadding, outpaint } = settings;
  if (mask !== undefined) {
    if (typeof mask !== 'string' || mask === '') return `the mask must be a file path, got ${describe(mask)}.`;
    if (settings.initImage === undefined) return 'a mask says what to repaint in an input image; give the input image too.';
  }
  if (outpaint !== undefined) {
    const problem = outpaintProblem(outpaint);
    if (problem !== undefined) return problem;
    if (settings.initImage === undefined) return 'outpainting extends an input image; give the input image too.';
  }
  const repaints = mask !== undefined || outpaint !== undefined;
  if (maskBlur !== undefined) {
    if (!isWhole(maskBlur) || maskBlur < 0 || maskBlur > MAX_MASK_BLUR) {
      return `mask blur must be a whole number of pixels from 0 to ${MAX_MASK_BLUR}, got ${describe(maskBlur)}.`;
    }
    if (!repaints) return 'mask blur applies to inpainting; give a mask or outpaint margins too.';
  }
  if (inpaintArea !== undefined) {
    if (!(INPAINT_AREAS as readonly unknown[]).includes(inpaintArea)) {
      return `Unknown inpaint area ${describe(inpaintArea)}; use one of ${INPAINT_AREAS.join(', ')}.`;
    }
    if (!repaints) return 'the inpaint area applies to inpainting; give a mask or outpaint margins too.';
  }
  if (maskPadding !== undefined) {
    if (!isWhole(maskPadding) || maskPadding < 0 || maskPadding > MAX_IMAGE_SIDE) {
      return `mask padding must be a whole number of pixels from 0 to ${MAX_IMAGE_SIDE}, got ${describe(maskPadding)}.`;
    }
    if (inpaintArea !== 'masked') return 'mask padding is the margin around the mask when only the masked area is repainted; set the inpaint area to masked.';
  }
  return undefined;
}

/** Margins that are whole multiples of OUTPAINT_MULTIPLE, none negative, at least one above 0. */
export function outpaintProblem(outpaint: unknown): string | undefined {
  const sides = ['left', 'top', 'right', 'bottom'] as const;
  if (typeof outpaint !== 'object' || outpaint === null) return `outpaint must be { left, top, right, bottom } in pixels, got ${describe(outpaint)}.`;
  const margins = outpaint as Record<string, unknown>;
  for (const side of sides) {
    const value = margins[side];
    if (!isWhole(value) || value < 0 || value > MAX_IMAGE_SIDE) {
      return `the outpaint ${side} margin must be a whole number of pixels from 0 to ${MAX_IMAGE_SIDE}, got ${describe(value)}.`;
    }
    if (value % OUTPAINT_MULTIPLE !== 0) {
      const lower = Math.floor(value / OUTPAINT_MULTIPLE) * OUTPAINT_MULTIPLE;
      return `the outpaint ${side} margin ${value} is not a multiple of ${OUTPAINT_MULTIPLE} pixels; try ${lower} or ${lower + OUTPAINT_MULTIPLE}.`;
    }
  }
  if (sides.every((side) => margins[side] === 0)) return 'outpaint margins are all 0; give at least one side to extend.';
  return undefined;
}

/**
 * What is wrong with a tiling request, or undefined: an object whose tileSize, when given, is a
 * whole number of pixels, a multiple of VAE_TILE_LATENT_MULTIPLE latent cells, at most MAX_IMAGE_SIDE.
 */
export function vaeTilingProblem(tiling: unknown, vaeFactor = USUAL_VAE_FACTOR): string | undefined {
  if (typeof tiling !== 'object' || tiling === null) return `VAE tiling must be an object with an optional tileSize, got ${describe(tiling)}.`;
  const { tileSize } = tiling as { tileSize?: unknown };
  if (tileSize === undefined) return undefined;
  const multiple = VAE_TILE_LATENT_MULTIPLE * vaeFactor;
  if (!isWhole(tileSize) || tileSize < multiple || tileSize > MAX_IMAGE_SIDE) {
    return `the VAE tile size must be a whole number of pixels from ${multiple} to ${MAX_IMAGE_SIDE}, got ${describe(tileSize)}.`;
  }
  if (tileSize % multiple !== 0) {
    const lower = Math.floor(tileSize / multiple) * multiple;
    return `the VAE tile size ${tileSize} is not a multiple of ${multiple} pixels (${VAE_TILE_LATENT_MULTIPLE} latent cells), which diffusers' quarter overlap needs; try ${lower} or ${lower + multiple}.`;
  }
  return undefined;
}

/**
 * The size to generate at from an input picture when none is given: its own, scaled down first
 * when a side is above MAX_IMAGE_SIDE, then rounded down to the model's multiple (as diffusers'
 * VaeImageProcessor rounds to the VAE factor).
 */
export function fittedInputSize(image: { width: number; height: number }, multiple: number): { width: number; height: number } {
  const scale = Math.min(1, MAX_IMAGE_SIDE / image.width, MAX_IMAGE_SIDE / image.height);
  const fit = (pixels: number) => Math.max(multiple, Math.floor((pixels * scale) / multiple) * multiple);
  return { width: fit(image.width), height: fit(image.height) };
}

export function isOutputFormat(value: unknown): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly unknown[]).includes(value);
}

function isWhole(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

function inRange(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
