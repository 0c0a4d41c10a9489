import * as vscode from 'vscode';
import type { ProviderReport } from '../protocol/providerChoice';
import type { EngineState } from '../protocol/engineProtocol';
import { PHASE_LABELS } from '../protocol/phase';
import { stepText } from './jobs/jobProgress';

const PROVIDER_LABELS: Record<ProviderReport['provider'], string> = {
  cpu: 'the CPU',
  cuda: 'CUDA',
  dml: 'DirectML',
  coreml: 'CoreML',
  webgpu: 'WebGPU',
};

/** One status bar item with the engine's state; clicking it opens the panel. */
export class EngineStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('sdxlAssets.engine', vscode.StatusBarAlignment.Left, 10);
  private provider: ProviderReport | undefined;
  private state: EngineState = { kind: 'idle', modelLoaded: false };
  private queued = 0;
  /** The running job's last step, from the progress events the notification and the panel show too. */
  private step: { jobId: string; step: number; total: number } | undefined;

  constructor(command: string) {
    this.item.name = 'SDXL Assets engine';
    this.item.command = command;
    this.update({ kind: 'idle', modelLoaded: false });
    this.item.show();
  }

  update(state: EngineState, queued = 0): void {
    if ('provider' in state && state.provider) this.provider = state.provider;
    this.state = state;
    this.queued = queued;
    this.render();
  }

  /**
   * A denoising step finished. The engine's state messages carry the step too, but the status
   * bar takes it from here only, so that it never shows another number than the notification.
   */
  progress(jobId: string, step: number, total: number): void {
    this.step = { jobId, step, total };
    if (this.state.kind === 'running' && this.state.jobId === jobId) this.render();
  }

  private render(): void {
    const state = this.state;
    const provider = this.provider ? ` (${this.provider.provider})` : '';
    const more = this.queued > 1 ? `, ${this.queued - 1} queued` : '';
    switch (state.kind) {
      case 'idle':
        this.item.text = `$(file-media) SDXL: idle${provider}`;
        this.item.tooltip = this.tooltip(state.modelLoaded ? 'SDXL Assets: model loaded, ready' : 'SDXL Assets: ready');
        break;
      case 'loading':
        this.item.text = `$(sync~spin) SDXL: ${PHASE_LABELS.load}${more}`;
        this.item.tooltip = 'SDXL Assets: loading the model';
        break;
      case 'running': {
        const step = this.step;
        const text =
          state.phase === 'denoise' && step?.jobId === state.jobId ? stepText(step.step, step.total) : PHASE_LABELS[state.phase];
        this.item.text = `$(sync~spin) SDXL: ${text}${provider}${more}`;
        this.item.tooltip = this.tooltip('SDXL Assets: generating — click to open the panel');
        break;
      }
    }
  }

  /** The state, then where the models run and why not on the providers passed over. */
  private tooltip(first: string): string {
    const report = this.provider;
    if (!report) return first;
    const lines = [first, `Runs on ${PROVIDER_LABELS[report.provider]} (setting: ${report.choice})`];
    for (const skip of report.skipped) lines.push(`Not ${PROVIDER_LABELS[skip.provider]}: ${skip.reason}`);
    return lines.join('\n');
  }

  /** The process died: say so until the next job starts a fresh one. */
  stopped(): void {
    this.item.text = '$(warning) SDXL: engine stopped';
    this.item.tooltip = 'The image engine stopped; the next job starts it again. See the SDXL Assets output.';
  }

  dispose(): void {
    this.item.dispose();
  }
}
