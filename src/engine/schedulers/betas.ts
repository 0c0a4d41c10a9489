// Noise schedule shared by the samplers, after diffusers' scheduler constructors (betas,
// betas_for_alpha_bar, rescale_zero_terminal_snr, alphas_cumprod) and EulerDiscreteScheduler's
// _convert_to_karras / _sigma_to_t. diffusers keeps these in float32 torch tensors and the
// first sigmas come from 1 - alphas_cumprod ≈ 1e-3, where one float32 ulp is a 1e-4 relative
// error, so each torch op is rounded to float32 here exactly as torch rounds it.
import type { CommonConfig } from './schedulerConfig';
import { npLinspace } from './timesteps';
import { EngineError } from '../errors';

const f32 = Math.fround;

/** Vectorized<float> lanes (AVX2); ATen's vectorized_loop fills two vectors per iteration. */
const LANES = 8;

/**
 * torch.linspace(start, end, steps, dtype=torch.float32) on CPU. ATen's kernel counts up from
 * `start` for the first half and down from `end` for the second; its vectorized path builds
 * each 8-lane block as `base + k·step` from the block's first value, and the compiler fuses
 * each `a + step·i` into one FMA (one rounding). Products step·i are exact in float64, so
 * rounding the float64 sum once reproduces the FMA; all 165 SDXL training sigmas in the
 * reference tables match bit for bit this way, and are 1–2 ulps off without the FMA.
 */
export function torchLinspaceFloat32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  const first = f32(start);
  if (steps === 1) {
    out[0] = first;
    return out;
  }
  const last = f32(end);
  const step = f32(f32(last - first) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  const at = (idx: number): number => (idx < halfway ? f32(first + step * idx) : f32(last - step * (steps - idx - 1)));
  const vectorEnd = steps - (steps % (2 * LANES));
  for (let base = 0; base < vectorEnd; base += LANES) {
    const baseValue = at(base);
    for (let k = 0; k < LANES; k++) out[base + k] = baseValue + k * step;
  }
  for (let idx = vectorEnd; idx < steps; idx++) out[idx] = at(idx);
  return out;
}

/** betas_for_alpha_bar with the cosine ("squaredcos_cap_v2", Glide) transform, in float64. */
function betasForAlphaBar(count: number, maxBeta = 0.999): Float32Array {
  const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * Math.PI / 2) ** 2;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = Math.min(1 - alphaBar((i + 1) / count) / alphaBar(i / count), maxBeta);
  }
  return out;
}

/** torch.cumprod(1.0 - betas): the CPU kernel accumulates in double and stores float32. */
function cumprodOfAlphas(betas: Float32Array): Float32Array {
  const out = new Float32Array(betas.length);
  let product = 1;
  for (let i = 0; i < betas.length; i++) {
    product *= f32(1 - betas[i]);
    out[i] = product;
  }
  return out;
}

/** rescale_zero_terminal_snr (Lin et al. 2023, Algorithm 1) on float32 tensors. */
function rescaleZeroTerminalSnr(betas: Float32Array): Float32Array {
  const sqrtBar = cumprodOfAlphas(betas).map(Math.sqrt);
  const first = sqrtBar[0];
  const lastValue = sqrtBar[sqrtBar.length - 1];
  const scale = f32(first / f32(first - lastValue));
  const bar = sqrtBar.map((v) => {
    const shifted = f32(f32(v - lastValue) * scale);
    return shifted * shifted;
  });
  const alphas = bar.map((v, i) => (i === 0 ? v : v / bar[i - 1]));
  return alphas.map((a) => 1 - a);
}

/** What the noise schedule reads; PNDMScheduler takes no rescale_betas_zero_snr, and then it is off. */
type ScheduleConfig = Omit<CommonConfig, 'rescale_betas_zero_snr'> & Partial<Pick<CommonConfig, 'rescale_betas_zero_snr'>>;

