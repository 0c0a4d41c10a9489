import { PHASE_LABELS } from '../../protocol/phase';
import type { BackendEvent } from '../panel/panelBackend';

/** How the notification and the status bar both write a step, so that they read the same. */
export function stepText(step: number, total: number): string {
  return `step ${step}/${total}`;
}

export interface ProgressReport {
  message: string;
  /** Percent the bar moves by since the previous report, as `Progress.report` wants it. */
  increment: number;
}

/**
 * What a progress notification shows for one job: the phase, or "step i/n" while denoising,
 * with the bar following the steps. Events of other jobs are not this job's business.
 */
export class JobProgress {
  private reportedPercent = 0;

  constructor(private readonly jobId: string) {}

  next(event: BackendEvent): ProgressReport | undefined {
    if (event.type === 'phase' && event.jobId === this.jobId) {
      return { message: PHASE_LABELS[event.phase], increment: 0 };
    }
    if (event.type === 'progress' && event.jobId === this.jobId) {
      const percent = event.total > 0 ? Math.min(100, (100 * event.step) / event.total) : this.reportedPercent;
      const increment = Math.max(0, percent - this.reportedPercent);
      this.reportedPercent += increment;
      return { message: stepText(event.step, event.total), increment };
    }
    return undefined;
  }
}
