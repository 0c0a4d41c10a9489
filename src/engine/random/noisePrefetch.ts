// A stochastic sampler's noise does not depend on the model output, so it can be drawn while the
// UNet runs; onnxruntime-node's run blocks the main thread, so the drawing happens in a worker
// thread. The worker continues the generator's stream from a snapshot and the sampler takes its
// arrays in order, so the values are exactly those the generator would have drawn itself.
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { NoiseSource, TorchGenerator, TorchGeneratorState } from './torchGenerator';

/** What noiseWorker starts from. */
export interface NoiseRequest {
  state: TorchGeneratorState;
  shape: number[];
}

/** One array from noiseWorker, with the generator's state right after drawing it. */
export interface NoiseDraw {
  noise: Float32Array;
  state: TorchGeneratorState;
}

/**
 * Successive generator.randn(shape) arrays, each drawn in a worker when request() asks for it. The
 * generator is left alone until close(), which moves it past the arrays taken, as if it had drawn
 * them. If the worker cannot start or stops early, the generator draws the rest itself.
 */
export class PrefetchedNoise implements NoiseSource {
  private readonly shape: readonly number[];
  private readonly drawn: NoiseDraw[] = [];
  private worker: Worker | undefined;
  /** Arrays requested and not yet received. */
  private pending = 0;
  private wake: (() => void) | undefined;
  /** The state after the last array taken; undefined while none has been. */
  private takenState: TorchGeneratorState | undefined;
  private onMainThread = false;

  constructor(
    private readonly generator: TorchGenerator,
    shape: readonly number[],
  ) {
    this.shape = [...shape];
    try {
      this.worker = startWorker({ state: generator.getState(), shape: [...shape] });
    } catch {
      this.onMainThread = true;
      return;
    }
    const worker = this.worker;
    worker.on('message', (draw: NoiseDraw) => {
      this.pending--;
      this.drawn.push(draw);
      this.wakeUp();
    });
    // A message that failed to arrive would shift every later array by one, so nothing after it is used.
    worker.on('messageerror', () => {
      worker.removeAllListeners('message');
      void worker.terminate();
    });
    // Every failure ends in 'exit', where ready() takes over on the main thread.
    worker.on('error', () => {});
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      this.wakeUp();
    });
  }

  /**
   * Asks for the next array. Called just before the main thread blocks in a UNet run, the draw
   * takes a core the main thread is not using, instead of competing with its own work.
   */
  request(): void {
    if (this.worker === undefined) return;
    this.pending++;
    this.worker.postMessage(null);
  }

  /** Resolves when randn can return the next array; normally at once, the draw having overlapped the UNet. */
  async ready(): Promise<void> {
    while (this.drawn.length === 0 && !this.onMainThread) {
      if (this.worker === undefined) {
        // Everything received was taken, so the stream continues from the last array taken.
        if (this.takenState !== undefined) this.generator.setState(this.takenState);
        this.onMainThread = true;
        return;
      }
      if (this.pending === 0) this.request();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  randn(shape: readonly number[]): Float32Array {
    if (shape.length !== this.shape.length || shape.some((dim, i) => dim !== this.shape[i])) {
      throw new RangeError(`noise was drawn ahead for shape [${this.shape}], not [${shape}]`);
    }
    if (this.onMainThread) return this.generator.randn(shape);
    const draw = this.drawn.shift();
    if (draw === undefined) throw new Error('no noise is ready: await ready() before each step that draws');
    this.takenState = draw.state;
    return draw.noise;
  }

  /** Stops the worker; the generator continues the stream after the arrays taken. */
  async close(): Promise<void> {
    if (!this.onMainThread && this.takenState !== undefined) this.generator.setState(this.takenState);
    this.onMainThread = true;
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/**
 * The worker's entry sits beside this module's code: dist/noiseWorker.js next to the bundle that
 * inlined this module (scripts/build.mjs builds both), noiseWorker.ts next to this file when the
 * sources run under tsx. tsx's `--import` hooks do not reach worker threads on Node 20, so the
 * sources' worker loads tsx's require hook itself.
 */
function startWorker(request: NoiseRequest): Worker {
  const sources = extname(__filename) === '.ts';
  const file = join(__dirname, sources ? 'noiseWorker.ts' : 'noiseWorker.js');
  // createRequire keeps esbuild from resolving tsx, which is not in the bundles and not needed there.
  const execArgv = sources ? ['--require', createRequire(__filename).resolve('tsx/cjs')] : undefined;
  return new Worker(file, { workerData: request, execArgv });
}
