// Noise drawn ahead in a worker thread must be the generator's own stream, value for value and
// bit for bit, and leave the generator where drawing it on the main thread would have.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { readModelFolder } from '../../src/engine/models/modelFolder';
import { applyGuidance, denoise } from '../../src/engine/pipelines/denoiseLoop';
import { UnetRunner } from '../../src/engine/pipelines/unetRunner';
import { PrefetchedNoise, type NoiseDraw, type NoiseRequest } from '../../src/engine/random/noisePrefetch';
import { TorchGenerator, type NoiseSource } from '../../src/engine/random/torchGenerator';
import type { SamplerName } from '../../src/protocol/recipe';
import { ModelSessions } from '../../src/engine/runtime/modelSessions';
import { createScheduler, type Scheduler } from '../../src/engine/schedulers/scheduler';
import { repoRoot } from '../support/shared';
import { tempFolder } from '../support/tempFolder';
import { buildTinySdxl } from '../support/tinyModels';

/** Exact equality of the float32 bit patterns, so that -0 and NaN payloads count too. */
function assertSameBits(actual: Float32Array, expected: Float32Array, message: string): void {
  assert.deepEqual(
    new Uint32Array(actual.buffer, actual.byteOffset, actual.length),
    new Uint32Array(expected.buffer, expected.byteOffset, expected.length),
    message,
  );
}

/** Both at the same place in the stream, checked by what they draw next on both paths of randn. */
function assertSameStream(generator: TorchGenerator, reference: TorchGenerator, message: string): void {
  for (const shape of [[1], [3], [40]]) {
    assertSameBits(generator.randn(shape), reference.randn(shape), `${message}: randn([${shape}])`);
  }
}

