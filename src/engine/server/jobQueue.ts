import type { EngineConfig, EngineToHost, JobRequest } from '../../protocol/engineProtocol';
import { describeProviderReport, type ProviderReport } from '../../protocol/providerChoice';
import { Engine } from '../engine';
import { planSummary } from '../memory/memoryPlan';
import { runJob } from './runJob';
import { TokenCounter } from './tokenCounter';

/** Until the host configures the engine: the best provider, everything kept loaded, no previews. */
const DEFAULT_CONFIG: EngineConfig = { provider: 'auto', lowMemory: false, idleUnloadMs: 0, previewEvery: 0 };

interface RunningJob {
  job: JobRequest;
  abort: AbortController;
}

interface ConfiguredEngine {
  engine: Engine;
  config: Pick<EngineConfig, 'provider' | 'lowMemory'>;
}

/**
 * The engine server's state: jobs run one at a time in the order they came, a queued job can
 * be cancelled before it starts and the running one between steps, and the model is unloaded
 * after a configurable idle time. Everything it has to say goes through `send`.
 */
export class JobQueue {
  private config = DEFAULT_CONFIG;
  private readonly waiting: JobRequest[] = [];
  /** The position each waiting job was last told, so that only changes are sent. */
  private readonly positions = new Map<string, number>();
  private running: RunningJob | undefined;
  private draining: Promise<void> | undefined;
  private current: ConfiguredEngine | undefined;
  private modelLoaded = false;
  private provider: ProviderReport | undefined;
  private unloading: Promise<void> | undefined;
  private unloadWhenIdle = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly tokens = new TokenCounter();

  constructor(private readonly send: (message: EngineToHost) => void) {}

  get runningJobId(): string | undefined {
    return this.running?.job.jobId;
  }

  /** Provider and memory mode apply from the next job; the running one keeps its sessions. */
  configure(config: EngineConfig): void {
    this.config = config;
    if (!this.draining) this.scheduleIdleUnload();
  }

  submit(job: JobRequest): void {
    if (this.closing) {
      this.send({ type: 'cancelled', jobId: job.jobId });
      return;
    }
    this.clearIdleTimer();
    this.waiting.push(job);
    this.sendPositions();
    this.draining ??= this.drain();
  }

  /** A job that already ended is ignored: its outcome has been sent. */
  cancel(jobId: string): void {
    if (this.running?.job.jobId === jobId) {
      this.running.abort.abort();
      return;
    }
    const index = this.waiting.findIndex((job) => job.jobId === jobId);
    if (index < 0) return;
    this.waiting.splice(index, 1);
    this.positions.delete(jobId);
    this.send({ type: 'cancelled', jobId });
    this.sendPositions();
  }

  countTokens(requestId: number, modelDir: string, texts: string[], weighting: boolean): void {
    this.tokens.count(modelDir, texts, weighting).then(
      (counts) => this.send({ type: 'tokenCounts', requestId, counts }),
      (error: Error) => this.send({ type: 'tokenCountsFailed', requestId, message: error.message }),
    );
  }

  /** Frees the model now, or after the jobs in hand: sessions vanishing mid-job would fail it. */
  unload(): void {
    if (this.draining) {
      this.unloadWhenIdle = true;
      return;
    }
    void this.unloadNow();
  }

  /** Cancels everything, waits for the running job to stop and frees the model. */
  async shutdown(): Promise<void> {
    this.closing = true;
    this.clearIdleTimer();
    this.positions.clear();
    for (const job of this.waiting.splice(0)) this.send({ type: 'cancelled', jobId: job.jobId });
    this.running?.abort.abort();
    await this.draining;
    await this.unloading;
    await this.current?.engine.unload();
  }

  private async drain(): Promise<void> {
    await this.unloading;
    for (let job = this.waiting.shift(); job; job = this.waiting.shift()) {
      this.running = { job, abort: new AbortController() };
      this.positions.delete(job.jobId);
      this.sendPositions();
      const engine = await this.engineFor(this.config);
      this.modelLoaded = await runJob(job, {
        engine,
        previewEvery: this.config.previewEvery,
        signal: this.running.abort.signal,
        send: this.send,
        provider: () => this.provider,
      });
      this.running = undefined;
    }
    this.draining = undefined;
    if (this.closing) return;
    if (this.unloadWhenIdle) {
      await this.unloadNow();
    } else {
      this.sendIdleState();
      this.scheduleIdleUnload();
    }
  }

  /** A new provider or memory mode needs new sessions; the old ones are freed first. */
  private async engineFor(config: EngineConfig): Promise<Engine> {
    const { provider, lowMemory } = config;
    if (this.current && (this.current.config.provider !== provider || this.current.config.lowMemory !== lowMemory)) {
      await this.current.engine.unload();
      this.current = undefined;
      this.modelLoaded = false;
      this.provider = undefined;
    }
    this.current ??= {
      config: { provider, lowMemory },
      engine: new Engine({
        provider,
        lowMemory,
        events: {
          onLoad: (component, loadedWith, ms) => this.log('info', `${component} loaded on ${loadedWith} in ${Math.round(ms)} ms`),
          onFallback: (skipped, reason) => this.log('warn', `${skipped} not used: ${reason}`),
          onPlan: (plan) => this.log(plan.fits ? 'info' : 'warn', planSummary(plan)),
          onReport: (report, component) => {
            this.provider = report;
            if (component === 'unet') this.log('info', `execution provider: ${describeProviderReport(report)}`);
          },
        },
      }),
    };
    return this.current.engine;
  }

  private async unloadNow(): Promise<void> {
    this.clearIdleTimer();
    this.unloadWhenIdle = false;
    this.tokens.clear();
    const unloading = this.current?.engine.unload() ?? Promise.resolve();
    this.unloading = unloading;
    await unloading;
    if (this.unloading === unloading) this.unloading = undefined;
    this.modelLoaded = false;
    this.log('info', 'model unloaded');
    this.sendIdleState();
  }

  private scheduleIdleUnload(): void {
    this.clearIdleTimer();
    if (this.closing || !this.modelLoaded || this.config.idleUnloadMs <= 0) return;
    this.idleTimer = setTimeout(() => void this.unloadNow(), this.config.idleUnloadMs);
  }

  private clearIdleTimer(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /** Tells each waiting job how many jobs are ahead of it, the running one included, when that changed. */
  private sendPositions(): void {
    this.waiting.forEach(({ jobId }, index) => {
      const position = index + (this.running ? 1 : 0);
      if (this.positions.get(jobId) === position) return;
      this.positions.set(jobId, position);
      this.send({ type: 'queued', jobId, position });
    });
  }

  private sendIdleState(): void {
    this.send({ type: 'state', state: { kind: 'idle', modelLoaded: this.modelLoaded, provider: this.provider } });
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.send({ type: 'log', level, message });
  }
}