/** The scheduler's `betas` tensor. */
function betaSchedule(config: ScheduleConfig): Float32Array {
  const count = config.num_train_timesteps;
  let betas: Float32Array;
  if (config.trained_betas !== null) {
    if (config.trained_betas.length !== count) {
      throw new EngineError(
        `scheduler_config.json: trained_betas has ${config.trained_betas.length} values for ${count} num_train_timesteps.`,
        'model-folder',
      );
    }
    betas = Float32Array.from(config.trained_betas);
  } else if (config.beta_schedule === 'linear') {
    betas = torchLinspaceFloat32(config.beta_start, config.beta_end, count);
  } else if (config.beta_schedule === 'scaled_linear') {
    // Latent diffusion's schedule: linear in sqrt(beta).
    betas = torchLinspaceFloat32(Math.sqrt(config.beta_start), Math.sqrt(config.beta_end), count).map((b) => b * b);
  } else {
    betas = betasForAlphaBar(count);
  }
  return config.rescale_betas_zero_snr ? rescaleZeroTerminalSnr(betas) : betas;
}

/**
 * The scheduler's `alphas_cumprod` (float32), indexed by training timestep. With zero-SNR
 * betas the last value is 0; the sigma-based samplers (`terminalFloor`) replace it with 2^-24,
 * float16's smallest subnormal, so that the first sigma stays finite.
 */
export function alphasCumprod(config: ScheduleConfig, terminalFloor: boolean): Float32Array {
  const cumprod = cumprodOfAlphas(betaSchedule(config));
  if (terminalFloor && config.rescale_betas_zero_snr) cumprod[cumprod.length - 1] = 2 ** -24;
  return cumprod;
}

/** `((1 - alphas_cumprod) / alphas_cumprod) ** 0.5` on float32 tensors, indexed by training timestep. */
export function trainSigmas(alphasCumprodF32: Float32Array): Float32Array {
  return alphasCumprodF32.map((a) => Math.sqrt(f32(f32(1 - a) / a)));
}

/** np.log of a float32 array stays float32. */
export function logFloat32(values: Float32Array): Float32Array {
  return values.map(Math.log);
}

/** np.interp(t, arange(len(values)), values): linear between training timesteps, clamped at the ends. */
export function interpTrainSchedule(t: number, values: ArrayLike<number>): number {
  const last = values.length - 1;
  if (t <= 0) return values[0];
  if (t >= last) return values[last];
  const j = Math.floor(t);
  return (values[j + 1] - values[j]) * (t - j) + values[j];
}

/** Karras et al. (2022) eq. 5 with rho 7, in float64 like diffusers' numpy code: sigma_max down to sigma_min. */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, count: number): Float64Array {
  const rho = 7;
  const minInvRho = sigmaMin ** (1 / rho);
  const maxInvRho = sigmaMax ** (1 / rho);
  return npLinspace(0, 1, count).map((ramp) => (maxInvRho + ramp * (minInvRho - maxInvRho)) ** rho);
}

/**
 * _sigma_to_t: the (fractional) training timestep whose sigma is `sigma`, interpolating
 * linearly in log-sigma between the neighbouring training steps. NumPy 1.x (which made the
 * reference tables) casts the scalar log_sigma to log_sigmas' float32 and computes the weight
 * in float32, which puts a Karras end point that equals a training sigma exactly on its step.
 */
export function sigmaToT(sigma: number, logSigmas: Float32Array): number {
  const logSigma = f32(Math.log(Math.max(sigma, 1e-10)));
  // The last training step at or below log_sigma (0 when there is none), kept off the end.
  let low = 0;
  for (let i = 0; i < logSigmas.length; i++) if (logSigma - logSigmas[i] >= 0) low = i;
  low = Math.min(low, logSigmas.length - 2);
  const lowLog = logSigmas[low];
  const highLog = logSigmas[low + 1];
  const w = f32(Math.min(Math.max(f32(f32(lowLog - logSigma) / f32(lowLog - highLog)), 0), 1));
  return f32(1 - w) * low + w * (low + 1);
}
