// Follows diffusers' EulerAncestralDiscreteScheduler (schedulers/scheduling_euler_ancestral_discrete.py).
import type { NoiseSource } from '../random/torchGenerator';
import { alphasCumprod, interpTrainSchedule, trainSigmas } from './betas';
import { addSigmaNoise, eulerInitNoiseSigma, scaleBySigma, sigmaX0Coefficients } from './euler';
import type { Scheduler } from './scheduler';
import type { EulerAncestralConfig, PredictionType } from './schedulerConfig';
import { eulerTimesteps, StepIndex } from './timesteps';
import { EngineError } from '../errors';

const f32 = Math.fround;

export class EulerAncestralDiscreteScheduler implements Scheduler {
  readonly order = 1;
  timesteps: Float64Array = new Float64Array(0);
  sigmas: Float64Array = new Float64Array(0);
  private readonly trainSigmas: Float32Array;
  private readonly index = new StepIndex('throw');
  private readonly prediction: Exclude<PredictionType, 'sample'>;

  constructor(readonly config: EulerAncestralConfig) {
    const prediction = config.prediction_type;
    if (prediction === 'sample') {
      // diffusers raises NotImplementedError for it in step(); fail before a run starts instead.
      throw new EngineError('the euler-a sampler does not support prediction_type "sample" (neither does diffusers).', 'bad-request');
    }
    this.prediction = prediction;
    this.trainSigmas = trainSigmas(alphasCumprod(config, true));
  }

  get initNoiseSigma(): number {
    return eulerInitNoiseSigma(this.sigmas, this.config.timestep_spacing);
  }

  setTimesteps(numInferenceSteps: number): void {
    const c = this.config;
    this.timesteps = eulerTimesteps(c.timestep_spacing, c.num_train_timesteps, numInferenceSteps, c.steps_offset);
    this.sigmas = Float64Array.of(...this.timesteps.map((t) => f32(interpTrainSchedule(t, this.trainSigmas))), 0);
    this.index.reset();
  }

  setBeginIndex(index: number): void {
    this.index.setBegin(index);
  }

  scaleModelInput(sample: Float32Array, timestep: number): Float32Array {
    return scaleBySigma(sample, this.sigmas[this.index.current(this.timesteps, timestep)]);
  }

  /** diffusers draws on every step, the last one (sigmaUp = 0) included. */
  drawsNoiseAt(): boolean {
    return true;
  }

  step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    generator: NoiseSource,
    shape: readonly number[],
  ): Float32Array {
    const i = this.index.current(this.timesteps, timestep);
    const sigmaFrom = this.sigmas[i];
    const sigmaTo = this.sigmas[i + 1];
    // Split the move to sigmaTo into a deterministic part down to sigmaDown and fresh noise of sigmaUp.
    const fromSq = f32(sigmaFrom * sigmaFrom);
    const toSq = f32(sigmaTo * sigmaTo);
    const sigmaUp = f32(Math.sqrt(f32(f32(toSq * f32(fromSq - toSq)) / fromSq)));
    const sigmaDown = f32(Math.sqrt(f32(toSq - f32(sigmaUp * sigmaUp))));
    const dt = f32(sigmaDown - sigmaFrom);
    const [a, b] = sigmaX0Coefficients(this.prediction, sigmaFrom);
    // diffusers draws the noise on every step, the last one (sigmaUp = 0) included.
    const noise = generator.randn(shape);
    if (noise.length !== sample.length) throw new RangeError(`shape [${shape}] does not match the sample size`);
    // prev = x + dt·(x − x0) / σ + σ_up·noise with x0 = a·x + b·output, in one pass.
    const prev = new Float32Array(sample.length);
    for (let k = 0; k < prev.length; k++) {
      const x = sample[k];
      prev[k] = x + ((x - (a * x + b * modelOutput[k])) / sigmaFrom) * dt + noise[k] * sigmaUp;
    }
    this.index.advance();
    return prev;
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return addSigmaNoise(original, noise, this.sigmas[this.index.forAddNoise(this.timesteps, timestep)]);
  }
}
