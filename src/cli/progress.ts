import type { StepInfo } from '../engine/pipelines/denoiseLoop';
import { StepRate } from '../engine/server/stepRate';
import { PHASE_LABELS, type Phase } from '../protocol/phase';
import type { TileInfo } from '../engine/pipelines/vaeRuns';

/** Progress lines on stderr, so stdout carries only the written paths. */
export class ProgressReporter {
  private readonly tty = process.stderr.isTTY === true;
  private rate = new StepRate();

  constructor(private readonly label: string) {}

  phase(phase: Phase): void {
    if (phase === 'denoise') this.rate = new StepRate();
    this.line(`${this.label}${PHASE_LABELS[phase]}`);
  }

  step(info: StepInfo): void {
    const { itPerSecond, etaSeconds } = this.rate.step(info.stepMs, info.step, info.total);
    this.line(`${this.label}step ${info.step}/${info.total}, ${itPerSecond.toFixed(2)} it/s, ETA ${etaSeconds.toFixed(1)} s`);
  }

  tile(info: TileInfo): void {
    const what = info.component === 'vae_decoder' ? 'decoding' : 'encoding image';
    this.line(`${this.label}${what}, VAE tile ${info.tile}/${info.total}`);
  }

  done(): void {
    if (this.tty) process.stderr.write('\n');
  }

  private line(text: string): void {
    if (this.tty) process.stderr.write(`\r\x1b[K${text}`);
    else process.stderr.write(`${text}\n`);
  }
}
