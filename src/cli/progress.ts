import type { StepInfo } from '../engine/pipelines/denoiseLoop';
import type { Phase } from '../protocol/phase';

const PHASE_TEXT: Record<Phase, string> = {
  load: 'loading model',
  encode: 'encoding prompt',
  denoise: 'denoising',
  decode: 'decoding image',
};

/** Progress lines on stderr, so stdout carries only the written paths. */
export class ProgressReporter {
  private readonly tty = process.stderr.isTTY === true;
  private stepsStarted = 0;

  constructor(private readonly label: string) {}

  phase(phase: Phase): void {
    if (phase === 'denoise') this.stepsStarted = performance.now();
    this.line(`${this.label}${PHASE_TEXT[phase]}…`);
  }

  step(info: StepInfo): void {
    const elapsed = (performance.now() - this.stepsStarted) / 1000;
    const perSecond = info.step / elapsed;
    const eta = (info.total - info.step) / perSecond;
    this.line(`${this.label}step ${info.step}/${info.total}, ${perSecond.toFixed(2)} it/s, ETA ${eta.toFixed(1)} s`);
  }

  done(): void {
    if (this.tty) process.stderr.write('\n');
  }

  private line(text: string): void {
    if (this.tty) process.stderr.write(`\r\x1b[K${text}`);
    else process.stderr.write(`${text}\n`);
  }
}
