import { MAX_OUTPUT_SIDE } from '../src/protocol/finishSteps';
import type { PanelSettings } from '../src/protocol/panelProtocol';
import type { OutputFit, OutputSize, PixelArt } from '../src/protocol/recipe';

export const FIT_LABELS: Record<OutputFit, string> = {
  cover: 'Cover: fill, cut the overflow',
  contain: 'Contain: fit, pad with white',
  crop: 'Crop: cut out, no scaling',
};

/** Turned on, the exact size starts at the generated size, covered around the centre. */
export function outputTurnedOn(settings: PanelSettings): OutputSize {
  return { width: settings.width, height: settings.height, fit: 'cover', focus: [0.5, 0.5] };
}

/** cover and crop keep a focus point, contain a background: each fit carries only its own. */
export function withFit(output: OutputSize, fit: OutputFit): OutputSize {
  const { width, height } = output;
  return fit === 'contain'
    ? { width, height, fit, background: output.background ?? '#ffffff' }
    : { width, height, fit, focus: output.focus ?? [0.5, 0.5] };
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
