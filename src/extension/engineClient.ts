// The host's side of the engine boundary. No vscode import: it runs, and is tested, in plain Node.
import { fork, type ChildProcess } from 'node:child_process';
import { readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Recipe } from '../protocol/recipe';
import { withCudaLibraryPath } from '../engine/cuda/cudaSupport';
import type {
  ConversionProgress,
  EngineConfig,
  EngineToHost,
  HostToEngine,
  JobRequest,
  TokenCount,
} from '../protocol/engineProtocol';
import type { FailureCode } from '../protocol/failureCode';

export interface EngineClientOptions {
  /** The built child-process entry, dist/engineServer.js. */
  enginePath: string;
  /** Lines the engine printed to stdout or stderr (native libraries write there) and the client's own notes. */
  log?: (line: string) => void;
  /** How long dispose() waits for a clean exit before killing the engine. */
  shutdownGraceMs?: number;
}

/** Every message of the engine, and `exited` when its process ends. */
export type EngineEvent =
  | EngineToHost
  | { type: 'exited'; code: number | null; signal: NodeJS.Signals | null; unexpected: boolean };

export interface JobResult {
  path: string;
  recipe: Recipe;
  elapsedMs: number;
}

/** A job that did not produce its file; `code` is 'cancelled', the engine's failure code, or 'engine-stopped'. */
export class EngineJobError extends Error {
  constructor(
    message: string,
    readonly code: FailureCode | 'engine-stopped',
  ) {
    super(message);
    this.name = 'EngineJobError';
  }
}

interface PendingJob {
  job: JobRequest;
  resolve: (result: JobResult) => void;
  reject: (error: EngineJobError) => void;
}

export interface ConversionResult {
  outDir: string;
  /** One line per component: what became float16, what stayed float32 and why. */
  summary: string[];
}

interface PendingConversion {
  resolve: (result: ConversionResult) => void;
  reject: (error: EngineJobError) => void;
  onProgress: (progress: ConversionProgress) => void;
}

interface PendingCount {
  resolve: (counts: TokenCount[][]) => void;
  reject: (error: Error) => void;
}

const DEFAULT_SHUTDOWN_GRACE_MS = 5000;
const SHUT_DOWN = 'The image engine has been shut down.';
/** Kept for the log when the engine dies: enough for a native stack trace. */
const STDERR_TAIL_LINES = 40;

/**
 * Runs the engine in a child process, started on the first request and started again after a
 * crash, and turns its messages into promises and events.
 */
export class EngineClient {
  private child: ChildProcess | undefined;
  private config: EngineConfig | undefined;
  private readonly jobs = new Map<string, PendingJob>();
  private readonly counts = new Map<number, PendingCount>();
  private readonly conversions = new Map<string, PendingConversion>();
  private nextRequestId = 1;
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  private stderrTail: string[] = [];
  private stopping = false;
  private disposed = false;
  private restartPending = false;

  constructor(private readonly options: EngineClientOptions) {}

  /** Applies to the running engine now and to every engine started later. */
  configure(config: EngineConfig): void {
    this.config = config;
    if (this.child) this.post({ type: 'configure', config });
  }

  submit(job: JobRequest): { jobId: string; done: Promise<JobResult> } {
    const done = new Promise<JobResult>((resolve, reject) => {
      if (this.disposed) {
        reject(new EngineJobError(SHUT_DOWN, 'engine-stopped'));
        return;
      }
      if (this.jobs.has(job.jobId)) {
        reject(new EngineJobError(`A job with id ${job.jobId} is already queued.`, 'bad-request'));
        return;
      }
      this.jobs.set(job.jobId, { job, resolve, reject });
      this.post({ type: 'generate', job }, true);
    });
    return { jobId: job.jobId, done };
  }

  /** Its `done` rejects with code 'cancelled', unless the job had already finished. */
  cancel(jobId: string): void {
    if (this.jobs.has(jobId)) this.post({ type: 'cancel', jobId });
  }

