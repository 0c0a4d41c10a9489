import { MAX_OUTPUT_SIDE } from '../src/protocol/finishSteps';
import type { PanelSettings } from '../src/protocol/panelProtocol';
import type { OutputFit, OutputSize, PixelArt } from '../src/protocol/recipe';

export const FIT_LABELS: Record<OutputFit, string> = {
  cover: 'Cover: fill, cut the overflow',
  contain: 'Contain: fit, pad (white, or clear when transparent)',
  crop: 'Crop: cut out, no scaling',
};

/** Turned on, the exact size starts at the generated size, covered around the centre. */
export function outputTurnedOn(settings: PanelSettings): OutputSize {
  return { width: settings.width, height: settings.height, fit: 'cover', focus: [0.5, 0.5] };
}

/**
 * cover and crop keep a focus point, contain a background: each fit carries only its own. Under
 * a transparent background contain pads with transparency, which the recipe records as no colour.
 */
export function withFit(output: OutputSize, fit: OutputFit, transparent = false): OutputSize {
  const { width, height } = output;
  if (fit !== 'contain') return { width, height, fit, focus: output.focus ?? [0.5, 0.5] };
  return transparent ? { width, height, fit } : { width, height, fit, background: output.background ?? '#ffffff' };
}

/** The transparent background turned on or off, with a contain padding that follows it. */
export function withTransparency(settings: PanelSettings, on: boolean): Partial<PanelSettings> {
  const { output } = settings;
  return {
    transparentBackground: on ? { isolateSubject: settings.transparentBackground?.isolateSubject ?? false } : undefined,
    ...(output ? { output: withFit(output, output.fit, on) } : {}),
  };
}

/** The densities the panel offers: @1x, @2x and @3x, as iOS and the web's srcset use them. */
export const PANEL_DENSITIES = [1, 2, 3] as const;

/**
 * The densities with one turned on or off, in order; 1× alone is one plain file (absent). The
 * last one stays on: a set of no files is nothing to generate.
 */
export function withDensity(densities: readonly number[] | undefined, density: number, on: boolean): number[] | undefined {
  const current = densities ?? [1];
  const next = on ? [...new Set([...current, density])] : current.filter((d) => d !== density);
  if (next.length === 0) return densities ? [...densities] : undefined;
  next.sort((a, b) => a - b);
  return next.length === 1 && next[0] === 1 ? undefined : next;
}

/** A colour input's value as the recipe records it (`#rrggbb`, lower case), else undefined. */
export function paddingColor(value: string): string | undefined {
  const color = value.trim().toLowerCase();
  return /^#[0-9a-f]{6}$/.test(color) ? color : undefined;
}

/** A palette file's colours for pixel art, which they turn on at the default factor when it is off. */
export function withPalette(pixelArt: PixelArt | undefined, palette: readonly string[]): PixelArt {
  return { factor: pixelArt?.factor ?? PIXEL_ART_DEFAULT.factor, palette: [...palette] };
}

/** Back from a palette file to a colour count, the default one. */
export function withColorCount(pixelArt: PixelArt): PixelArt {
  return { factor: pixelArt.factor, colors: PIXEL_ART_DEFAULT.colors ?? 16 };
}

export const PIXEL_ART_DEFAULT: PixelArt = { factor: 8, colors: 16 };

/** A whole number within [min, max] from a field's text, else undefined. */
export function wholeNumberIn(text: string, min: number, max: number): number | undefined {
  if (!/^\s*\d+\s*$/.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}

export const OUTPUT_SIDE_RANGE = [1, MAX_OUTPUT_SIDE] as const;
export const FACTOR_RANGE = [1, 64] as const;
export const COLORS_RANGE = [1, 256] as const;
