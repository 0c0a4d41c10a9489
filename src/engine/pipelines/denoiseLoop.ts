import type { Scheduler } from '../schedulers/scheduler';
import { PrefetchedNoise } from '../random/noisePrefetch';
import type { TorchGenerator } from '../random/torchGenerator';
import type { UnetRunner } from './unetRunner';
import { throwIfAborted } from '../errors';
import { DenoisedEstimate } from './denoisedEstimate';
import { concatFloat32 } from '../runtime/tensors';

export interface StepInfo {
  /** 1-based step just finished. */
  step: number;
  total: number;
  timestep: number;
  latents: Float32Array;
  latentShape: readonly number[];
  /** The model's current guess of the clean latents, computed on demand (for previews). */
  denoised: () => Float32Array;
  /** Wall time of this step, UNet included. */
  stepMs: number;
  /** Time inside ONNX Runtime for this step. */
  modelMs: number;
  /** On a GPU provider: bytes this step's UNet calls copied from the host to the device, and back. */
  hostToDeviceBytes?: number;
  deviceToHostBytes?: number;
}

export interface DenoiseOptions {
  scheduler: Scheduler;
  unet: UnetRunner;
  generator: TorchGenerator;
  latentShape: readonly number[];
  guidance: number;
  /** diffusers' guidance_rescale; 0 or absent leaves the guided prediction as it is. */
  guidanceRescale?: number;
  /** Index of the first timestep to run (image-to-image starts part-way). */
  beginIndex: number;
  /** Index of the timestep to stop before; absent: run to the end. */
  endIndex?: number;
  signal?: AbortSignal;
  /** For a batch, the first image's latents and the batch's timing. */
  onStep?: (info: StepInfo) => void;
  /** Inpainting (one image): what the UNet takes besides the latents, and what happens to them after each step. */
  inpaint?: InpaintStepping;
}

/** diffusers' inpainting pipelines' additions to the loop body, for either kind of UNet. */
export interface InpaintStepping {
  /** A 9-channel UNet: mask ‖ masked-image latents, appended to the scaled latents' channels at every call. */
  unetExtra?: Float32Array;
  /** A 4-channel UNet: the latents after the step at `index` (into the scheduler's timesteps), blended back outside the mask. */
  afterStep?: (latents: Float32Array, index: number) => Float32Array;
}

/** One image of a batch: its own latents, sampler state and noise stream, so it matches its own job. */
export interface DenoiseTrack {
  initial: Float32Array;
  scheduler: Scheduler;
  generator: TorchGenerator;
}

/**
 * The loop every pipeline shares (diffusers' `for t in timesteps` body): scale, predict,
 * guide, step; cancellation is checked between steps so a step is never half-applied.
 * A stochastic sampler's noise is drawn in a worker during the UNet runs, from the same stream.
 */
export async function denoise(initial: Float32Array, options: DenoiseOptions): Promise<Float32Array> {
  const { scheduler, generator, ...shared } = options;
  return (await denoiseTracks([{ initial, scheduler, generator }], shared))[0];
}

/** The loop for several images of one prompt, whose UNet calls the runner batches. */
export async function denoiseTracks(
  tracks: readonly DenoiseTrack[],
  options: Omit<DenoiseOptions, 'scheduler' | 'generator'>,
): Promise<Float32Array[]> {
  const { unet, latentShape, guidance, signal, beginIndex, inpaint } = options;
  if (inpaint && tracks.length !== 1) throw new Error('inpainting runs one image at a time');
  const lead = tracks[0].scheduler;
  const timesteps = lead.timesteps.subarray(beginIndex, options.endIndex);
  const drawsAt = (i: number) => i < timesteps.length && lead.drawsNoiseAt(beginIndex + i);
  const stochastic = timesteps.some((_, i) => drawsAt(i));
  const prefetched = tracks.map((track) => (stochastic ? new PrefetchedNoise(track.generator, latentShape) : undefined));
  if (drawsAt(0)) prefetched.forEach((p) => p?.request());
  const latents = tracks.map((track) => track.initial);
  let estimate: DenoisedEstimate | undefined;
  try {
    for (let i = 0; i < timesteps.length; i++) {
      throwIfAborted(signal);
      const started = performance.now();
      const t = timesteps[i];
      const scaled = tracks.map((track, k) => track.scheduler.scaleModelInput(latents[k], t));
      // The next step's noise, drawn while this step's UNet blocks the main thread.
      if (drawsAt(i + 1)) prefetched.forEach((p) => p?.request());
      const modelStarted = performance.now();
      const extra = inpaint?.unetExtra;
      const predictions = await unet.predictMany(extra ? scaled.map((s) => concatFloat32([s, extra])) : scaled, t);
      const modelMs = performance.now() - modelStarted;
      const noises: Float32Array[] = [];
      for (const [k, track] of tracks.entries()) {
        const prediction = predictions[k];
        let noise = prediction.uncond ? applyGuidance(prediction.uncond, prediction.cond, guidance) : prediction.cond;
        if (prediction.uncond && options.guidanceRescale) noise = rescaleNoiseCfg(noise, prediction.cond, options.guidanceRescale);
        if (drawsAt(i)) await prefetched[k]?.ready();
        latents[k] = track.scheduler.step(noise, t, latents[k], prefetched[k] ?? track.generator, latentShape);
        if (inpaint?.afterStep) latents[k] = inpaint.afterStep(latents[k], beginIndex + i);
        noises.push(noise);
      }
      options.onStep?.({
        step: i + 1,
        total: timesteps.length,
        timestep: t,
        latents: latents[0],
        latentShape,
        denoised: () => (estimate ??= new DenoisedEstimate(lead)).estimate(scaled[0], noises[0], t),
        stepMs: performance.now() - started,
        modelMs,
        ...unet.lastCopies,
      });
    }
  } finally {
    // Leaves each generator after the noise the steps took, as if it had drawn it.
    await Promise.all(prefetched.map((p) => p?.close()));
  }
  return latents;
}

/** Classifier-free guidance (Ho & Salimans 2022): u + g·(c − u), in float32 like diffusers. */
export function applyGuidance(uncond: Float32Array, cond: Float32Array, guidance: number): Float32Array {
  const out = new Float32Array(cond.length);
  const g = Math.fround(guidance);
  for (let i = 0; i < out.length; i++) out[i] = uncond[i] + g * (cond[i] - uncond[i]);
  return out;
}

/**
 * diffusers' rescale_noise_cfg (Lin et al. 2023, "Common Diffusion Noise Schedules and Sample
 * Steps are Flawed", §3.4): the guided prediction scaled to the conditional one's standard
 * deviation (torch's unbiased std), mixed back with weight φ.
 */
export function rescaleNoiseCfg(guided: Float32Array, cond: Float32Array, phi: number): Float32Array {
  const ratio = Math.fround(std(cond) / std(guided));
  const p = Math.fround(phi);
  const keep = Math.fround(1 - phi);
  const out = new Float32Array(guided.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.fround(p * Math.fround(guided[i] * ratio)) + Math.fround(keep * guided[i]);
  }
  return out;
}

function std(values: Float32Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return Math.fround(Math.sqrt(squares / (values.length - 1)));
}
