import type { GenerationSettings } from '../../protocol/recipe';
import type { ModelFolder } from '../models/modelFolder';
import { INPAINT_UNET_CHANNELS, sizeMultiple } from '../models/modelFolder';
import { EngineError, throwIfAborted } from '../errors';
import { decodedToRgb, rgbToModelInput } from '../image/postprocess';
import { readInputPixels, type RgbImage } from '../image/readInputImage';
import { binarizeMask, latentMask, masksAnything, readMaskImage, type GrayImage } from '../image/maskImage';
import { gaussianBlurMask } from '../image/maskBlur';
import { cropPixels, cropRegion, overlayInpainted, resizeFill, resizePixels, type CropBox } from '../image/inpaintCrop';
import { outpaintCanvas } from '../image/outpaintCanvas';
import { TorchGenerator } from '../random/torchGenerator';
import type { Scheduler } from '../schedulers/scheduler';
import type { InpaintStepping } from './denoiseLoop';
import { checkImageJob, encodeImage, firstStepIndex } from './imageToImage';
import {
  decodeLatents,
  denoiseLatents,
  encodeConditioning,
  jobScheduler,
  latentShapeOf,
  type PipelineHooks,
  type PipelineModels,
  type PipelineResult,
} from './stages';

/** The picture being edited and what to repaint in it, at the canvas's size (the input plus any outpaint margins). */
export interface InpaintCanvas {
  image: RgbImage;
  /** After the blur: 255 repaints, 0 keeps. */
  mask: GrayImage;
}

/**
 * diffusers StableDiffusionXLInpaintPipeline.__call__ (SD 1.x/2.x: StableDiffusionInpaintPipeline)
 * with a CPU torch.Generator, batch 1, for both kinds of UNet: a 4-channel one, whose latents are
 * put back to the noised input outside the mask after every step, and a 9-channel inpainting one,
 * which takes the mask and the masked picture's latents as extra input. With inpaintArea
 * 'masked' the pipeline's padding_mask_crop path: the crop around the mask is worked on at the
 * job's size. In both modes the result goes under the source through the blurred mask
 * (VaeImageProcessor.apply_overlay), so pixels the mask keeps are the source's byte for byte.
 */
export async function inpaint(
  { model: { sessions, tokenizers } }: PipelineModels,
  settings: GenerationSettings,
  hooks: PipelineHooks = {},
): Promise<PipelineResult> {
  const model = sessions.model;
  const { strength } = checkImageJob(settings, model, 'Inpainting');
  const canvas = await readInpaintCanvas(settings);
  throwIfAborted(hooks.signal);
  const { width, height } = settings;
  const crop = settings.inpaintArea === 'masked' ? cropRegion(canvas.mask, width, height, settings.maskPadding ?? 0) : undefined;
  const work = crop ? await croppedWork(canvas, crop, width, height) : fullWork(canvas, settings);

  const scheduler = jobScheduler(settings, model.schedulerConfig);
  const beginIndex = firstStepIndex(settings.steps, strength) * scheduler.order;
  // diffusers' get_timesteps sets the begin index at any strength, so add_noise inside the loop reads the step index.
  scheduler.setBeginIndex(beginIndex);
  const conditioning = await encodeConditioning(sessions, tokenizers, settings, hooks);
  const generator = new TorchGenerator(settings.seed);
  const latentShape = latentShapeOf(model, settings);
  const prepared = await prepareLatents(work, { model, settings, scheduler, beginIndex, generator, latentShape }, async (pixels) =>
    encodeImage(sessions, pixels, [1, 3, height, width], generator, settings.vaeTiling, hooks),
  );
  const job = { settings, conditioning, scheduler, generator, latentShape, beginIndex, inpaint: prepared.stepping };
  const latents = await denoiseLatents(sessions, prepared.initial, job, hooks);
  hooks.onPhase?.('decode');
  const decoded = await decodeLatents(sessions, latents, latentShape, settings.vaeTiling, hooks);
  const generated = { data: decodedToRgb(decoded, width, height), width, height };
  // Over the whole picture too the source goes back over the result outside the blurred mask, so the VAE's round trip
  // never touches kept pixels: A1111's apply_overlay in both modes (modules/processing.py), diffusers' "Preserve unmasked area".
  const box = crop ?? { x1: 0, y1: 0, x2: width, y2: height };
  return { latents, latentShape, decoded, picture: await overlayInpainted(canvas.image, canvas.mask, generated, box) };
}

