import type { ModelChoice, PanelSettings } from '../src/protocol/panelProtocol';
import { continuesSdxlLatents, takesRefiner } from '../src/protocol/refiner';

/** The refiner start slider's range: a refiner needs some of the schedule, and so does the base. */
export const REFINER_START_MIN = 0.05;
export const REFINER_START_MAX = 0.95;
export const REFINER_START_STEP = 0.05;

/** What may refine `baseDir`'s output: any other SDXL-family folder that loads, refiner folders first. */
export function refinerChoices(models: readonly ModelChoice[], baseDir: string): ModelChoice[] {
  if (!takesRefiner(models.find((m) => m.dir === baseDir)?.family)) return [];
  const candidates = models.filter((m) => !m.problem && m.dir !== baseDir && continuesSdxlLatents(m.family));
  return [...candidates.filter((m) => m.family === 'sdxl-refiner'), ...candidates.filter((m) => m.family !== 'sdxl-refiner')];
}

/** Drops a refiner the chosen model cannot have, or one that is no longer offered. */
export function withUsableRefiner(settings: PanelSettings, models: readonly ModelChoice[]): PanelSettings {
  if (settings.refinerDir === '') return settings;
  const usable = refinerChoices(models, settings.modelDir).some((m) => m.dir === settings.refinerDir);
  return usable ? settings : { ...settings, refinerDir: '' };
}

/** What the refiner start means, under the slider. */
export function refinerStartHint(start: number): string {
  const base = Math.round(start * 100);
  return `The base runs the first ${base}% of the schedule, the refiner the last ${100 - base}%.`;
}
