/**
 * Background removal as the recipe records it: the image was generated, then a matting model's
 * alpha replaced its background with transparency, edge colours decontaminated.
 */
export interface BackgroundRemoval {
  mode: 'transparent';
  /** The matting model's folder name or catalog id, as `model` names the diffusion model. */
  matting: string;
  /**
   * The prompt was encoded with ISOLATE_SUBJECT_WORDS appended; the recipe's `prompt` keeps the
   * user's words, so that regenerating appends them again rather than twice.
   */
  isolateSubject: boolean;
}

export const BACKGROUND_MODES = ['transparent'] as const;
export type BackgroundMode = (typeof BACKGROUND_MODES)[number];

/** The catalog's matting model, used when none is named. */
export const DEFAULT_MATTING_MODEL = 'birefnet-lite';

/**
 * Appended to the prompt by the isolate-subject option: a single subject on a flat plain
 * background is what a matting model separates cleanly, with no scenery to cut through.
 */
export const ISOLATE_SUBJECT_WORDS = 'isolated single subject, centered, on a plain flat white background, no shadow';

/** The prompt the model encodes: the user's, with the isolate-subject words when asked. */
export function promptWithIsolatedSubject(prompt: string, isolateSubject: boolean): string {
  if (!isolateSubject) return prompt;
  const trimmed = prompt.trimEnd();
  return trimmed === '' ? ISOLATE_SUBJECT_WORDS : `${trimmed.replace(/,$/, '')}, ${ISOLATE_SUBJECT_WORDS}`;
}
