// Times one UNet model alone, the way the engine runs it: the engine's own session options,
// feeds converted to the element types the export declares, the output read back to float32.
// This is what a denoising step costs on a provider, without text encoders or VAE.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InferenceSession, type Tensor } from 'onnxruntime-node';
import type { ProviderName } from '../../src/protocol/providerChoice';
import { createSession } from '../../src/engine/runtime/providers';
import { SessionSignature } from '../../src/engine/runtime/sessionSignature';
import { floatTensor, tensorToFloat32 } from '../../src/engine/runtime/tensors';

export interface UnetShape {
  width: number;
  height: number;
  batch: number;
}

export interface UnetTiming extends UnetShape {
  /** The first run: on a GPU provider it includes compiling the kernels for these shapes. */
  firstMs: number;
  /** Median over the timed runs: feeds, run and read-back. */
  stepMs: number;
  /** Median time inside session.run. */
  runMs: number;
  finite: boolean;
}

/** "1024x1024x2" → 1024×1024 pixels, UNet batch 2 (one image with guidance). */
export function parseShape(text: string): UnetShape {
  const match = /^(\d+)x(\d+)x(\d+)$/.exec(text);
  if (!match) throw new Error(`"${text}" is not WIDTHxHEIGHTxBATCH`);
  return { width: Number(match[1]), height: Number(match[2]), batch: Number(match[3]) };
}

export async function createUnetSession(path: string, provider: ProviderName): Promise<{ session: InferenceSession; ms: number }> {
  const started = performance.now();
  const { session } = await createSession(path, [provider], { keepArena: true });
  return { session, ms: performance.now() - started };
}

export async function timeUnet(session: InferenceSession, shape: UnetShape, runs: number): Promise<UnetTiming> {
  const signature = new SessionSignature('unet', session);
  const { batch } = shape;
  const latentDims = [batch, 4, shape.height / 8, shape.width / 8];
  const sample = unitNoise(latentDims.reduce((a, b) => a * b, 1), 1);
  const context = unitNoise(batch * 77 * 2048, 2);
  const pooled = unitNoise(batch * 1280, 3);
  const ids = Float32Array.from({ length: batch * 6 }, (_, i) => [shape.height, shape.width, 0, 0, shape.height, shape.width][i % 6]);
  const fixed: Record<string, Tensor> = {
    encoder_hidden_states: floatTensor(signature.input('encoder_hidden_states'), context, [batch, 77, 2048]),
    text_embeds: floatTensor(signature.input('text_embeds'), pooled, [batch, 1280]),
    time_ids: floatTensor(signature.input('time_ids'), ids, [batch, 6]),
  };
  const step = async (timestep: number) => {
    const started = performance.now();
    const feeds = {
      ...fixed,
      sample: floatTensor(signature.input('sample'), sample, latentDims),
      timestep: floatTensor(signature.input('timestep'), Float32Array.of(timestep), []),
    };
    const runStarted = performance.now();
    const output = await session.run(feeds);
    const runMs = performance.now() - runStarted;
    const out = tensorToFloat32(output.out_sample, 'out_sample');
    return { stepMs: performance.now() - started, runMs, finite: out.every(Number.isFinite) };
  };
  const first = await step(999);
  const timed = [];
  for (let i = 0; i < runs; i++) timed.push(await step(999 - 50 * (i + 1)));
  return {
    ...shape,
    firstMs: first.stepMs,
    stepMs: median(timed.map((t) => t.stepMs)),
    runMs: median(timed.map((t) => t.runMs)),
    finite: first.finite && timed.every((t) => t.finite),
  };
}

export interface OptimizedCacheTiming {
  /** The engine's session (graph optimisation 'all'), from the original model. */
  plainMs: number;
  /** The same, also writing the optimised graph next to the model. */
  writeMs: number;
  /** Loading the written graph with optimisation 'disabled' and 'basic'; a string says why it failed. */
  disabledMs: number | string;
  basicMs: number | string;
}

/**
 * Whether ONNX Runtime's optimised-model file (optimizedModelFilePath) would shorten session
 * creation: each session is created twice and the faster counts, so the file cache is warm
 * for all of them alike.
 */
export async function timeOptimizedCache(path: string, provider: ProviderName): Promise<OptimizedCacheTiming> {
  const optimized = join(dirname(path), 'model.optimized.onnx');
  const dataFile = 'model.optimized.onnx_data';
  const timed = async (create: () => Promise<InferenceSession>) => {
    let best = Infinity;
    for (let i = 0; i < 2; i++) {
      const started = performance.now();
      const session = await create();
      best = Math.min(best, performance.now() - started);
      await session.release();
    }
    return best;
  };
  const base: InferenceSession.SessionOptions = { executionProviders: [provider], logSeverityLevel: 4, enableCpuMemArena: true };
  const orFailure = (ms: Promise<number>) => ms.catch((error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]);
  try {
    const plainMs = await timed(async () => (await createUnetSession(path, provider)).session);
    const writeMs = await timed(() =>
      InferenceSession.create(path, {
        ...base,
        graphOptimizationLevel: 'all',
        optimizedModelFilePath: optimized,
        // Past protobuf's 2 GB limit the optimised graph must keep its weights outside, as the original does.
        extra: { session: { optimized_model_external_initializers_file_name: dataFile, optimized_model_external_initializers_min_size_in_bytes: '1024' } },
      }),
    );
    const load = (level: 'disabled' | 'basic') => timed(() => InferenceSession.create(optimized, { ...base, graphOptimizationLevel: level }));
    return { plainMs, writeMs, disabledMs: await orFailure(load('disabled')), basicMs: await orFailure(load('basic')) };
  } finally {
    rmSync(optimized, { force: true });
    rmSync(join(dirname(path), dataFile), { force: true });
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Deterministic unit-variance inputs: the speed must not depend on Math.random. */
function unitNoise(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 2 ** 32) * 2 * Math.sqrt(3) - Math.sqrt(3);
  }
  return out;
}
