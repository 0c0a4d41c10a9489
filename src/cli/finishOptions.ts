import { DEFAULT_FOCUS, DEFAULT_PADDING, DEFAULT_PALETTE_COLORS, MAX_DENSITY } from '../protocol/finishSteps';
import { OUTPUT_FITS, type FinishSteps, type OutputSize, type PixelArt, type Recipe } from '../protocol/recipe';
import { formatHexColor, parseHexColor } from '../engine/finish/fitSize';
import { MAX_PALETTE_COLORS } from '../engine/finish/palette';
import { readPaletteFile } from '../engine/finish/paletteFile';
import { EngineError } from '../engine/errors';
import { parseChoice, parseNumber, UsageError } from './usageError';

export const FINISH_USAGE = `  --output-size WxH          the finished file's exact size, made from the generated picture
  --fit F                    ${OUTPUT_FITS.join('|')}: scale to fill and cut, scale to fit and pad, or cut
                             without scaling (default cover)
  --focus X,Y                cover, crop: the point kept in view, fractions of width and height (default 0.5,0.5)
  --background #RRGGBB       contain: the padding's colour (default #ffffff); --background
                             transparent removes the background instead (see generate), and
                             contain then pads with transparency
  --icon-set                 a site's icon set in the --out folder: icon-16x16 … icon-512x512.png,
                             favicon.ico, apple-touch-icon.png, android-chrome-*.png, site.webmanifest, icons.json
  --density 1,2,3            @1x/@2x/@3x files: --output-size times each density
  --pixel-art FACTOR         reduce to a palette, then shrink by FACTOR with nearest-neighbour
  --palette N|FILE           with --pixel-art: N colours by median cut (default 16), or a .hex/.gpl palette file`;

export const FINISH_OPTIONS = {
  'output-size': { type: 'string' },
  fit: { type: 'string' },
  focus: { type: 'string' },
  background: { type: 'string' },
  'icon-set': { type: 'boolean' },
  density: { type: 'string' },
  'pixel-art': { type: 'string' },
  palette: { type: 'string' },
} as const;

export interface FinishValues {
  'output-size'?: string;
  fit?: string;
  focus?: string;
  background?: string;
  'icon-set'?: boolean;
  density?: string;
  'pixel-art'?: string;
  palette?: string;
}

export interface FinishPlan {
  steps: FinishSteps;
  iconSet: boolean;
  /** @1x/@2x/@3x: the densities asked for, absent for one file. */
  densities?: number[];
}

/**
 * The post-processing asked for on the command line, on top of what a `--recipe` image recorded:
 * a finishing option given replaces the recipe's step of that kind.
 */
export async function finishPlan(values: FinishValues, base: Recipe | undefined): Promise<FinishPlan> {
  const iconSet = values['icon-set'] === true;
  const transparent = values.background === 'transparent' || (values.background === undefined && base?.background !== undefined);
  const output = outputSize(values, base?.output, iconSet, transparent);
  const pixelArt = await pixelArtStep(values, base?.pixelArt);
  const densities = values.density === undefined ? undefined : densityList(values.density);
  if (densities && iconSet) throw new UsageError('--density and --icon-set make different sets; choose one.');
  if (densities && !output) throw new UsageError('--density needs --output-size WxH, the @1x size.');
  return { steps: { ...(output ? { output } : {}), ...(pixelArt ? { pixelArt } : {}) }, iconSet, ...(densities ? { densities } : {}) };
}

/** Under a transparent background, contain pads with transparency: no colour is recorded. */
function outputSize(values: FinishValues, recorded: OutputSize | undefined, iconSet: boolean, transparent: boolean): OutputSize | undefined {
  const { fit: fitText, focus: focusText } = values;
  // `--background transparent` asks for background removal (generatePlan), not a padding colour.
  const backgroundText = values.background === 'transparent' ? undefined : values.background;
  const size = values['output-size'];
  if (size === undefined && fitText === undefined && focusText === undefined && backgroundText === undefined) return recorded;
  // An icon set gives each icon its side, so only the fit is needed from the command line.
  let width = iconSet ? 1 : (recorded?.width ?? 0);
  let height = iconSet ? 1 : (recorded?.height ?? 0);
  if (size !== undefined) {
    const match = /^(\d+)x(\d+)$/.exec(size.trim());
    if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) throw new UsageError(`--output-size expects WxH such as 300x200, got "${size}".`);
    [width, height] = [Number(match[1]), Number(match[2])];
  } else if (!iconSet && !recorded) {
    throw new UsageError('--fit, --focus and --background shape --output-size WxH (or --icon-set); give one.');
  }
  const fit = parseChoice('fit', fitText, OUTPUT_FITS) ?? (size === undefined ? recorded?.fit : undefined) ?? 'cover';
  if (focusText !== undefined && fit === 'contain') throw new UsageError('--focus chooses what cover and crop keep; contain keeps everything.');
  if (backgroundText !== undefined && fit !== 'contain') throw new UsageError('--background fills the padding of --fit contain.');
  const output: OutputSize = { width, height, fit };
  if (fit === 'contain') {
    if (backgroundText !== undefined) output.background = color(backgroundText);
    else if (!transparent) output.background = DEFAULT_PADDING;
  } else output.focus = focusText === undefined ? [...DEFAULT_FOCUS] : focusPoint(focusText);
  return output;
}

function color(text: string): string {
  try {
    return formatHexColor(parseHexColor(text));
  } catch {
    throw new UsageError(`--background expects a colour #rrggbb, got "${text}".`);
  }
}

function focusPoint(text: string): [number, number] {
  const parts = text.split(',').map((part) => Number(part.trim()));
  if (parts.length !== 2 || parts.some((part) => !Number.isFinite(part) || part < 0 || part > 1)) {
    throw new UsageError(`--focus expects X,Y as fractions from 0 to 1 (0.5,0.5 is the centre), got "${text}".`);
  }
  return [parts[0], parts[1]];
}

async function pixelArtStep(values: FinishValues, recorded: PixelArt | undefined): Promise<PixelArt | undefined> {
  if (values['pixel-art'] === undefined && values.palette === undefined) return recorded;
  const factor = parseNumber('pixel-art', values['pixel-art'], true) ?? recorded?.factor;
  if (factor === undefined) throw new UsageError('--palette chooses the colours of --pixel-art FACTOR; give the factor too.');
  if (factor < 1) throw new UsageError(`--pixel-art expects a whole factor of 1 or more, got ${factor}.`);
  if (values.palette === undefined) {
    return recorded?.palette ? { factor, palette: recorded.palette } : { factor, colors: recorded?.colors ?? DEFAULT_PALETTE_COLORS };
  }
  if (/^\d+$/.test(values.palette.trim())) {
    const colors = Number(values.palette);
    if (colors < 1 || colors > MAX_PALETTE_COLORS) throw new UsageError(`--palette expects 1 to ${MAX_PALETTE_COLORS} colours, got ${colors}.`);
    return { factor, colors };
  }
  try {
    return { factor, palette: await readPaletteFile(values.palette) };
  } catch (error) {
    if (error instanceof EngineError) throw new UsageError(error.message);
    throw error;
  }
}

function densityList(text: string): number[] {
  const densities = text.split(',').map((part) => Number(part.trim()));
  if (densities.some((d) => !Number.isInteger(d) || d < 1 || d > MAX_DENSITY) || new Set(densities).size !== densities.length) {
    throw new UsageError(`--density expects distinct whole densities from 1 to ${MAX_DENSITY} such as 1,2,3, got "${text}".`);
  }
  return densities;
}
