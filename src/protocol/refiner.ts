// The base→refiner hand-off (diffusers' "ensemble of expert denoisers"): which families take
// part, and where the hand-off happens when the request does not say.
import type { ModelFamily } from './modelFamily';

/** The share of the schedule the base runs in the SDXL report's and diffusers' base+refiner example (high_noise_frac 0.8). */
export const DEFAULT_REFINER_START = 0.8;

/** Only an SDXL base hands its latents to a refiner; SD models and a refiner on its own do not. */
export function takesRefiner(family: ModelFamily | undefined): boolean {
  return family === 'sdxl';
}

/** The hand-off passes SDXL latents between SDXL UNets: a refiner or another SDXL base continues them, an SD model cannot. */
export function continuesSdxlLatents(family: ModelFamily | undefined): boolean {
  return family === 'sdxl' || family === 'sdxl-refiner';
}
