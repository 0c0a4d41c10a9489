import type { EngineEvent } from '../engineClient';
import type { BackendEvent } from '../panel/panelBackend';
import type { EngineStatusBar } from '../statusBar';
import type { HostQueue } from './hostQueue';
import { ProgressPacer } from './progressPacer';

/**
 * Passes the engine's messages on: states to the status bar, logs to the output channel, a job's
 * start to the queue, and phases, steps and previews to the panel and the notifications.
 */
export class EngineEventRelay {
  /** The one place that decides which steps the panel, the notification and the status bar show. */
  private readonly pacer = new ProgressPacer();

  constructor(
    private readonly queue: HostQueue,
    private readonly status: EngineStatusBar,
    private readonly output: { appendLine(line: string): void },
    private readonly emit: (event: BackendEvent) => void,
    private readonly emitQueue: () => void,
  ) {}

  relay(message: EngineEvent): void {
    switch (message.type) {
      case 'state':
        this.status.update(message.state, this.queue.size);
        return;
      case 'started':
        this.queue.start(message.jobId);
        this.emitQueue();
        return;
      case 'phase':
        this.emit(message);
        return;
      case 'progress':
        if (!this.pacer.admit(message.jobId, message.step, message.total, performance.now())) return;
        this.status.progress(message.jobId, message.step, message.total);
        this.emit(message);
        return;
      case 'preview':
        this.emit({ type: 'preview', jobId: message.jobId, png: message.png });
        return;
      case 'log':
        this.output.appendLine(`[engine ${message.level}] ${message.message}`);
        return;
      case 'exited':
        if (this.queue.size > 0 || message.signal || (message.code ?? 0) !== 0) this.status.stopped();
        return;
      default:
        return;
    }
  }

  /** A job ended, perhaps before its last step (cancelled, failed): its pacing is dropped. */
  forget(jobId: string): void {
    this.pacer.forget(jobId);
  }
}
