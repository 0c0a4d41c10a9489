// Follows diffusers' LCMScheduler (schedulers/scheduling_lcm.py): latent consistency models
// (Luo et al. 2023, arXiv:2310.04378), multistep consistency sampling.
import type { TorchGenerator } from '../random/torchGenerator';
import { alphasCumprod } from './betas';
import { addAlphaNoise, alphaAt, alphaX0Eps } from './ddim';
import type { Scheduler } from './scheduler';
import { rejectUnsupported, type LcmConfig } from './schedulerConfig';
import { lcmTimesteps, StepIndex } from './timesteps';

/** sigma_data of the consistency-model boundary conditions. */
const SIGMA_DATA = 0.5;

const f32 = Math.fround;

export class LCMScheduler implements Scheduler {
  readonly order = 1;
  readonly initNoiseSigma = 1;
  timesteps: Float64Array = new Float64Array(0);
  private readonly alphasCumprod: Float32Array;
  private readonly finalAlphaCumprod: number;
  private readonly index = new StepIndex('throw');

  constructor(readonly config: LcmConfig) {
    rejectUnsupported('lcm', 'thresholding', config.thresholding, [false]);
    this.alphasCumprod = alphasCumprod(config, false);
    this.finalAlphaCumprod = config.set_alpha_to_one ? 1 : this.alphasCumprod[0];
  }

  setTimesteps(numInferenceSteps: number): void {
    const c = this.config;
    this.timesteps = lcmTimesteps(c.num_train_timesteps, c.original_inference_steps, numInferenceSteps);
    this.index.reset();
  }

  setBeginIndex(index: number): void {
    this.index.setBegin(index);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  /**
   * get_scalings_for_boundary_condition_discrete: c_skip → 1 and c_out → 0 at t = 0, so the
   * consistency function is the identity there; timestep_scaling makes both snap quickly.
   */
  private boundaryScalings(timestep: number): { cSkip: number; cOut: number } {
    const scaled = f32(f32(timestep) * f32(this.config.timestep_scaling));
    const denominator = f32(f32(scaled * scaled) + SIGMA_DATA * SIGMA_DATA);
    return { cSkip: f32((SIGMA_DATA * SIGMA_DATA) / denominator), cOut: f32(scaled / f32(Math.sqrt(denominator))) };
  }

  step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    generator: TorchGenerator,
    shape: readonly number[],
  ): Float32Array {
    if (this.timesteps.length === 0) throw new Error('call setTimesteps before step');
    const c = this.config;
    const i = this.index.current(this.timesteps, timestep);
    const prevTimestep = i + 1 < this.timesteps.length ? this.timesteps[i + 1] : timestep;
    const alphaProd = alphaAt(this.alphasCumprod, timestep);
    const alphaProdPrev = prevTimestep >= 0 ? this.alphasCumprod[prevTimestep] : this.finalAlphaCumprod;
    const { cSkip, cOut } = this.boundaryScalings(timestep);
    const split = alphaX0Eps(c.prediction_type, alphaProd);
    const clip = c.clip_sample ? c.clip_sample_range : Infinity;

    const denoised = new Float64Array(sample.length);
    for (let k = 0; k < denoised.length; k++) {
      const x0 = Math.min(Math.max(split(sample[k], modelOutput[k])[0], -clip), clip);
      denoised[k] = cOut * x0 + cSkip * sample[k];
    }
    this.index.advance();
    // The last step returns the denoised sample; the others re-noise it to the next timestep.
    if (i === this.timesteps.length - 1) return Float32Array.from(denoised);
    const noise = generator.randn(shape);
    if (noise.length !== sample.length) throw new RangeError(`shape [${shape}] does not match the sample size`);
    const sqrtAlphaPrev = f32(Math.sqrt(alphaProdPrev));
    const sqrtBetaPrev = f32(Math.sqrt(f32(1 - alphaProdPrev)));
    return Float32Array.from(denoised, (d, k) => sqrtAlphaPrev * d + sqrtBetaPrev * noise[k]);
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return addAlphaNoise(original, noise, alphaAt(this.alphasCumprod, timestep));
  }
}
