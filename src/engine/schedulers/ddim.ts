// Follows diffusers' DDIMScheduler (schedulers/scheduling_ddim.py), eta = 0 as in diffusers pipelines.
import { alphasCumprod } from './betas';
import type { Scheduler } from './scheduler';
import { rejectUnsupported, type DdimConfig } from './schedulerConfig';
import { ddimTimesteps } from './timesteps';

const f32 = Math.fround;

/** sqrt(ᾱ) and sqrt(1 − ᾱ), the signal and noise scales at alpha_prod ᾱ, as float32 0-dim tensors. */
export function alphaScales(alphaProd: number): readonly [sqrtAlpha: number, sqrtBeta: number] {
  return [f32(Math.sqrt(alphaProd)), f32(Math.sqrt(f32(1 - alphaProd)))];
}

/** clip_sample: x0 clamped to [−range, range]; range Infinity leaves every value, −0 and NaN included, as it is. */
export function clipSample(x0: number, range: number): number {
  return Math.min(Math.max(x0, -range), range);
}

/** DDPM's add_noise: sqrt(ᾱ_t)·x + sqrt(1 − ᾱ_t)·noise. */
export function addAlphaNoise(original: Float32Array, noise: Float32Array, alphaProd: number): Float32Array {
  if (noise.length !== original.length) throw new RangeError('noise and original differ in size');
  const [sqrtAlpha, sqrtBeta] = alphaScales(alphaProd);
  const noisy = new Float32Array(original.length);
  for (let k = 0; k < noisy.length; k++) noisy[k] = sqrtAlpha * original[k] + sqrtBeta * noise[k];
  return noisy;
}

/** alphas_cumprod[t] for an integer training timestep. */
export function alphaAt(alphasCumprodF32: Float32Array, timestep: number): number {
  if (!Number.isInteger(timestep) || timestep < 0 || timestep >= alphasCumprodF32.length) {
    throw new RangeError(`timestep ${timestep} is not a training timestep in [0, ${alphasCumprodF32.length - 1}]`);
  }
  return alphasCumprodF32[timestep];
}

export class DDIMScheduler implements Scheduler {
  readonly order = 1;
  readonly initNoiseSigma = 1;
  timesteps: Float64Array = new Float64Array(0);
  private readonly alphasCumprod: Float32Array;
  /** ᾱ for the step past t = 0: 1, or ᾱ_0 as Stable Diffusion's configs ask (set_alpha_to_one false). */
  private readonly finalAlphaCumprod: number;
  private numInferenceSteps: number | null = null;

  constructor(readonly config: DdimConfig) {
    rejectUnsupported('ddim', 'thresholding', config.thresholding, [false]);
    this.alphasCumprod = alphasCumprod(config, false);
    this.finalAlphaCumprod = config.set_alpha_to_one ? 1 : this.alphasCumprod[0];
  }

  setTimesteps(numInferenceSteps: number): void {
    const c = this.config;
    this.timesteps = ddimTimesteps(c.timestep_spacing, c.num_train_timesteps, numInferenceSteps, c.steps_offset);
    this.numInferenceSteps = numInferenceSteps;
  }

  /** DDIM has no step counter: step() and addNoise() read everything from the timestep value. */
  setBeginIndex(): void {}

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  /** Deterministic, eta = 0: no variance noise. */
  drawsNoiseAt(): boolean {
    return false;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    if (this.numInferenceSteps === null) throw new Error('call setTimesteps before step');
    const c = this.config;
    // diffusers steps back by the leading stride whatever the spacing.
    const prevTimestep = timestep - Math.floor(c.num_train_timesteps / this.numInferenceSteps);
    const alphaProd = alphaAt(this.alphasCumprod, timestep);
    const alphaProdPrev = prevTimestep >= 0 ? this.alphasCumprod[prevTimestep] : this.finalAlphaCumprod;
    const [sqrtAlpha, sqrtBeta] = alphaScales(alphaProd);
    const clip = c.clip_sample ? c.clip_sample_range : Infinity;
    // eta = 0: no variance term, the rest of 1 − ᾱ_prev points along epsilon.
    const [sqrtAlphaPrev, direction] = alphaScales(alphaProdPrev);
    // prev = sqrt(ᾱ_prev)·clip(x0) + sqrt(1 − ᾱ_prev)·eps, with x0 and eps from the model output
    // (DDIM paper eq. 12 and the v/sample variants), in one pass per prediction type.
    const prev = new Float32Array(sample.length);
    switch (c.prediction_type) {
      case 'epsilon':
        for (let k = 0; k < prev.length; k++) {
          const eps = modelOutput[k];
          prev[k] = sqrtAlphaPrev * clipSample((sample[k] - sqrtBeta * eps) / sqrtAlpha, clip) + direction * eps;
        }
        break;
      case 'sample':
        for (let k = 0; k < prev.length; k++) {
          const x0 = modelOutput[k];
          prev[k] = sqrtAlphaPrev * clipSample(x0, clip) + direction * ((sample[k] - sqrtAlpha * x0) / sqrtBeta);
        }
        break;
      case 'v_prediction':
        for (let k = 0; k < prev.length; k++) {
          const x = sample[k];
          const v = modelOutput[k];
          const x0 = sqrtAlpha * x - sqrtBeta * v;
          prev[k] = sqrtAlphaPrev * clipSample(x0, clip) + direction * (sqrtAlpha * v + sqrtBeta * x);
        }
        break;
    }
    return prev;
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return addAlphaNoise(original, noise, alphaAt(this.alphasCumprod, timestep));
  }
}
