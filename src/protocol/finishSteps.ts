import { OUTPUT_FITS, type OutputFit, type OutputSize, type PixelArt, type Recipe } from './recipe';

/** Sides of the finished file, as of the generated one. */
export const MAX_OUTPUT_SIDE = 4096;

const HEX_COLOR = /^#[0-9a-f]{6}$/;

/** Defaults the CLI and the manifest write into a recipe alike, so that both record the same steps. */
export const DEFAULT_PALETTE_COLORS = 16;
export const DEFAULT_FOCUS: readonly [number, number] = [0.5, 0.5];
/** contain's padding on an opaque picture. */
export const DEFAULT_PADDING = '#ffffff';

/** @1x to @4x: the densities a variant set may ask for, as the CLI's --density takes them. */
export const MAX_DENSITY = 4;

/** What is wrong with a job's @Nx densities beside its exact size and icon set, or undefined. */
export function densitiesProblem(densities: unknown, output: unknown, iconSet: unknown): string | undefined {
  if (densities === undefined) return undefined;
  const fine =
    Array.isArray(densities) &&
    densities.length >= 1 &&
    densities.every((d) => Number.isInteger(d) && d >= 1 && d <= MAX_DENSITY) &&
    new Set(densities).size === densities.length;
  if (!fine) return `Densities must be distinct whole numbers from 1 to ${MAX_DENSITY}, got ${JSON.stringify(densities)}.`;
  if (output === undefined) return '@2x and @3x files scale the exact size: turn on Exact size.';
  if (iconSet === true) return 'An icon set and @2x/@3x files are different sets; choose one.';
  return undefined;
}

/** The output field with its keys in a fixed order, so equal recipes serialize to equal bytes. */
export function orderedOutput(output: OutputSize): OutputSize {
  return {
    width: output.width,
    height: output.height,
    fit: output.fit,
    ...(output.focus !== undefined ? { focus: [output.focus[0], output.focus[1]] } : {}),
    ...(output.background !== undefined ? { background: output.background } : {}),
  };
}

export function orderedPixelArt(pixelArt: PixelArt): PixelArt {
  return {
    factor: pixelArt.factor,
    ...(pixelArt.colors !== undefined ? { colors: pixelArt.colors } : {}),
    ...(pixelArt.palette !== undefined ? { palette: [...pixelArt.palette] } : {}),
  };
}

/** The finished file's size: the output size, else the generated size shrunk by the pixel-art factor. */
export function finishedSize(recipe: Pick<Recipe, 'width' | 'height' | 'output' | 'pixelArt'>): { width: number; height: number } {
  if (recipe.output) return { width: recipe.output.width, height: recipe.output.height };
  const factor = recipe.pixelArt?.factor ?? 1;
  return { width: Math.floor(recipe.width / factor), height: Math.floor(recipe.height / factor) };
}

/** What is wrong with a job's finishing steps, in words for the user, or undefined. */
export function finishProblem(output: OutputSize | undefined, pixelArt: PixelArt | undefined): string | undefined {
  const problem = finishStepsProblem(output, pixelArt);
  if (problem === undefined) return undefined;
  return problem.field === 'output'
    ? `The exact size must be whole numbers from 1 to ${MAX_OUTPUT_SIDE} pixels a side.`
    : 'Pixel art needs a whole factor of 1 or more and 1 to 256 colours.';
}

/** The first thing wrong with a recipe's `output` and `pixelArt` (absent is fine), or undefined. */
export function finishStepsProblem(output: unknown, pixelArt: unknown): { field: string; expected: string } | undefined {
  if (output !== undefined) {
    const o = output as Record<string, unknown>;
    const fine =
      typeof output === 'object' &&
      output !== null &&
      isPositiveInteger(o.width) &&
      isPositiveInteger(o.height) &&
      (o.width as number) <= MAX_OUTPUT_SIDE &&
      (o.height as number) <= MAX_OUTPUT_SIDE &&
      OUTPUT_FITS.includes(o.fit as OutputFit) &&
      (o.focus === undefined || (Array.isArray(o.focus) && o.focus.length === 2 && o.focus.every(isFraction))) &&
      (o.background === undefined || (typeof o.background === 'string' && HEX_COLOR.test(o.background)));
    if (!fine) {
      return { field: 'output', expected: `{ width, height, fit: ${OUTPUT_FITS.join('|')}, focus?: [x, y] in 0..1, background?: "#rrggbb" }` };
    }
  }
  if (pixelArt !== undefined) {
    const p = pixelArt as Record<string, unknown>;
    const fine =
      typeof pixelArt === 'object' &&
      pixelArt !== null &&
      isPositiveInteger(p.factor) &&
      (p.colors === undefined) !== (p.palette === undefined) &&
      (p.colors === undefined || (isPositiveInteger(p.colors) && (p.colors as number) <= 256)) &&
      (p.palette === undefined ||
        (Array.isArray(p.palette) && p.palette.length >= 1 && p.palette.length <= 256 && p.palette.every((c) => typeof c === 'string' && HEX_COLOR.test(c))));
    if (!fine) return { field: 'pixelArt', expected: '{ factor, and either colors (1 to 256) or palette ["#rrggbb", …] }' };
  }
  return undefined;
}

function isPositiveInteger(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 1;
}

function isFraction(value: unknown): boolean {
  return typeof value === 'number' && value >= 0 && value <= 1;
}
