/**
 * How often progress reaches the screen. A small model runs hundreds of steps a second; VS Code
 * passes a notification's progress on at most every 100 ms but a status bar item's at once, so
 * unpaced steps leave the two showing different numbers. Paced, every view gets the same step
 * at the same time, and no more often than it can show it.
 */
export const PROGRESS_INTERVAL_MS = 150;

export class ProgressPacer {
  private readonly lastShown = new Map<string, number>();

  /** Whether this step is shown: the first and the last of a job always, others once per interval. */
  admit(jobId: string, step: number, total: number, nowMs: number): boolean {
    const last = this.lastShown.get(jobId);
    const due = last === undefined || step >= total || nowMs - last >= PROGRESS_INTERVAL_MS;
    if (due) this.lastShown.set(jobId, nowMs);
    if (step >= total) this.lastShown.delete(jobId);
    return due;
  }

  /** The job ended before its last step (cancelled, failed). */
  forget(jobId: string): void {
    this.lastShown.delete(jobId);
  }
}