/**
 * The input picture and its mask as the pipeline receives them: the mask read (alpha or luma),
 * brought to the picture's size, both grown by the outpaint margins, then the mask blurred
 * (VaeImageProcessor.blur, which diffusers' users apply to the mask before the call).
 */
export async function readInpaintCanvas(settings: Pick<GenerationSettings, 'initImage' | 'mask' | 'maskBlur' | 'outpaint'>): Promise<InpaintCanvas> {
  const { initImage, mask: maskPath, outpaint } = settings;
  if (initImage === undefined) throw new EngineError('Inpainting needs an input image.', 'bad-request');
  const image = await readInputPixels(initImage);
  const given = maskPath === undefined ? undefined : await resizePixels(await readMaskImage(maskPath), image.width, image.height);
  let canvas: InpaintCanvas;
  if (outpaint) {
    canvas = outpaintCanvas(image, given, outpaint);
  } else if (given) {
    canvas = { image, mask: given };
  } else {
    throw new EngineError('Inpainting needs a mask (white repaints, black keeps) or outpaint margins.', 'bad-request');
  }
  const mask = gaussianBlurMask(canvas.mask, settings.maskBlur ?? 0);
  if (!masksAnything(mask)) {
    throw new EngineError(`The mask ${maskPath ?? ''} keeps every pixel, so there is nothing to repaint; paint white (or opaque) where the picture should change.`, 'bad-request');
  }
  return { image: canvas.image, mask };
}

/** The canvas size an inpainting job over the whole picture works at, or a clear refusal when the model cannot take it. */
export function wholeCanvasSize(canvas: { width: number; height: number }, model: ModelFolder, asked: { width?: number; height?: number }): { width: number; height: number } {
  const { width, height } = canvas;
  if ((asked.width !== undefined && asked.width !== width) || (asked.height !== undefined && asked.height !== height)) {
    throw new EngineError(
      `Inpainting the whole picture keeps its size, ${width}x${height} (the input image plus any outpaint margins); leave out the width and height, or repaint only the masked area (inpaint area "masked"), which works at the size you give.`,
      'bad-request',
    );
  }
  const multiple = sizeMultiple(model);
  if (width % multiple !== 0 || height % multiple !== 0) {
    const round = (side: number) => Math.max(multiple, Math.round(side / multiple) * multiple);
    throw new EngineError(
      `The picture to inpaint is ${width}x${height} (the input image plus any outpaint margins), but this model's UNet needs multiples of ${multiple}: crop or resize the image to ${round(width)}x${round(height)}, or repaint only the masked area (inpaint area "masked"), which works at the model's size whatever the image's.`,
      'bad-request',
    );
  }
  return { width, height };
}

/** What the UNet works on: the picture and the binarized mask at the job's size. */
interface InpaintWork {
  pixels: Float32Array;
  mask: Float32Array;
}

function fullWork(canvas: InpaintCanvas, size: { width: number; height: number }): InpaintWork {
  const { image, mask } = canvas;
  if (image.width !== size.width || image.height !== size.height) {
    throw new EngineError(`Inpainting the whole ${image.width}x${image.height} picture at ${size.width}x${size.height} is not possible; leave out the size.`, 'bad-request');
  }
  return { pixels: rgbToModelInput(image.data, image.width, image.height, 3), mask: binarizeMask(mask) };
}

