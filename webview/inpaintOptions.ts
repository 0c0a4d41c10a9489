import type { InitImage, InpaintOptions, ModelChoice, PanelSettings } from '../src/protocol/panelProtocol';
import type { Outpaint } from '../src/protocol/recipe';
import { MAX_IMAGE_SIDE, OUTPAINT_MULTIPLE } from '../src/protocol/generationLimits';
import type { Size } from './sizePresets';

/** AUTOMATIC1111's defaults: a 4 px mask blur, the whole picture, 32 px around the mask for "Only masked". */
export const DEFAULT_INPAINT_OPTIONS: InpaintOptions = {
  maskBlur: 4,
  inpaintArea: 'full',
  maskPadding: 32,
  outpaint: { left: 0, top: 0, right: 0, bottom: 0 },
};


export const OUTPAINT_SIDES = ['left', 'top', 'right', 'bottom'] as const satisfies readonly (keyof Outpaint)[];

/** The size an inpainting job makes: the picture's own plus the outpaint margins. */
export function inpaintSize(image: Size, outpaint: Outpaint): Size {
  return { width: image.width + outpaint.left + outpaint.right, height: image.height + outpaint.top + outpaint.bottom };
}

export function hasOutpaint(outpaint: Outpaint): boolean {
  return OUTPAINT_SIDES.some((side) => outpaint[side] > 0);
}

/** Whether the size fields show, as the size the crop around the mask is worked at. */
export function workingSizeShown(settings: PanelSettings): boolean {
  return settings.inpaint?.inpaintArea === 'masked';
}

/**
 * Inpainting mode's form: its options (kept from before, else the defaults) and the size they
 * work at: only masked, `workingSize`; the whole picture, its own size plus the margins.
 */
export function withInpaint(settings: PanelSettings, image: Size, workingSize: Size, options?: InpaintOptions): PanelSettings {
  const inpaint = options ?? settings.inpaint ?? DEFAULT_INPAINT_OPTIONS;
  return { ...settings, inpaint, ...(inpaint.inpaintArea === 'masked' ? workingSize : inpaintSize(image, inpaint.outpaint)) };
}

/** An outpaint margin typed into its field: a whole multiple of 8 from 0, or undefined. */
export function parseOutpaintMargin(text: string): number | undefined {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isInteger(value) || value < 0 || value % OUTPAINT_MULTIPLE !== 0) return undefined;
  return value <= MAX_IMAGE_SIDE ? value : undefined;
}

/** A whole number of pixels from 0 to max typed into a field, or undefined. */
export function parsePixels(text: string, max: number): number | undefined {
  const value = Number(text.trim());
  return text.trim() !== '' && Number.isInteger(value) && value >= 0 && value <= max ? value : undefined;
}

/**
 * Why an inpainting job cannot run with this form, or undefined. The whole picture's size cannot
 * be fitted as image to image fits it: the edit must line up with the picture pixel for pixel.
 * Only masked works at the size fields' size, whatever the picture's.
 */
export function inpaintBlocker(
  settings: PanelSettings,
  image: InitImage,
  model: ModelChoice | undefined,
  maskPainted: boolean,
): string | undefined {
  const inpaint = settings.inpaint;
  if (!inpaint) return undefined;
  if (!maskPainted && !hasOutpaint(inpaint.outpaint)) return 'Paint over the part to repaint first, or add outpaint margins.';
  const { width, height } = inpaintSize(image, inpaint.outpaint);
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
    return `The result would be ${width} × ${height}, above ${MAX_IMAGE_SIDE} pixels a side: outpaint less.`;
  }
  const multiple = model?.sizeMultiple ?? OUTPAINT_MULTIPLE;
  if (inpaint.inpaintArea === 'masked') {
    const working = settings.width % multiple === 0 && settings.height % multiple === 0;
    return working ? undefined : `This model works at multiples of ${multiple}: make the working size ${settings.width} × ${settings.height} one.`;
  }
  if (width % multiple !== 0 || height % multiple !== 0) {
    return `Inpainting keeps the picture's size, and ${width} × ${height} is not a multiple of ${multiple}, which this model needs: crop or resize the picture to a multiple of ${multiple} first.`;
  }
  return undefined;
}
