// Follows diffusers' DDIMScheduler (schedulers/scheduling_ddim.py), eta = 0 as in diffusers pipelines.
import { alphasCumprod } from './betas';
import type { Scheduler } from './scheduler';
import { rejectUnsupported, type DdimConfig, type PredictionType } from './schedulerConfig';
import { ddimTimesteps } from './timesteps';

const f32 = Math.fround;

/** x0 and epsilon from the model output, given alpha_prod_t (DDIM paper eq. 12 and the v/sample variants). */
export function alphaX0Eps(
  prediction: PredictionType,
  alphaProd: number,
): (sample: number, output: number) => readonly [x0: number, eps: number] {
  const sqrtAlpha = f32(Math.sqrt(alphaProd));
  const sqrtBeta = f32(Math.sqrt(f32(1 - alphaProd)));
  switch (prediction) {
    case 'epsilon':
      return (sample, output) => [(sample - sqrtBeta * output) / sqrtAlpha, output];
    case 'sample':
      return (sample, output) => [output, (sample - sqrtAlpha * output) / sqrtBeta];
    case 'v_prediction':
      return (sample, output) => [sqrtAlpha * sample - sqrtBeta * output, sqrtAlpha * output + sqrtBeta * sample];
  }
}

/** DDPM's add_noise: sqrt(ᾱ_t)·x + sqrt(1 − ᾱ_t)·noise. */
export function addAlphaNoise(original: Float32Array, noise: Float32Array, alphaProd: number): Float32Array {
  if (noise.length !== original.length) throw new RangeError('noise and original differ in size');
  const sqrtAlpha = f32(Math.sqrt(alphaProd));
  const sqrtBeta = f32(Math.sqrt(f32(1 - alphaProd)));
  return original.map((x, i) => sqrtAlpha * x + sqrtBeta * noise[i]);
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

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    if (this.numInferenceSteps === null) throw new Error('call setTimesteps before step');
    const c = this.config;
    // diffusers steps back by the leading stride whatever the spacing.
    const prevTimestep = timestep - Math.floor(c.num_train_timesteps / this.numInferenceSteps);
    const alphaProd = alphaAt(this.alphasCumprod, timestep);
    const alphaProdPrev = prevTimestep >= 0 ? this.alphasCumprod[prevTimestep] : this.finalAlphaCumprod;
    const split = alphaX0Eps(c.prediction_type, alphaProd);
    const clip = c.clip_sample ? c.clip_sample_range : Infinity;
    const sqrtAlphaPrev = f32(Math.sqrt(alphaProdPrev));
    // eta = 0: no variance term, the rest of 1 − ᾱ_prev points along epsilon.
    const direction = f32(Math.sqrt(f32(1 - alphaProdPrev)));
    const prev = new Float32Array(sample.length);
    for (let k = 0; k < prev.length; k++) {
      const [x0, eps] = split(sample[k], modelOutput[k]);
      prev[k] = sqrtAlphaPrev * Math.min(Math.max(x0, -clip), clip) + direction * eps;
    }
    return prev;
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return addAlphaNoise(original, noise, alphaAt(this.alphasCumprod, timestep));
  }
}
