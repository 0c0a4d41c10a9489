// What the sampler tests share: relative comparison, the scaled-linear ᾱ in plain float64 for
// hand formulas, and the reference fixtures' toy sampling loop with its final-latent summary.
import assert from 'node:assert/strict';
import { TorchGenerator } from '../../src/engine/random/torchGenerator';
import type { Scheduler } from '../../src/engine/schedulers/scheduler';

/** Largest |a − e| / max(|e|, floor) over the arrays, asserting it stays within the tolerance. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  floor: number,
  tolerance: number,
): number {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), floor, Number.MIN_VALUE);
    assert.ok(error <= tolerance, `${what}[${i}]: ${actual[i]} vs ${expected[i]} (relative ${error.toExponential(2)})`);
    worst = Math.max(worst, error);
  }
  return worst;
}

/**
 * ᾱ of latent diffusion's schedule (scaled_linear 0.00085..0.012 over 1000 steps, SD 1.x/2.x and
 * SDXL alike) in plain float64, independent of the port's float32 emulation.
 */
export function scaledLinearAlphaBar(): Float64Array {
  const n = 1000;
  const lo = Math.sqrt(0.00085);
  const hi = Math.sqrt(0.012);
  const out = new Float64Array(n);
  let product = 1;
  for (let i = 0; i < n; i++) {
    const beta = (lo + ((hi - lo) * i) / (n - 1)) ** 2;
    product *= 1 - beta;
    out[i] = product;
  }
  return out;
}

/** The final latents as the fixtures keep them: first 16 values, float64 sum and sum of squares. */
export interface FinalLatents {
  first: number[];
  sum: number;
  sumsq: number;
}

/**
 * The fixtures' loop body from `timesteps[beginIndex]` on: model eps = 0.5·x + 0.001·t, one
 * generator for every stochastic step. setTimesteps must have run.
 */
export function toyLoop(
  scheduler: Scheduler,
  initial: Float32Array,
  generator: TorchGenerator,
  shape: readonly number[],
  beginIndex = 0,
): Float32Array {
  const f32 = Math.fround;
  let latents = initial;
  for (const t of scheduler.timesteps.subarray(beginIndex)) {
    const x = scheduler.scaleModelInput(latents, t);
    // torch: float32 tensor ops, the Python scalars taken as float32.
    const bias = f32(f32(0.001) * f32(t));
    const eps = x.map((v) => 0.5 * v + bias);
    latents = scheduler.step(eps, t, latents, generator, shape);
  }
  return latents;
}

/** The README's whole loop: setTimesteps, seeded noise × init_noise_sigma, then toyLoop. */
export function runTrajectory(scheduler: Scheduler, entry: { steps: number; seed: number; shape: number[] }): Float32Array {
  scheduler.setTimesteps(entry.steps);
  const generator = new TorchGenerator(entry.seed);
  const initSigma = Math.fround(scheduler.initNoiseSigma);
  const initial = generator.randn(entry.shape).map((x) => x * initSigma);
  return toyLoop(scheduler, initial, generator, entry.shape);
}

/**
 * Compares final latents with a fixture's summary. A first value near zero is judged against the
 * latents' RMS, and a sum near zero against √sumsq, the size that per-element rounding moves a
 * sum by, not against its own size. Returns the worst relative error.
 */
export function assertFinalLatents(latents: Float32Array, expected: FinalLatents, what: string, tolerance: number): number {
  let sum = 0;
  let sumsq = 0;
  for (const v of latents) {
    sum += v;
    sumsq += v * v;
  }
  const rms = Math.sqrt(expected.sumsq / latents.length);
  return Math.max(
    assertClose(latents.subarray(0, expected.first.length), expected.first, `${what}: first`, rms, tolerance),
    assertClose([sum], [expected.sum], `${what}: sum`, Math.sqrt(expected.sumsq), tolerance),
    assertClose([sumsq], [expected.sumsq], `${what}: sumsq`, 0, tolerance),
  );
}
