/** Steps averaged for the rate: enough to smooth jitter, few enough to follow a slowdown. */
const WINDOW = 5;

/**
 * Speed and time left of a denoising loop over a sliding window, so the slow first step
 * (arena growth, kernel selection) stops counting after a few steps.
 */
export class StepRate {
  private readonly recent: number[] = [];

  /** Records a finished step and returns the rate and remaining time it implies. */
  step(stepMs: number, step: number, total: number): { itPerSecond: number; etaSeconds: number } {
    this.recent.push(stepMs);
    if (this.recent.length > WINDOW) this.recent.shift();
    const meanMs = this.recent.reduce((sum, ms) => sum + ms, 0) / this.recent.length;
    return {
      itPerSecond: meanMs > 0 ? 1000 / meanMs : 0,
      etaSeconds: ((total - step) * meanMs) / 1000,
    };
  }
}
