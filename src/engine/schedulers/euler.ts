// Follows diffusers' EulerDiscreteScheduler (schedulers/scheduling_euler_discrete.py).
import type { TimestepSpacing } from '../../protocol/recipe';
import {
  alphasCumprod,
  interpTrainSchedule,
  karrasSigmas,
  logFloat32,
  sigmaToT,
  torchLinspaceFloat32,
  trainSigmas,
} from './betas';
import type { Scheduler } from './scheduler';
import { rejectUnsupported, type EulerConfig, type PredictionType } from './schedulerConfig';
import { eulerTimesteps, StepIndex } from './timesteps';
import { EngineError } from '../errors';

const f32 = Math.fround;

/**
 * init_noise_sigma of the Euler family: x0 + σ·ε has standard deviation sqrt(σ² + 1), which
 * diffusers uses with leading spacing; linspace and trailing start at the top sigma and take σ.
 */
export function eulerInitNoiseSigma(sigmas: Float64Array, spacing: TimestepSpacing): number {
  if (sigmas.length === 0) throw new Error('call setTimesteps before reading initNoiseSigma');
  const max = sigmas.reduce((a, b) => Math.max(a, b));
  return spacing === 'leading' ? f32(Math.sqrt(f32(f32(max * max) + 1))) : max;
}

/**
 * (a, b) with the denoised estimate x0 = a·sample + b·output at noise level sigma (k-diffusion's
 * c_skip/c_out for v). For epsilon, a = 1 and b = -sigma give sample - sigma·output bit for bit.
 * Prediction type "sample" has x0 = output, which 0·sample + output would not reproduce for a
 * -0 output or a non-finite sample, so samplers that support it loop over it separately.
 */
export function sigmaX0Coefficients(
  prediction: Exclude<PredictionType, 'sample'>,
  sigma: number,
): readonly [a: number, b: number] {
  if (prediction === 'epsilon') return [1, -sigma];
  const sigmaSqPlusOne = f32(f32(sigma * sigma) + 1);
  return [1 / sigmaSqPlusOne, f32(-sigma / f32(Math.sqrt(sigmaSqPlusOne)))];
}

/** scale_model_input of the Euler family: the model sees x / sqrt(σ² + 1). */
export function scaleBySigma(sample: Float32Array, sigma: number): Float32Array {
  const divisor = f32(Math.sqrt(f32(f32(sigma * sigma) + 1)));
  const scaled = new Float32Array(sample.length);
  for (let k = 0; k < scaled.length; k++) scaled[k] = sample[k] / divisor;
  return scaled;
}

/** add_noise of the Euler family: x + σ·noise. */
export function addSigmaNoise(original: Float32Array, noise: Float32Array, sigma: number): Float32Array {
  if (noise.length !== original.length) throw new RangeError('noise and original differ in size');
  const noisy = new Float32Array(original.length);
  for (let k = 0; k < noisy.length; k++) noisy[k] = original[k] + noise[k] * sigma;
  return noisy;
}

export class EulerDiscreteScheduler implements Scheduler {
  readonly order = 1;
  timesteps: Float64Array = new Float64Array(0);
  sigmas: Float64Array = new Float64Array(0);
  private readonly trainSigmas: Float32Array;
  private readonly index = new StepIndex('throw');

  constructor(readonly config: EulerConfig) {
    rejectUnsupported('euler', 'use_exponential_sigmas', config.use_exponential_sigmas, [false]);
    rejectUnsupported('euler', 'use_beta_sigmas', config.use_beta_sigmas, [false]);
    if (config.timestep_type === 'continuous' && config.prediction_type === 'v_prediction') {
      throw new EngineError(
        'the euler sampler does not support timestep_type "continuous" with v_prediction (EDM timesteps).',
        'bad-request',
      );
    }
    this.trainSigmas = trainSigmas(alphasCumprod(config, true));
  }

  get initNoiseSigma(): number {
    return eulerInitNoiseSigma(this.sigmas, this.config.timestep_spacing);
  }

  setTimesteps(numInferenceSteps: number): void {
    const c = this.config;
    const train = this.trainSigmas;
    let timesteps = eulerTimesteps(c.timestep_spacing, c.num_train_timesteps, numInferenceSteps, c.steps_offset);
    let sigmas: Float64Array;
    if (c.interpolation_type === 'linear') {
      sigmas = timesteps.map((t) => interpTrainSchedule(t, train));
    } else {
      // log_linear spans the whole training range with steps + 1 values, so the schedule's
      // last used sigma is the training minimum and the appended final sigma is never reached.
      const logMax = f32(Math.log(train[train.length - 1]));
      const logMin = f32(Math.log(train[0]));
      sigmas = Float64Array.from(torchLinspaceFloat32(logMax, logMin, numInferenceSteps + 1), (v) => f32(Math.exp(v)));
    }
    if (c.use_karras_sigmas) {
      const sigmaMin = c.sigma_min ?? sigmas[sigmas.length - 1];
      const sigmaMax = c.sigma_max ?? sigmas[0];
      sigmas = karrasSigmas(sigmaMin, sigmaMax, numInferenceSteps);
      const logSigmas = logFloat32(train);
      timesteps = sigmas.map((sigma) => f32(sigmaToT(sigma, logSigmas)));
    }
    const last = c.final_sigmas_type === 'sigma_min' ? train[0] : 0;
    this.sigmas = Float64Array.of(...sigmas.map(f32), last);
    this.timesteps = timesteps;
    this.index.reset();
  }

  setBeginIndex(index: number): void {
    this.index.setBegin(index);
  }

  scaleModelInput(sample: Float32Array, timestep: number): Float32Array {
    return scaleBySigma(sample, this.sigmas[this.index.current(this.timesteps, timestep)]);
  }

  /** Deterministic, s_churn = 0: no noise is added to sigma. */
  drawsNoiseAt(): boolean {
    return false;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    const i = this.index.current(this.timesteps, timestep);
    // s_churn is 0 in diffusers pipelines, so sigma_hat = sigma and no noise is drawn.
    const sigma = this.sigmas[i];
    const dt = f32(this.sigmas[i + 1] - sigma);
    const prediction = this.config.prediction_type;
    // prev = x + dt·(x − x0) / σ, in one pass per prediction type.
    const prev = new Float32Array(sample.length);
    if (prediction === 'sample') {
      for (let k = 0; k < prev.length; k++) {
        const x = sample[k];
        prev[k] = x + ((x - modelOutput[k]) / sigma) * dt;
      }
    } else {
      const [a, b] = sigmaX0Coefficients(prediction, sigma);
      for (let k = 0; k < prev.length; k++) {
        const x = sample[k];
        prev[k] = x + ((x - (a * x + b * modelOutput[k])) / sigma) * dt;
      }
    }
    this.index.advance();
    return prev;
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return addSigmaNoise(original, noise, this.sigmas[this.index.forAddNoise(this.timesteps, timestep)]);
  }
}
