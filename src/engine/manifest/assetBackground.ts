import { basename } from 'node:path';
import { BACKGROUND_MODES, DEFAULT_MATTING_MODEL } from '../../protocol/background';
import type { Recipe } from '../../protocol/recipe';

/**
 * A transparent background as a preset or an entry states it: `"transparent"`, or
 * `{ "mode": "transparent", "isolateSubject": true, "matting": "birefnet-lite" }`, the matting
 * model being a catalog id or a folder relative to the manifest, as `model` is.
 */
export interface AssetBackground {
  matting: string;
  isolateSubject: boolean;
}

const EXPECTED = `"transparent", or { "mode": "transparent", "isolateSubject": true or false (default false), "matting": a matting model folder or catalog id (default "${DEFAULT_MATTING_MODEL}") }`;

/** What is wrong with a stated background, as "must be …" text, or undefined. */
export function backgroundProblem(value: unknown): string | undefined {
  if (typeof value === 'string') return (BACKGROUND_MODES as readonly string[]).includes(value) ? undefined : EXPECTED;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return EXPECTED;
  const v = value as Record<string, unknown>;
  const unknown = Object.keys(v).find((k) => !['mode', 'isolateSubject', 'matting'].includes(k));
  if (unknown !== undefined) return `${EXPECTED}, without "${unknown}"`;
  if (!(BACKGROUND_MODES as readonly unknown[]).includes(v.mode)) return `${EXPECTED}; its mode must be "transparent"`;
  if (v.isolateSubject !== undefined && typeof v.isolateSubject !== 'boolean') return `${EXPECTED}; its isolateSubject must be true or false`;
  if (v.matting !== undefined && (typeof v.matting !== 'string' || v.matting.trim() === '')) return `${EXPECTED}; its matting must be a non-empty string`;
  return undefined;
}

/** A checked value with the defaults written out. */
export function statedBackground(value: unknown): AssetBackground {
  if (typeof value === 'string') return { matting: DEFAULT_MATTING_MODEL, isolateSubject: false };
  const v = value as { isolateSubject?: boolean; matting?: string };
  return { matting: v.matting ?? DEFAULT_MATTING_MODEL, isolateSubject: v.isolateSubject ?? false };
}

/**
 * Why the file's background removal is not the entry's: made without one, with none asked, with
 * another isolate-subject choice, or by another matting model. The recipe names the matting
 * model by its folder's name, so a stated folder is compared by its last part, as models are.
 */
export function backgroundReasons(wanted: AssetBackground | undefined, recipe: Recipe): string[] {
  const made = recipe.background;
  if (!wanted) return made ? ['background changed: the file has a transparent background, the manifest asks for none'] : [];
  if (!made) return ['background changed: the file is opaque, the manifest asks for a transparent background'];
  const reasons: string[] = [];
  if (made.isolateSubject !== wanted.isolateSubject) {
    reasons.push(`background.isolateSubject changed: the file has ${made.isolateSubject}, the manifest says ${wanted.isolateSubject}`);
  }
  const last = basename(wanted.matting.replace(/[/\\]+$/, ''));
  if (made.matting !== wanted.matting && made.matting !== last) {
    reasons.push(`background matted by "${made.matting}", the manifest says "${wanted.matting}"`);
  }
  return reasons;
}
