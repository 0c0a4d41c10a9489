import type { Scheduler } from '../schedulers/scheduler';
import { alphasCumprod, interpTrainSchedule } from '../schedulers/betas';

/**
 * The model's current guess of the clean latents (x0), for live previews: early noisy latents
 * show nothing, the guess already shows the composition. It uses the variance-preserving view
 * every sampler shares at the model input, x = √ᾱ·x0 + √(1−ᾱ)·ε (DDPM, Ho et al. 2020), with
 * ᾱ interpolated at the timestep; exact for the previews' purpose, not for sampling.
 */
export class DenoisedEstimate {
  private readonly alphas: Float32Array;

  constructor(private readonly scheduler: Scheduler) {
    this.alphas = alphasCumprod(scheduler.config, true);
  }

  estimate(modelInput: Float32Array, modelOutput: Float32Array, timestep: number): Float32Array {
    const alpha = interpTrainSchedule(timestep, this.alphas);
    const a = Math.sqrt(alpha);
    const b = Math.sqrt(1 - alpha);
    const out = new Float32Array(modelInput.length);
    switch (this.scheduler.config.prediction_type) {
      case 'epsilon':
        for (let i = 0; i < out.length; i++) out[i] = (modelInput[i] - b * modelOutput[i]) / a;
        break;
      case 'v_prediction':
        for (let i = 0; i < out.length; i++) out[i] = a * modelInput[i] - b * modelOutput[i];
        break;
      case 'sample':
        out.set(modelOutput);
        break;
    }
    return out;
  }
}
