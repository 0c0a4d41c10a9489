import type { HostToPanel } from '../src/protocol/panelProtocol';
import { PHASE_LABELS } from '../src/protocol/phase';

/** What a `progress` message says about the running job. */
export type ProgressInfo = Omit<Extract<HostToPanel, { type: 'progress' }>, 'type'>;

/** "step 7/30 · 2.1 it/s · ETA 11 s"; the phase name outside the denoising loop. */
export function progressText(p: ProgressInfo): string {
  // Messages cross postMessage unchecked: a phase missing from the table still shows its name.
  if (p.phase !== 'denoise') return PHASE_LABELS[p.phase] ?? `${p.phase}…`;
  const parts = [`step ${p.step}/${p.total}`];
  if (p.itPerSecond > 0 && Number.isFinite(p.itPerSecond)) {
    parts.push(speedText(p.itPerSecond));
    if (p.step < p.total && Number.isFinite(p.etaSeconds)) parts.push(`ETA ${durationText(p.etaSeconds)}`);
  }
  return parts.join(' · ');
}

/** Slow machines (SDXL on a CPU) read better in seconds per step than in 0.1 it/s. */
export function speedText(itPerSecond: number): string {
  return itPerSecond >= 1 ? `${itPerSecond.toFixed(1)} it/s` : `${(1 / itPerSecond).toFixed(1)} s/it`;
}

export function durationText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** A bar that fills only while denoising; the other phases have no steps to count. */
export function progressFraction(p: ProgressInfo): number | undefined {
  return p.phase === 'denoise' && p.total > 0 ? Math.min(1, p.step / p.total) : undefined;
}
