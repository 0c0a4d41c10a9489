// Follows diffusers' DPMSolverMultistepScheduler (schedulers/scheduling_dpmsolver_multistep.py),
// algorithm dpmsolver++ (Lu et al. 2022, arXiv:2211.01095) with solver order 1 or 2.
import { alphasCumprod, interpTrainSchedule, karrasSigmas, logFloat32, sigmaToT, trainSigmas } from './betas';
import type { Scheduler } from './scheduler';
import { rejectUnsupported, type DpmSolverMultistepConfig } from './schedulerConfig';
import { dpmSolverTimesteps, roundHalfEven, StepIndex } from './timesteps';

const f32 = Math.fround;

/**
 * _sigma_to_alpha_sigma_t for the VP schedule, plus the half-log-SNR lambda = log(alpha / sigma),
 * rounded like diffusers' 0-dim float32 tensors: h = lambda_t − lambda_s is a difference of
 * nearby logs, so its float32 rounding shows in the result at the 1e-6 level.
 */
function vp(sigma: number): { alpha: number; sigma: number; lambda: number } {
  const alpha = f32(1 / f32(Math.sqrt(f32(f32(sigma * sigma) + 1))));
  const sigmaT = f32(sigma * alpha);
  return { alpha, sigma: sigmaT, lambda: f32(f32(Math.log(alpha)) - f32(Math.log(sigmaT))) };
}

export class DPMSolverMultistepScheduler implements Scheduler {
  readonly order = 1;
  readonly initNoiseSigma = 1;
  timesteps: Float64Array = new Float64Array(0);
  sigmas: Float64Array = new Float64Array(0);
  private readonly trainSigmas: Float32Array;
  /** Training timesteps past this count are cut off by lambda_min_clipped. */
  private readonly lastTimestep: number;
  private readonly index = new StepIndex('last');
  /** Data predictions (x0) of the latest steps, oldest first. */
  private modelOutputs: Float64Array[] = [];
  private lowerOrderNums = 0;

  constructor(readonly config: DpmSolverMultistepConfig) {
    const name = 'dpmpp-2m';
    rejectUnsupported(name, 'algorithm_type', config.algorithm_type, ['dpmsolver++']);
    rejectUnsupported(name, 'solver_order', config.solver_order, [1, 2]);
    rejectUnsupported(name, 'thresholding', config.thresholding, [false]);
    rejectUnsupported(name, 'variance_type', config.variance_type, [null]);
    const schedules = ['use_exponential_sigmas', 'use_beta_sigmas', 'use_lu_lambdas', 'use_flow_sigmas'] as const;
    for (const key of [...schedules, 'use_dynamic_shifting'] as const) {
      rejectUnsupported(name, key, config[key], [false]);
    }
    const cumprod = alphasCumprod(config, true);
    this.trainSigmas = trainSigmas(cumprod);
    // lambda_t = log(sqrt(ᾱ)) − log(sqrt(1 − ᾱ)) in float32, falling with t; searchsorted on the
    // reversed (rising) lambdas counts the timesteps whose lambda is below the clip.
    const lambdas = cumprod.map((a) => f32(Math.log(f32(Math.sqrt(a)))) - f32(Math.log(f32(Math.sqrt(f32(1 - a))))));
    const clipped = lambdas.filter((lambda) => lambda < config.lambda_min_clipped).length;
    this.lastTimestep = config.num_train_timesteps - clipped;
  }

  setTimesteps(numInferenceSteps: number): void {
    const c = this.config;
    const train = this.trainSigmas;
    let timesteps = dpmSolverTimesteps(
      c.timestep_spacing,
      c.num_train_timesteps,
      this.lastTimestep,
      numInferenceSteps,
      c.steps_offset,
    );
    let sigmas: Float64Array;
    if (c.use_karras_sigmas) {
      // Unlike Euler, the Karras range is the whole training range, not the spaced timesteps'.
      sigmas = karrasSigmas(train[0], train[train.length - 1], numInferenceSteps);
      const logSigmas = logFloat32(train);
      const round = c.beta_schedule === 'squaredcos_cap_v2' ? Math.trunc : roundHalfEven;
      timesteps = sigmas.map((sigma) => Math.trunc(round(sigmaToT(sigma, logSigmas))));
    } else {
      sigmas = timesteps.map((t) => interpTrainSchedule(t, train));
    }
    const last = c.final_sigmas_type === 'sigma_min' ? train[0] : 0;
    this.sigmas = Float64Array.of(...sigmas.map(f32), last);
    this.timesteps = timesteps;
    this.modelOutputs = [];
    this.lowerOrderNums = 0;
    this.index.reset();
  }