  /** Per text, one count per tokenizer of the model; with `weighting`, in prompt-weighting chunks. */
  countTokens(modelDir: string, texts: string[], weighting: boolean): Promise<TokenCount[][]> {
    return new Promise((resolve, reject) => {
      if (this.disposed) {
        reject(new Error(SHUT_DOWN));
        return;
      }
      const requestId = this.nextRequestId++;
      this.counts.set(requestId, { resolve, reject });
      this.post({ type: 'countTokens', requestId, modelDir, texts, weighting }, true);
    });
  }

  /**
   * A float16 copy of `modelDir` written by the engine process into `outDir` (which must not
   * exist). `done` rejects with code 'cancelled' after cancelConversion, the engine's error code
   * otherwise; an interrupted conversion resumes when asked again with the same folders.
   */
  convertToFloat16(
    modelDir: string,
    outDir: string,
    onProgress: (progress: ConversionProgress) => void,
  ): { requestId: string; done: Promise<ConversionResult> } {
    const requestId = `convert-${this.nextRequestId++}`;
    const done = new Promise<ConversionResult>((resolve, reject) => {
      if (this.disposed) {
        reject(new EngineJobError(SHUT_DOWN, 'engine-stopped'));
        return;
      }
      this.conversions.set(requestId, { resolve, reject, onProgress });
      this.post({ type: 'convert', request: { requestId, modelDir, outDir } }, true);
    });
    return { requestId, done };
  }

  cancelConversion(requestId: string): void {
    if (this.conversions.has(requestId)) this.post({ type: 'cancelConvert', requestId });
  }

  /** Frees the engine's model; the process stays for the next job. */
  unload(): void {
    if (this.child) this.post({ type: 'unload' });
  }

  /**
   * Lets the running engine finish its jobs, then stops it; the next request starts a fresh one,
   * which loads what changed on disk (an installed CUDA provider) with the library path of now.
   */
  restart(): void {
    this.restartPending = true;
    this.retireIfIdle();
  }

