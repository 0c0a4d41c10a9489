// Follows diffusers' LCMScheduler (schedulers/scheduling_lcm.py): latent consistency models
// (Luo et al. 2023, arXiv:2310.04378), multistep consistency sampling.
import type { NoiseSource } from '../random/torchGenerator';
import { alphasCumprod } from './betas';
import { addAlphaNoise, alphaAt, alphaScales, clipSample } from './ddim';
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

  /** Every step re-noises its denoised sample but the last, which returns it. */
  drawsNoiseAt(stepIndex: number): boolean {
    return stepIndex !== this.timesteps.length - 1;
  }

  step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    generator: NoiseSource,
    shape: readonly number[],
  ): Float32Array {
    if (this.timesteps.length === 0) throw new Error('call setTimesteps before step');
    const c = this.config;
    const i = this.index.current(this.timesteps, timestep);
    const prevTimestep = i + 1 < this.timesteps.length ? this.timesteps[i + 1] : timestep;
    const alphaProd = alphaAt(this.alphasCumprod, timestep);
    const alphaProdPrev = prevTimestep >= 0 ? this.alphasCumprod[prevTimestep] : this.finalAlphaCumprod;
    const { cSkip, cOut } = this.boundaryScalings(timestep);
    const [sqrtAlpha, sqrtBeta] = alphaScales(alphaProd);
    const clip = c.clip_sample ? c.clip_sample_range : Infinity;
    this.index.advance();
    // The last step returns the denoised sample; the others re-noise it to the next timestep.
    const noise = i === this.timesteps.length - 1 ? null : generator.randn(shape);
    if (noise !== null && noise.length !== sample.length) {
      throw new RangeError(`shape [${shape}] does not match the sample size`);
    }
    const [sqrtAlphaPrev, sqrtBetaPrev] = alphaScales(alphaProdPrev);
    // denoised = c_out·clip(x0) + c_skip·x with x0 from the model output as in DDIM, then the
    // re-noising, in one pass per prediction type.
    const prev = new Float32Array(sample.length);
    switch (c.prediction_type) {
      case 'epsilon':
        for (let k = 0; k < prev.length; k++) {
          const x = sample[k];
          const denoised = cOut * clipSample((x - sqrtBeta * modelOutput[k]) / sqrtAlpha, clip) + cSkip * x;
          prev[k] = noise === null ? denoised : sqrtAlphaPrev * denoised + sqrtBetaPrev * noise[k];
        }
        break;
      case 'sample':
        for (let k = 0; k < prev.length; k++) {
          const denoised = cOut * clipSample(modelOutput[k], clip) + cSkip * sample[k];
          prev[k] = noise === null ? denoised : sqrtAlphaPrev * denoised + sqrtBetaPrev * noise[k];
        }
        break;
      case 'v_prediction':
        for (let k = 0; k < prev.length; k++) {
          const x = sample[k];
          const denoised = cOut * clipSample(sqrtAlpha * x - sqrtBeta * modelOutput[k], clip) + cSkip * x;
          prev[k] = noise === null ? denoised : sqrtAlphaPrev * denoised + sqrtBetaPrev * noise[k];
        }
        break;
    }
    return prev;
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return addAlphaNoise(original, noise, alphaAt(this.alphasCumprod, timestep));
  }
}