describe('PrefetchedNoise', () => {
  // Under 16 values randn takes torch's per-element double path, which caches a normal between
  // calls; from 16 on the Box–Muller blocks, with a redrawn last block when the size is ragged.
  const shapes = [[1], [3], [2, 3], [16], [1, 4, 3, 5], [17], [1, 4, 16, 16]];
  const seeds = [0, 42, 2 ** 32 + 7, -1];

  test('draws the arrays the generator would draw, and leaves it where that would', async () => {
    for (const seed of seeds) {
      for (const shape of shapes) {
        const generator = new TorchGenerator(seed);
        const reference = new TorchGenerator(seed);
        // An odd-sized draw first leaves a cached normal in the state the worker starts from.
        assertSameBits(generator.randn([5]), reference.randn([5]), 'first draw');
        const before = generator.getState();
        const noise = new PrefetchedNoise(generator, shape);
        // All asked for at once, the arrays queue up in the worker and here, in order.
        for (let i = 0; i < 5; i++) noise.request();
        for (let i = 0; i < 5; i++) {
          await noise.ready();
          assertSameBits(noise.randn(shape), reference.randn(shape), `seed ${seed}, [${shape}], array ${i}`);
        }
        // Drawn by the worker: had it failed, the generator would have drawn and moved on.
        assert.deepEqual(generator.getState(), before, 'the generator drew on the main thread');
        await noise.close();
        assertSameStream(generator, reference, `seed ${seed}, [${shape}] after the last array`);
      }
    }
  });

  test('closed part-way, the generator continues after the arrays taken', async () => {
    for (const taken of [0, 1, 3]) {
      const generator = new TorchGenerator(9);
      const reference = new TorchGenerator(9);
      const noise = new PrefetchedNoise(generator, [1, 4, 8, 8]);
      for (let i = 0; i < taken + 2; i++) noise.request();
      for (let i = 0; i < taken; i++) {
        await noise.ready();
        assertSameBits(noise.randn([1, 4, 8, 8]), reference.randn([1, 4, 8, 8]), `array ${i}`);
      }
      await noise.close();
      assertSameStream(generator, reference, `${taken} taken`);
    }
  });

  test('refuses another shape, and a draw before ready()', async () => {
    const noise = new PrefetchedNoise(new TorchGenerator(1), [1, 4, 3, 5]);
    try {
      noise.request();
      // Nothing from the worker arrives before the event loop turns.
      assert.throws(() => noise.randn([1, 4, 3, 5]), /no noise is ready/);
      await noise.ready();
      assert.throws(() => noise.randn([1, 4, 5, 3]), RangeError);
      assert.throws(() => noise.randn([60]), RangeError);
      assert.equal(noise.randn([1, 4, 3, 5]).length, 60);
      // Not asked for: ready() asks for it rather than wait for nothing.
      await noise.ready();
      assert.equal(noise.randn([1, 4, 3, 5]).length, 60);
    } finally {
      await noise.close();
    }
  });

  test('the bundled worker, which dist/cli.js and dist/engineServer.js start, draws the same stream', async () => {
    const generator = new TorchGenerator(8);
    const request: NoiseRequest = { state: generator.getState(), shape: [1, 4, 3, 5] };
    const worker = new Worker(join(repoRoot, 'dist', 'noiseWorker.js'), { workerData: request, execArgv: [] });
    try {
      for (let i = 0; i < 3; i++) worker.postMessage(null);
      const draws: NoiseDraw[] = [];
      await new Promise<void>((resolve, reject) => {
        worker.on('error', reject);
        worker.on('message', (draw: NoiseDraw) => draws.push(draw) === 3 && resolve());
      });
      for (const [i, draw] of draws.entries()) {
        assertSameBits(draw.noise, generator.randn([1, 4, 3, 5]), `array ${i}`);
        assert.deepEqual(draw.state, generator.getState(), `state after array ${i}`);
      }
    } finally {
      await worker.terminate();
    }
  });

  test('closing stops the worker, so the process can exit', () => {
    // A worker left running would keep this child alive until the timeout kills it.
    const source = (file: string) => JSON.stringify(join(repoRoot, 'src', 'engine', 'random', file));
    const script = `
      const { PrefetchedNoise } = require(${source('noisePrefetch.ts')});
      const { TorchGenerator } = require(${source('torchGenerator.ts')});
      (async () => {
        const noise = new PrefetchedNoise(new TorchGenerator(3), [1, 4, 128, 128]);
        for (let i = 0; i < 1000; i++) noise.request();
        await noise.ready();
        noise.randn([1, 4, 128, 128]);
        await noise.close();
        console.log('closed');
      })();`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(child.signal, null, 'the child did not exit by itself');
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), 'closed');
  });
});

/** SDXL's scheduler_config.json; LCM-LoRA models ship set_alpha_to_one true. */
const SCHEDULER_CONFIG = {
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  num_train_timesteps: 1000,
  prediction_type: 'epsilon',
  set_alpha_to_one: true,
  steps_offset: 1,
  timestep_spacing: 'leading',
};

/** Counts what step() draws, to hold each sampler to what it declares. */
class CountingNoise implements NoiseSource {
  draws = 0;
  private readonly generator = new TorchGenerator(0);

  randn(shape: readonly number[]): Float32Array {
    this.draws++;
    return this.generator.randn(shape);
  }
}

test('every sampler declares exactly the steps at which it draws', () => {
  const shape = [1, 4, 2, 2];
  const sample = new Float32Array(16).fill(0.5);
  const output = new Float32Array(16).fill(0.1);
  for (const name of ['euler', 'euler-a', 'ddim', 'dpmpp-2m', 'lcm'] as const) {
    for (const steps of [1, 2, 6]) {
      for (const begin of steps > 1 ? [0, 1] : [0]) {
        const scheduler = createScheduler(name, SCHEDULER_CONFIG);
        scheduler.setTimesteps(steps);
        scheduler.setBeginIndex(begin);
        let latents: Float32Array = sample;
        for (let i = begin; i < scheduler.timesteps.length; i++) {
          const t = scheduler.timesteps[i];
          const noise = new CountingNoise();
          latents = scheduler.step(output, t, scheduler.scaleModelInput(latents, t), noise, shape);
          assert.equal(noise.draws, scheduler.drawsNoiseAt(i) ? 1 : 0, `${name}, ${steps} steps from ${begin}: step ${i}`);
        }
      }
    }
  }
});

