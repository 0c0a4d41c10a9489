import type { PanelSettings } from '../src/protocol/panelProtocol';
import type { Size } from './sizePresets';
import { denoisingSteps } from '../src/protocol/denoisingSteps';
import { fittedInputSize } from '../src/protocol/generationLimits';
import { NUMBER_FIELDS } from './numberFields';

/** The slider's range: the engine takes strengths above 0 and at most 1. */
export const STRENGTH_MIN = 0.01;
export const STRENGTH_MAX = 1;
export const STRENGTH_STEP = 0.01;

/** Every UNet's factor is a multiple of the VAE's 8, the size fields' own multiple. */
const FALLBACK_MULTIPLE = NUMBER_FIELDS.width.multipleOf;

/**
 * The size to generate at from a picture: its own, rounded down to the model's multiple as the
 * engine does (diffusers' VaeImageProcessor), and scaled down first when it is larger than the
 * size fields allow.
 */
export function fittedSize(image: Size, multiple: number | undefined): Size {
  return fittedInputSize(image, multiple ?? FALLBACK_MULTIPLE);
}

/** The value next to the slider. */
export function strengthText(strength: number): string {
  return strength.toFixed(2);
}

/** What the strength means for this form, under the slider. */
export function strengthHint(steps: number, strength: number): string {
  const run = denoisingSteps(steps, strength);
  if (run < 1) return `No step would run (${steps} × ${strengthText(strength)} < 1): raise the strength or the steps.`;
  return `Runs ${run} of ${steps} steps. Lower keeps more of the picture; 1 keeps almost nothing of it.`;
}

/** The strength the form's mode runs at: inpainting keeps its own, image to image's stays for later. */
export function modeStrength(settings: PanelSettings): number {
  return settings.inpaint ? settings.inpaintStrength : settings.strength;
}

/** The slider's value as an edit of the mode's own strength. */
export function strengthEdit(settings: PanelSettings, strength: number): Partial<PanelSettings> {
  return settings.inpaint ? { inpaintStrength: strength } : { strength };
}
