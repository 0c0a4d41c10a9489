// Follows diffusers' PNDMScheduler (schedulers/scheduling_pndm.py): pseudo numerical methods for
// diffusion models (Liu et al. 2022, arXiv:2202.09778), F-PNDM with its Runge–Kutta warm-up, or
// with skip_prk_steps the PLMS sampler of latent-diffusion (Stable Diffusion 1.x/2.x's default).
import { alphasCumprod } from './betas';
import { addAlphaNoise, alphaAt } from './ddim';
import type { Scheduler } from './scheduler';
import { rejectUnsupported, type PndmConfig } from './schedulerConfig';
import { ddimTimesteps } from './timesteps';

const f32 = Math.fround;

/** F-PNDM's linear multistep method is fourth order, so its warm-up covers three intervals. */
const PNDM_ORDER = 4;

export class PNDMScheduler implements Scheduler {
  readonly order = 1;
  readonly initNoiseSigma = 1;
  timesteps: Float64Array = new Float64Array(0);
  private readonly alphasCumprod: Float32Array;
  /** ᾱ for the step past t = 0: 1, or ᾱ_0 as Stable Diffusion's configs ask (set_alpha_to_one false). */
  private readonly finalAlphaCumprod: number;
  /** num_train_timesteps // steps: the step back from a timestep, whatever the spacing. */
  private stride = 0;
  /** The Runge–Kutta part at the head of the schedule (none with skip_prk_steps). */
  private prkCount = 0;
  /** Model calls so far, diffusers' `counter`: what a step does depends on it, not on the timestep's position. */
  private counter = 0;
  /** The latest model outputs (ε or v), oldest first, at most four. */
  private ets: Float32Array[] = [];
  /** The sample the current Runge–Kutta step, or the PLMS warm-up's second call, starts from. */
  private curSample: Float32Array | null = null;
  /** The Runge–Kutta weighted sum of model outputs so far in the current step. */
  private curModelOutput: Float64Array | null = null;
  /**
   * The model output a step applies, reused across steps: always a Float64Array, so that the
   * per-element loop in prevSample sees one array type and stays fast.
   */
  private applied = new Float64Array(0);

  constructor(readonly config: PndmConfig) {
    rejectUnsupported('pndm', 'prediction_type', config.prediction_type, ['epsilon', 'v_prediction']);
    this.alphasCumprod = alphasCumprod(config, false);
    this.finalAlphaCumprod = config.set_alpha_to_one ? 1 : this.alphasCumprod[0];
  }

  setTimesteps(numInferenceSteps: number): void {
    const c = this.config;
    const train = c.num_train_timesteps;
    // PNDM's three spacings are DDIM's, highest first.
    const spaced = [...ddimTimesteps(c.timestep_spacing, train, numInferenceSteps, c.steps_offset)];
    const stride = Math.floor(train / numInferenceSteps);
    const prk: number[] = [];
    let plms: number[];
    if (c.skip_prk_steps) {
      // The warm-up's second model call is at the second timestep again (crowsonkb's PLMS in
      // latent-diffusion); one step has none.
      plms = spaced.length > 1 ? [spaced[0], spaced[1], ...spaced.slice(1)] : spaced;
    } else {
      if (spaced.length < PNDM_ORDER) {
        // diffusers' numpy broadcast fails here too (shapes (2·steps,) and (8,)).
        throw new RangeError(
          `the pndm sampler with Runge–Kutta warm-up (skip_prk_steps false) needs at least ${PNDM_ORDER} steps, got ${numInferenceSteps}`,
        );
      }
      // Algorithm 2's warm-up over the top three intervals [s, t]: the model at t, twice at the
      // midpoint, at s. diffusers' midpoint is s + num_train // steps // 2, even where the spacing
      // is not that stride.
      const half = Math.floor(stride / 2);
      for (let k = 0; k < PNDM_ORDER - 1; k++) {
        const [t, s] = [spaced[k], spaced[k + 1]];
        prk.push(t, s + half, s + half, s);
      }
      plms = spaced.slice(PNDM_ORDER - 1);
    }
    this.timesteps = Float64Array.from([...prk, ...plms]);
    this.stride = stride;
    this.prkCount = prk.length;
    this.counter = 0;
    this.ets = [];
    this.curSample = null;
    this.curModelOutput = null;
  }

  /**
   * diffusers' PNDMScheduler has no set_begin_index: image-to-image runs timesteps[begin:] with
   * the counter at 0, warm-up included, and every step reads its noise level from the timestep.
   */
  setBeginIndex(): void {}

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  /** Deterministic: no noise. */
  drawsNoiseAt(): boolean {
    return false;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    if (this.stride === 0) throw new Error('call setTimesteps before step');
    if (modelOutput.length !== sample.length) throw new RangeError('model output and sample differ in size');
    // Kept as copies: the history outlives the call, and callers may reuse their buffers.
    const output = modelOutput.slice();
    const prev = this.counter < this.prkCount ? this.stepPrk(output, timestep, sample) : this.stepPlms(output, timestep, sample);
    this.counter += 1;
    return prev;
  }

