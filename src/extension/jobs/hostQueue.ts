import type { QueueItem } from '../../protocol/panelProtocol';

/** The host's view of the engine's queue, in submission order, as the panel shows it. */
export class HostQueue {
  private readonly items: QueueItem[] = [];

  add(jobId: string, prompt: string, seed: number): void {
    this.items.push({ jobId, prompt, seed, state: 'queued' });
  }

  start(jobId: string): void {
    const item = this.items.find((i) => i.jobId === jobId);
    if (item) item.state = 'running';
  }

  /** Done, failed or cancelled: the job leaves the queue. */
  finish(jobId: string): void {
    const index = this.items.findIndex((i) => i.jobId === jobId);
    if (index >= 0) this.items.splice(index, 1);
  }

  running(): QueueItem | undefined {
    return this.items.find((i) => i.state === 'running');
  }

  ids(): string[] {
    return this.items.map((i) => i.jobId);
  }

  snapshot(): QueueItem[] {
    return this.items.map((i) => ({ ...i }));
  }

  get size(): number {
    return this.items.length;
  }
}
