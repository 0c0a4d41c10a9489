// The contract of diffusers' SchedulerMixin (set_timesteps, scale_model_input, step, add_noise)
// and a factory from a sampler name and a raw scheduler_config.json.
import type { SamplerName } from '../../protocol/recipe';
import type { NoiseSource } from '../random/torchGenerator';
import { DDIMScheduler } from './ddim';
import { DPMSolverMultistepScheduler } from './dpmSolverMultistep';
import { EulerDiscreteScheduler } from './euler';
import { EulerAncestralDiscreteScheduler } from './eulerAncestral';
import { LCMScheduler } from './lcm';
import { PNDMScheduler } from './pndm';
import { resolveSchedulerConfig, type AnySchedulerConfig, type SchedulerOverrides } from './schedulerConfig';

export type { SamplerName } from '../../protocol/recipe';

/**
 * One sampler. Tensors are flat Float32Arrays in NCHW order. Per-element arithmetic is float64,
 * rounded once on output; the per-step scalar coefficients (sigmas, alphas, DPM-Solver's h) are
 * rounded as diffusers' float32 0-dim tensors are, since a rounding that every element shares
 * would be a systematic error. A scheduler keeps a step counter like diffusers', so a run calls
 * setTimesteps once and then step() once per timestep, in order.
 */
export interface Scheduler {
  /** The effective config, resolved with this sampler's diffusers defaults. */
  readonly config: Readonly<AnySchedulerConfig>;
  /** The model timesteps in order, as diffusers' scheduler.timesteps (empty before setTimesteps). */
  readonly timesteps: Float64Array;
  /** For sigma-based samplers, final sigma (usually 0) included. */
  readonly sigmas?: Float64Array;
  /** Standard deviation of the initial noise; valid after setTimesteps. */
  readonly initNoiseSigma: number;
  /** Model calls per timestep entry, like diffusers' scheduler.order. */
  readonly order: number;
  /** Throws a RangeError for a step count the schedule cannot take, where diffusers raises a ValueError. */
  setTimesteps(numInferenceSteps: number): void;
  /** Image-to-image: the first step() runs timesteps[index] (diffusers set_begin_index). */
  setBeginIndex(index: number): void;
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array;
  /**
   * Returns prev_sample. Stochastic samplers draw generator.randn(shape) exactly where diffusers
   * draws, so one generator can feed the initial noise and every step as in diffusers pipelines.
   */
  step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    generator: NoiseSource,
    shape: readonly number[],
  ): Float32Array;
  /**
   * Whether step() at timesteps[stepIndex] draws one randn(shape) (valid after setTimesteps).
   * The noise does not depend on the model output, so the loop can draw it ahead, in another
   * thread, while the UNet runs.
   */
  drawsNoiseAt(stepIndex: number): boolean;
  /** diffusers' add_noise for this scheduler at one timestep. */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array;
}

export function createScheduler(
  name: SamplerName,
  rawConfig: Readonly<Record<string, unknown>>,
  overrides?: SchedulerOverrides,
): Scheduler {
  switch (name) {
    case 'euler':
      return new EulerDiscreteScheduler(resolveSchedulerConfig(name, rawConfig, overrides));
    case 'euler-a':
      return new EulerAncestralDiscreteScheduler(resolveSchedulerConfig(name, rawConfig, overrides));
    case 'ddim':
      return new DDIMScheduler(resolveSchedulerConfig(name, rawConfig, overrides));
    case 'dpmpp-2m':
      return new DPMSolverMultistepScheduler(resolveSchedulerConfig(name, rawConfig, overrides));
    case 'lcm':
      return new LCMScheduler(resolveSchedulerConfig(name, rawConfig, overrides));
    case 'pndm':
      return new PNDMScheduler(resolveSchedulerConfig(name, rawConfig, overrides));
    default:
      throw new Error(`unknown sampler "${String(name satisfies never)}"`);
  }
}