/** VaeImageProcessor.preprocess with crops_coords and resize_mode "fill", for the picture and the mask alike. */
async function croppedWork(canvas: InpaintCanvas, crop: CropBox, width: number, height: number): Promise<InpaintWork> {
  const image = await resizeFill(cropPixels(canvas.image, crop), width, height);
  const mask = await resizeFill(cropPixels(canvas.mask, crop), width, height);
  return { pixels: rgbToModelInput(image.data, width, height, 3), mask: binarizeMask(mask) };
}

interface LatentJob {
  model: ModelFolder;
  settings: GenerationSettings;
  scheduler: Scheduler;
  beginIndex: number;
  generator: TorchGenerator;
  latentShape: number[];
}

type Encode = (pixels: Float32Array) => Promise<{ latents: Float32Array; sampled: boolean }>;

/**
 * diffusers' prepare_latents and prepare_mask_latents, in their order of generator draws: the
 * input encoded (a 4-channel UNet always needs it, a 9-channel one below strength 1), the noise,
 * then the masked picture encoded. A 4-channel UNet never uses the masked picture's latents, so
 * its encoding is skipped, but an encoder that samples its posterior still takes its draw from
 * the generator as diffusers' does, so the steps' noise stays the same.
 */
async function prepareLatents(work: InpaintWork, job: LatentJob, encode: Encode): Promise<{ initial: Float32Array; stepping: InpaintStepping }> {
  const { model, settings, scheduler, beginIndex, generator, latentShape } = job;
  const [, , latentHeight, latentWidth] = latentShape;
  const nineChannels = model.unet.inChannels === INPAINT_UNET_CHANNELS;
  const strengthMax = settings.strength === 1;
  const image = !nineChannels || !strengthMax ? await encode(work.pixels) : undefined;
  const noise = generator.randn(latentShape);
  let initial: Float32Array;
  if (strengthMax) {
    const sigma = Math.fround(scheduler.initNoiseSigma);
    initial = noise.map((n) => n * sigma);
  } else {
    if (!image) throw new Error('strength below 1 without the input latents');
    initial = scheduler.addNoise(image.latents, noise, scheduler.timesteps[beginIndex]);
  }
  const mask = latentMask(work.mask, settings.width, settings.height, latentWidth, latentHeight);
  if (nineChannels) {
    const masked = work.pixels.map((value, i) => (work.mask[i % work.mask.length] < 0.5 ? value : 0));
    const maskedLatents = (await encode(masked)).latents;
    const unetExtra = new Float32Array(mask.length + maskedLatents.length);
    unetExtra.set(mask);
    unetExtra.set(maskedLatents, mask.length);
    return { initial, stepping: { unetExtra } };
  }
  if (image?.sampled) generator.randn(latentShape);
  if (!image) throw new Error('a 4-channel UNet without the input latents');
  return { initial, stepping: { afterStep: blendBack(image.latents, noise, mask, scheduler) } };
}

/**
 * The 4-channel UNet's step epilogue in diffusers' inpainting pipelines: the input's latents,
 * noised with the job's first noise to the next timestep's level (`init_latents_proper`; clean
 * after the last step), replace the latents where the mask keeps:
 * `(1 − mask) · init_latents_proper + mask · latents`, in float32, the mask broadcast over channels.
 */
function blendBack(imageLatents: Float32Array, noise: Float32Array, mask: Float32Array, scheduler: Scheduler) {
  return (latents: Float32Array, index: number): Float32Array => {
    const next = index + 1;
    const proper = next < scheduler.timesteps.length ? scheduler.addNoise(imageLatents, noise, scheduler.timesteps[next]) : imageLatents;
    const out = new Float32Array(latents.length);
    for (let i = 0; i < out.length; i++) {
      const m = mask[i % mask.length];
      out[i] = Math.fround(Math.fround(Math.fround(1 - m) * proper[i]) + Math.fround(m * latents[i]));
    }
    return out;
  };
}