describe('the denoising loop with noise drawn ahead', () => {
  let sessions: ModelSessions;
  const latentShape = [1, 4, 6, 8];
  // Before the folder's removal: the sessions let go of the model files first.
  after(() => sessions.dispose());
  const work = tempFolder('sdxl-noise-prefetch');

  before(() => {
    buildTinySdxl(work);
    sessions = new ModelSessions(readModelFolder(work), 'cpu', false);
  });

  async function unetRunner(): Promise<UnetRunner> {
    const unet = await sessions.get('unet');
    const embeddings = (seed: number) => {
      const generator = new TorchGenerator(seed);
      return { tokens: generator.randn([77, 40]), pooled: generator.randn([20]) };
    };
    const conditioning = { positive: embeddings(1), negative: embeddings(2), sequenceLength: 77, tokenDim: 40, pooledDim: 20 };
    const ids = [48, 64, 0, 0, 48, 64];
    return new UnetRunner(unet, latentShape, conditioning, { positive: ids, negative: ids });
  }

  function scheduler(name: SamplerName, steps: number, begin: number): Scheduler {
    const created = createScheduler(name, SCHEDULER_CONFIG);
    created.setTimesteps(steps);
    created.setBeginIndex(begin);
    return created;
  }

  /** The loop before noise was drawn ahead: every draw on the main thread, in step(). */
  async function onMainThread(name: SamplerName, steps: number, begin: number, seed: number) {
    const unet = await unetRunner();
    const generator = new TorchGenerator(seed);
    let latents: Float32Array = generator.randn(latentShape);
    const sampler = scheduler(name, steps, begin);
    for (const t of sampler.timesteps.subarray(begin)) {
      const prediction = await unet.predict(sampler.scaleModelInput(latents, t), t);
      const guided = prediction.uncond ? applyGuidance(prediction.uncond, prediction.cond, 5) : prediction.cond;
      latents = sampler.step(guided, t, latents, generator, latentShape);
    }
    return { latents, generator };
  }

  for (const [name, steps, begin] of [['euler-a', 5, 0], ['euler-a', 5, 2], ['lcm', 4, 0], ['lcm', 4, 1], ['euler', 3, 0]] as const) {
    test(`${name}, ${steps} steps from ${begin}: the same latents, and the generator where the loop left it`, async () => {
      const expected = await onMainThread(name, steps, begin, 11);
      const generator = new TorchGenerator(11);
      const initial = generator.randn(latentShape);
      const options = { scheduler: scheduler(name, steps, begin), unet: await unetRunner(), generator, latentShape, guidance: 5, beginIndex: begin };
      const latents = await denoise(initial, options);
      assertSameBits(latents, expected.latents, 'latents');
      assertSameStream(generator, expected.generator, 'generator after the loop');
    });
  }

  test('cancelled, the loop stops the worker and leaves the generator after the steps run', async () => {
    const generator = new TorchGenerator(5);
    const reference = new TorchGenerator(5);
    const initial = generator.randn(latentShape);
    reference.randn(latentShape);
    const controller = new AbortController();
    const options = {
      scheduler: scheduler('euler-a', 8, 0),
      unet: await unetRunner(),
      generator,
      latentShape,
      guidance: 5,
      beginIndex: 0,
      signal: controller.signal,
      onStep: ({ step }: { step: number }) => step === 2 && controller.abort(),
    };
    await assert.rejects(denoise(initial, options));
    reference.randn(latentShape);
    reference.randn(latentShape);
    assertSameStream(generator, reference, 'generator after two steps');
  });
});
