import { MAX_GUIDANCE, MAX_IMAGE_SIDE, MAX_SEED, MAX_STEPS } from '../src/protocol/generationLimits';

/**
 * Limits of the form's number fields: the bounds the engine enforces, so the form never lets
 * through what the engine would refuse.
 */
export interface NumberFieldSpec {
  min: number;
  max: number;
  integer: boolean;
  /** Every valid value is a multiple of this (the UNet needs sizes in multiples of the VAE's factor). */
  multipleOf?: number;
}

export const NUMBER_FIELDS = {
  width: { min: 64, max: MAX_IMAGE_SIDE, integer: true, multipleOf: 8 },
  height: { min: 64, max: MAX_IMAGE_SIDE, integer: true, multipleOf: 8 },
  steps: { min: 1, max: MAX_STEPS, integer: true },
  guidance: { min: 0, max: MAX_GUIDANCE, integer: false },
  seed: { min: 0, max: MAX_SEED, integer: true },
  batch: { min: 1, max: 100, integer: true },
} as const satisfies Record<string, NumberFieldSpec>;

export type NumberFieldName = keyof typeof NUMBER_FIELDS;

/** The value typed into a number field, or undefined when it is not one the engine would accept. */
export function parseNumberField(text: string, spec: NumberFieldSpec): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const value = Number(trimmed);
  if (!Number.isFinite(value) || value < spec.min || value > spec.max) return undefined;
  if (spec.integer && !Number.isInteger(value)) return undefined;
  if (spec.multipleOf !== undefined && value % spec.multipleOf !== 0) return undefined;
  return value;
}

/** What to tell someone whose value was refused. */
export function numberFieldHint(spec: NumberFieldSpec): string {
  const kind = spec.integer ? 'a whole number' : 'a number';
  const multiple = spec.multipleOf !== undefined ? `, a multiple of ${spec.multipleOf}` : '';
  return `${kind} from ${spec.min} to ${spec.max}${multiple}`;
}