  setBeginIndex(index: number): void {
    this.index.setBegin(index);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  /** Deterministic, dpmsolver++ only: the SDE variants would draw. */
  drawsNoiseAt(): boolean {
    return false;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    if (this.timesteps.length === 0) throw new Error('call setTimesteps before step');
    const c = this.config;
    const i = this.index.current(this.timesteps, timestep);
    // A first-order last step is more stable for few steps, and the only finite one towards sigma 0.
    const lowerOrderFinal =
      i === this.timesteps.length - 1 &&
      (c.euler_at_final || (c.lower_order_final && this.timesteps.length < 15) || c.final_sigmas_type === 'zero');

    // The prediction about to leave the history lends its buffer to the new one.
    const history = this.modelOutputs;
    const evicted = history.length === c.solver_order ? history.shift() : undefined;
    const x0 = evicted?.length === sample.length ? evicted : new Float64Array(sample.length);
    const prev =
      c.solver_order === 1 || this.lowerOrderNums < 1 || lowerOrderFinal
        ? this.firstOrderUpdate(modelOutput, sample, i, x0)
        : this.secondOrderUpdate(modelOutput, sample, i, x0, history[history.length - 1]);
    history.push(x0);
    if (this.lowerOrderNums < c.solver_order) this.lowerOrderNums += 1;
    this.index.advance();
    return prev;
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    if (noise.length !== original.length) throw new RangeError('noise and original differ in size');
    const { alpha, sigma } = vp(this.sigmas[this.index.forAddNoise(this.timesteps, timestep)]);
    const noisy = new Float32Array(original.length);
    for (let k = 0; k < noisy.length; k++) noisy[k] = alpha * original[k] + sigma * noise[k];
    return noisy;
  }

  // DPM-Solver++ integrates the data prediction: each update converts the model output to x0
  // (written to `x0`, kept for the next step) and moves the sample along it in the same pass.
  // The loops are spelled out per prediction type so that no branch remains inside them.

  /** dpm_solver_first_order_update (equivalent to DDIM); with sigma_t = 0 it returns x0. */
  private firstOrderUpdate(modelOutput: Float32Array, sample: Float32Array, i: number, x0: Float64Array): Float32Array {
    const t = vp(this.sigmas[i + 1]);
    const s = vp(this.sigmas[i]);
    const h = f32(t.lambda - s.lambda);
    const sampleCoeff = f32(t.sigma / s.sigma);
    const x0Coeff = -f32(t.alpha * f32(f32(Math.exp(-h)) - 1));
    const { alpha, sigma } = s;
    const prev = new Float32Array(sample.length);
    switch (this.config.prediction_type) {
      case 'epsilon':
        for (let k = 0; k < prev.length; k++) {
          const x = sample[k];
          const d = (x - sigma * modelOutput[k]) / alpha;
          x0[k] = d;
          prev[k] = sampleCoeff * x + x0Coeff * d;
        }
        break;
      case 'sample':
        for (let k = 0; k < prev.length; k++) {
          const d = modelOutput[k];
          x0[k] = d;
          prev[k] = sampleCoeff * sample[k] + x0Coeff * d;
        }
        break;
      case 'v_prediction':
        for (let k = 0; k < prev.length; k++) {
          const x = sample[k];
          const d = alpha * x - sigma * modelOutput[k];
          x0[k] = d;
          prev[k] = sampleCoeff * x + x0Coeff * d;
        }
        break;
    }
    return prev;
  }

  /**
   * multistep_dpm_solver_second_order_update from this step's x0 and the previous one:
   * sampleCoeff·x − phi·x0 + d1Coeff·D1 with D1 = (x0 − previous)/r0.
   */
  private secondOrderUpdate(
    modelOutput: Float32Array,
    sample: Float32Array,
    i: number,
    x0: Float64Array,
    previous: Float64Array,
  ): Float32Array {
    const t = vp(this.sigmas[i + 1]);
    const s0 = vp(this.sigmas[i]);
    const s1 = vp(this.sigmas[i - 1]);
    const h = f32(t.lambda - s0.lambda);
    const r0 = f32(f32(s0.lambda - s1.lambda) / h);
    const sampleCoeff = f32(t.sigma / s0.sigma);
    const expMinusOne = f32(f32(Math.exp(-h)) - 1);
    const phi = f32(t.alpha * expMinusOne);
    const d1Coeff =
      this.config.solver_type === 'midpoint' ? -f32(0.5 * phi) : f32(t.alpha * f32(f32(expMinusOne / h) + 1));
    const invR0 = f32(1 / r0);
    const { alpha, sigma } = s0;
    const prev = new Float32Array(sample.length);
    switch (this.config.prediction_type) {
      case 'epsilon':
        for (let k = 0; k < prev.length; k++) {
          const x = sample[k];
          const d = (x - sigma * modelOutput[k]) / alpha;
          x0[k] = d;
          prev[k] = sampleCoeff * x - phi * d + d1Coeff * ((d - previous[k]) * invR0);
        }
        break;
      case 'sample':
        for (let k = 0; k < prev.length; k++) {
          const d = modelOutput[k];
          x0[k] = d;
          prev[k] = sampleCoeff * sample[k] - phi * d + d1Coeff * ((d - previous[k]) * invR0);
        }
        break;
      case 'v_prediction':
        for (let k = 0; k < prev.length; k++) {
          const x = sample[k];
          const d = alpha * x - sigma * modelOutput[k];
          x0[k] = d;
          prev[k] = sampleCoeff * x - phi * d + d1Coeff * ((d - previous[k]) * invR0);
        }
        break;
    }
    return prev;
  }
}