  onMessage(listener: (event: EngineEvent) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Asks the engine to stop and kills it if it has not within the grace period. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const child = this.child;
    if (!child) return;
    this.stopping = true;
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    this.post({ type: 'shutdown' });
    const timer = setTimeout(() => child.kill('SIGKILL'), this.options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  /** Sends to the engine, starting it first when `start` says so and none is running. */
  private post(message: HostToEngine, start = false): void {
    const child = start ? this.ensureChild() : this.child;
    // A failed send means the process is going away; its close handler settles what is pending.
    child?.send(message, (error) => {
      if (error) this.note(`could not send ${message.type} to the image engine: ${error.message}`);
    });
  }

  private ensureChild(): ChildProcess {
    if (this.child) return this.child;
    const child = fork(this.options.enginePath, [], {
      execPath: process.execPath,
      // The host's own flags (an inspector port, a loader) must not leak into the engine.
      execArgv: ['--enable-source-maps'],
      // The loader reads the library path once, at start: the CUDA folders must be on it already.
      env: withCudaLibraryPath({ ...process.env, ELECTRON_RUN_AS_NODE: '1' }),
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    this.stderrTail = [];
    this.stopping = false;
    forEachLine(child.stdout, (line) => this.note(`engine: ${line}`));
    forEachLine(child.stderr, (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
      this.note(`engine stderr: ${line}`);
    });
    child.on('message', (message: EngineToHost) => this.receive(message));
    child.on('error', (error) => {
      this.note(`image engine process error: ${error.message}`);
      // A process that never started emits no close.
      if (child.pid === undefined) void this.closed(child, null, null, `it could not start: ${error.message}`);
    });
    // 'close', not 'exit': it comes after the last message and the last stderr line.
    child.on('close', (code, signal) => void this.closed(child, code, signal, signal ? `signal ${signal}` : `exit code ${code}`));
    if (this.config) this.post({ type: 'configure', config: this.config });
    return child;
  }

  private receive(message: EngineToHost): void {
    switch (message.type) {
      case 'done': {
        const pending = this.takeJob(message.jobId);
        pending?.resolve({ path: message.path, recipe: message.recipe, elapsedMs: message.elapsedMs });
        break;
      }
      case 'failed':
        this.takeJob(message.jobId)?.reject(new EngineJobError(message.message, message.code));
        break;
      case 'cancelled':
        this.takeJob(message.jobId)?.reject(new EngineJobError('Generation cancelled.', 'cancelled'));
        break;
      case 'tokenCounts':
        this.takeCount(message.requestId)?.resolve(message.counts);
        break;
      case 'tokenCountsFailed':
        this.takeCount(message.requestId)?.reject(new Error(message.message));
        break;
      case 'convertProgress':
        this.conversions.get(message.requestId)?.onProgress(message.progress);
        break;
      case 'convertDone':
        this.takeConversion(message.requestId)?.resolve({ outDir: message.outDir, summary: message.summary });
        break;
      case 'convertFailed':
        this.takeConversion(message.requestId)?.reject(new EngineJobError(message.message, message.code));
        break;
    }
    this.emit(message);
  }

  private async closed(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, how: string): Promise<void> {
    if (this.child !== child) return;
    this.child = undefined;
    // The next request starts a fresh engine anyway.
    this.restartPending = false;
    // Taken now: a submit during the cleanup below already belongs to the next engine.
    const jobs = [...this.jobs.values()];
    const counts = [...this.counts.values()];
    const conversions = [...this.conversions.values()];
    this.jobs.clear();
    this.counts.clear();
    this.conversions.clear();
    const unexpected = !this.stopping;
    if (unexpected) {
      this.note(`the image engine stopped unexpectedly (${how})`);
      if (this.stderrTail.length > 0) this.note(`its last stderr lines:\n${this.stderrTail.join('\n')}`);
    }
    // A job cut off while writing leaves its temporary file, never a partial target.
    await Promise.all(jobs.map(({ job }) => removeTemporaryFiles(job.outputPath)));
    const message = unexpected
      ? `The image engine stopped unexpectedly (${how})${signal === 'SIGKILL' ? ', perhaps because memory ran out' : ''}; the next job starts a fresh engine.`
      : SHUT_DOWN;
    for (const pending of jobs) pending.reject(new EngineJobError(message, 'engine-stopped'));
    for (const pending of counts) pending.reject(new Error(message));
    for (const pending of conversions) pending.reject(new EngineJobError(message, 'engine-stopped'));
    this.emit({ type: 'exited', code, signal, unexpected });
  }

  private takeJob(jobId: string): PendingJob | undefined {
    const pending = this.jobs.get(jobId);
    this.jobs.delete(jobId);
    this.retireIfIdle();
    return pending;
  }

  private takeCount(requestId: number): PendingCount | undefined {
    const pending = this.counts.get(requestId);
    this.counts.delete(requestId);
    this.retireIfIdle();
    return pending;
  }

  private takeConversion(requestId: string): PendingConversion | undefined {
    const pending = this.conversions.get(requestId);
    this.conversions.delete(requestId);
    this.retireIfIdle();
    return pending;
  }

  private retireIfIdle(): void {
    const child = this.child;
    if (!this.restartPending || (child && (this.jobs.size > 0 || this.counts.size > 0 || this.conversions.size > 0))) return;
    this.restartPending = false;
    if (!child) return;
    // Let go of it first: a request from now on starts the fresh engine instead of reaching this one.
    this.child = undefined;
    child.send({ type: 'shutdown' } satisfies HostToEngine, () => undefined);
    const timer = setTimeout(() => child.kill('SIGKILL'), this.options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS);
    child.once('close', () => clearTimeout(timer));
  }

  private emit(event: EngineEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  private note(line: string): void {
    this.options.log?.(line);
  }
}

function forEachLine(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (partial + chunk).split(/\r?\n/);
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') onLine(line);
  });
  stream.on('end', () => {
    if (partial.trim() !== '') onLine(partial);
  });
}

/** writeImage (src/engine/image/writeImage.ts) writes `.<name>.<hex>.tmp` beside the target first. */
async function removeTemporaryFiles(outputPath: string): Promise<void> {
  const folder = dirname(outputPath);
  const prefix = `.${basename(outputPath)}.`;
  const names = await readdir(folder).catch(() => [] as string[]);
  const temporary = names.filter(
    (name) => name.startsWith(prefix) && /^[0-9a-f]+\.tmp$/.test(name.slice(prefix.length)),
  );
  await Promise.all(temporary.map((name) => unlink(join(folder, name)).catch(() => undefined)));
}