  /**
   * diffusers PNDMScheduler.step_prk; Liu et al. 2022, the pseudo Runge–Kutta method that starts
   * F-PNDM (Algorithm 2): the classic fourth-order weights 1/6, 1/3, 1/3, 1/6 over one interval,
   * each stage a formula (9) transfer from the interval's start.
   */
  private stepPrk(output: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    const stage = this.counter % 4;
    // The even stages reach the midpoint or the end, the odd ones stay at the timestep given.
    const prevTimestep = stage % 2 === 1 ? timestep : timestep - Math.floor(this.stride / 2);
    const from = this.timesteps[this.counter - stage];
    let combined = this.appliedBuffer(output.length);
    combined.set(output);
    if (stage === 0) {
      const sum = new Float64Array(output.length);
      for (let k = 0; k < sum.length; k++) sum[k] = output[k] / 6;
      this.curModelOutput = sum;
      this.ets.push(output);
      this.curSample = sample.slice();
    } else if (stage < 3) {
      const sum = this.curModelOutput as Float64Array;
      for (let k = 0; k < sum.length; k++) sum[k] += output[k] / 3;
    } else {
      const sum = this.curModelOutput as Float64Array;
      for (let k = 0; k < sum.length; k++) sum[k] += output[k] / 6;
      combined = sum;
      this.curModelOutput = null;
    }
    return this.prevSample(this.curSample as Float32Array, from, prevTimestep, combined);
  }

  /**
   * diffusers PNDMScheduler.step_plms; Liu et al. 2022, the pseudo linear multi-step method
   * (fourth-order Adams–Bashforth weights), with latent-diffusion's PLMS warm-up where there was
   * no Runge–Kutta: the first step is Euler, the second repeats it with the mean of both outputs
   * (Heun), then Adams–Bashforth of orders 2, 3 and 4.
   */
  private stepPlms(output: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    if (this.counter === 1) {
      // Called at the second timestep: redo the first interval from the saved sample.
      const first = this.ets[0];
      const mean = this.appliedBuffer(output.length);
      for (let k = 0; k < mean.length; k++) mean[k] = (output[k] + first[k]) / 2;
      const start = this.curSample as Float32Array;
      this.curSample = null;
      return this.prevSample(start, timestep + this.stride, timestep, mean);
    }
    const ets = this.ets;
    if (ets.length === PNDM_ORDER) ets.shift();
    ets.push(output);
    const prevTimestep = timestep - this.stride;
    const combined = this.appliedBuffer(output.length);
    if (ets.length === 1) {
      this.curSample = sample.slice();
      combined.set(output);
      return this.prevSample(sample, timestep, prevTimestep, combined);
    }
    const n = ets.length;
    const e1 = ets[n - 1];
    const e2 = ets[n - 2];
    if (n === 2) {
      for (let k = 0; k < combined.length; k++) combined[k] = (3 * e1[k] - e2[k]) / 2;
    } else if (n === 3) {
      const e3 = ets[0];
      for (let k = 0; k < combined.length; k++) combined[k] = (23 * e1[k] - 16 * e2[k] + 5 * e3[k]) / 12;
    } else {
      const [e4, e3] = ets;
      for (let k = 0; k < combined.length; k++) {
        combined[k] = (55 * e1[k] - 59 * e2[k] + 37 * e3[k] - 9 * e4[k]) / 24;
      }
    }
    return this.prevSample(sample, timestep, prevTimestep, combined);
  }

  /**
   * x_{t−δ} from x_t and ε: diffusers PNDMScheduler._get_prev_sample; Liu et al. 2022, eq. 9,
   * rearranged to √(ᾱ_{t−δ}/ᾱ_t)·x − (ᾱ_{t−δ} − ᾱ_t)·ε / (ᾱ_t·√(1 − ᾱ_{t−δ}) + √(ᾱ_t(1 − ᾱ_t)ᾱ_{t−δ})).
   * A v prediction becomes ε = √ᾱ_t·v + √(1 − ᾱ_t)·x first (Salimans & Ho 2022).
   */
  private appliedBuffer(length: number): Float64Array {
    if (this.applied.length !== length) this.applied = new Float64Array(length);
    return this.applied;
  }

  private prevSample(sample: Float32Array, timestep: number, prevTimestep: number, output: Float64Array): Float32Array {
    const alpha = alphaAt(this.alphasCumprod, timestep);
    const alphaPrev = prevTimestep >= 0 ? alphaAt(this.alphasCumprod, prevTimestep) : this.finalAlphaCumprod;
    const beta = f32(1 - alpha);
    const betaPrev = f32(1 - alphaPrev);
    const sampleCoeff = f32(Math.sqrt(f32(alphaPrev / alpha)));
    const denominator = f32(f32(alpha * f32(Math.sqrt(betaPrev))) + f32(Math.sqrt(f32(f32(alpha * beta) * alphaPrev))));
    const outputCoeff = f32(alphaPrev - alpha) / denominator;
    const prev = new Float32Array(sample.length);
    if (this.config.prediction_type === 'v_prediction') {
      const sqrtAlpha = f32(Math.sqrt(alpha));
      const sqrtBeta = f32(Math.sqrt(beta));
      for (let k = 0; k < prev.length; k++) {
        const x = sample[k];
        prev[k] = sampleCoeff * x - outputCoeff * (sqrtAlpha * output[k] + sqrtBeta * x);
      }
    } else {
      for (let k = 0; k < prev.length; k++) prev[k] = sampleCoeff * sample[k] - outputCoeff * output[k];
    }
    return prev;
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return addAlphaNoise(original, noise, alphaAt(this.alphasCumprod, timestep));
  }
}
