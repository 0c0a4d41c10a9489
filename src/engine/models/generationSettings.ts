import type { GenerationSettings, SettingsRequest, VaeTiling } from '../../protocol/recipe';
import type { SamplerName } from '../../protocol/recipe';
import { minimumSteps } from '../../protocol/denoisingSteps';
import { fittedInputSize, settingsProblem, vaeTilingProblem, type SettingsToCheck } from '../../protocol/generationLimits';
import { DEFAULT_REFINER_START } from '../../protocol/refiner';
import { DEFAULT_INPAINT_STRENGTH } from '../../protocol/inpaintStrength';
import { EngineError } from '../errors';
import { sizeMultiple, type ModelFolder } from './modelFolder';

/** SDXL base's model card suggests 30–50 steps and diffusers' SDXL pipeline defaults to guidance 5. */
const DEFAULT_STEPS = 30;
const DEFAULT_GUIDANCE = 5;
/** diffusers' StableDiffusionPipeline default guidance_scale. */
const SD_GUIDANCE = 7.5;
/** The LCM paper's and pipelines' usual 4 steps; LatentConsistencyModelPipeline's guidance_scale 8.5. */
const LCM_STEPS = 4;
const LCM_EMBEDDED_GUIDANCE = 8.5;
/** Halfway between keeping the input image and ignoring it; diffusers' SDXL img2img default of 0.3 changes little. */
const DEFAULT_STRENGTH = 0.5;
/** AUTOMATIC1111's "Only masked padding, pixels" default. */
export const DEFAULT_MASK_PADDING = 32;
/** A refiner adds detail rather than repainting: diffusers' StableDiffusionXLImg2ImgPipeline default, as the refiner's model card runs it. */
const REFINER_STRENGTH = 0.3;
/** diffusers' StableDiffusionXLImg2ImgPipeline defaults: aesthetic_score 6.0, negative_aesthetic_score 2.5. */
export const DEFAULT_AESTHETIC_SCORE = 6;
export const DEFAULT_NEGATIVE_AESTHETIC_SCORE = 2.5;

/** diffusers class names in scheduler_config.json → our sampler names. */
const SAMPLER_BY_CLASS: Record<string, SamplerName> = {
  EulerDiscreteScheduler: 'euler',
  EulerAncestralDiscreteScheduler: 'euler-a',
  DDIMScheduler: 'ddim',
  DPMSolverMultistepScheduler: 'dpmpp-2m',
  LCMScheduler: 'lcm',
  PNDMScheduler: 'pndm',
};

/** The sampler a model folder was published with, so that no --sampler means what diffusers would use. */
export function defaultSampler(model: ModelFolder): SamplerName {
  const className = model.schedulerConfig._class_name;
  return (typeof className === 'string' && SAMPLER_BY_CLASS[className]) || 'euler';
}

/** Rejects settings that would otherwise fail deep inside ONNX Runtime or silently misbehave. */
export function validateSettings(settings: Partial<GenerationSettings>, model: ModelFolder): void {
  checkSettings(settings, sizeMultiple(model));
  const tilingProblem = settings.vaeTiling && vaeTilingProblem(settings.vaeTiling, model.vae.scaleFactor);
  if (tilingProblem) throw new EngineError(tilingProblem, 'bad-request');
}

/** The shared limits (src/protocol/generationLimits.ts) as an EngineError; the multiple once the model is known. */
export function checkSettings(settings: SettingsToCheck, multiple?: number): void {
  const problem = settingsProblem(settings, multiple);
  if (problem !== undefined) throw new EngineError(problem, 'bad-request');
}

/**
 * Steps and guidance a family is meant to run with. Turbo: 1 step without guidance
 * (stabilityai/sdxl-turbo's model card), and for image-to-image the fewest steps that run one
 * (2 at strength 0.5, as the card shows). LCM: 4 steps; an LCM UNet takes guidance as an
 * embedding (8.5), an LCM-LoRA merge runs without it (1).
 */
function familyDefaults(model: ModelFolder, strength: number | undefined): { steps: number; guidance: number } {
  const { distillation, timeCondProjDim } = model.details;
  if (distillation === 'turbo') {
    // An out-of-range strength is validateSettings' to reject, not a reason to search for steps.
    const img2img = strength !== undefined && strength > 0 && strength <= 1;
    return { steps: img2img ? minimumSteps(strength) : 1, guidance: 0 };
  }
  if (distillation === 'lcm') return { steps: LCM_STEPS, guidance: timeCondProjDim === undefined ? 1 : LCM_EMBEDDED_GUIDANCE };
  return { steps: DEFAULT_STEPS, guidance: model.family === 'sd' ? SD_GUIDANCE : DEFAULT_GUIDANCE };
}

/**
 * The settings a request leaves out, from the model: its trained size, its own sampler and its
 * family's steps and guidance. With an input image the size defaults to the image's own, scaled
 * to the size limit and rounded down to the UNet's multiple. With a refiner, its start and, when its UNet takes them, the
 * aesthetic scores, so that the recipe states every number the image depends on.
 */
export function resolveSettings(
  request: SettingsRequest,
  model: ModelFolder,
  inputImageSize?: { width: number; height: number },
  refiner?: ModelFolder,
): GenerationSettings {
  const trainedSize = (model.unet.sampleSize ?? 128) * model.vae.scaleFactor;
  // diffusers' VaeImageProcessor rounds down to the VAE factor (8); ONNX UNets need the whole UNet multiple.
  const fitted = inputImageSize ? fittedInputSize(inputImageSize, sizeMultiple(model)) : undefined;
  const inpainting = request.mask !== undefined || request.outpaint !== undefined;
  const defaultStrength = inpainting ? DEFAULT_INPAINT_STRENGTH : model.family === 'sdxl-refiner' ? REFINER_STRENGTH : DEFAULT_STRENGTH;
  const strength = request.initImage !== undefined ? (request.strength ?? defaultStrength) : undefined;
  const scored = [model, refiner].some((m) => m?.details.requiresAestheticsScore === true);
  if (!scored && (request.aestheticScore !== undefined || request.negativeAestheticScore !== undefined)) {
    throw new EngineError(
      'Aesthetic scores apply only to a UNet trained with them (the SDXL refiner); this job has none.',
      'bad-request',
    );
  }
  if (request.refinerStart !== undefined && refiner === undefined) {
    throw new EngineError('A refiner start needs a refiner model.', 'bad-request');
  }
  const defaults = familyDefaults(model, strength);
  const width = request.width ?? fitted?.width ?? trainedSize;
  const height = request.height ?? fitted?.height ?? trainedSize;
  const vaeTiling = request.vaeTiling && tilingInEffect(request.vaeTiling, model, width, height);
  if (vaeTiling && request.tiling !== undefined) {
    // Each VAE tile would wrap around its own edges, not the image's.
    throw new EngineError('Seamless tiles need the VAE in one piece; leave out the tiled VAE (or make the image no larger than its tile).', 'bad-request');
  }
  return {
    prompt: request.prompt,
    negativePrompt: request.negativePrompt ?? null,
    width,
    height,
    steps: request.steps ?? defaults.steps,
    guidance: request.guidance ?? defaults.guidance,
    sampler: request.sampler ?? defaultSampler(model),
    karras: request.karras ?? false,
    timestepSpacing: request.timestepSpacing ?? null,
    seed: request.seed ?? randomSeed(),
    // A strength without an image is kept, so that validateSettings rejects it instead of ignoring it.
    ...(request.strength !== undefined ? { strength: request.strength } : {}),
    ...(request.initImage !== undefined
      ? { initImage: request.initImage, strength: request.strength ?? defaultStrength }
      : {}),
    ...(request.mask !== undefined ? { mask: request.mask } : {}),
    ...(request.maskBlur !== undefined ? { maskBlur: request.maskBlur } : {}),
    ...(request.inpaintArea !== undefined ? { inpaintArea: request.inpaintArea } : {}),
    ...(request.inpaintArea === 'masked' ? { maskPadding: request.maskPadding ?? DEFAULT_MASK_PADDING } : {}),
    // Kept when it has no place, so that validateSettings rejects it instead of ignoring it.
    ...(request.maskPadding !== undefined && request.inpaintArea !== 'masked' ? { maskPadding: request.maskPadding } : {}),
    ...(request.outpaint !== undefined ? { outpaint: request.outpaint } : {}),
    ...(refiner ? { refinerStart: request.refinerStart ?? DEFAULT_REFINER_START } : {}),
    ...(scored
      ? {
          aestheticScore: request.aestheticScore ?? DEFAULT_AESTHETIC_SCORE,
          negativeAestheticScore: request.negativeAestheticScore ?? DEFAULT_NEGATIVE_AESTHETIC_SCORE,
        }
      : {}),
    ...(request.guidanceRescale !== undefined ? { guidanceRescale: request.guidanceRescale } : {}),
    ...(request.promptWeighting !== undefined ? { promptWeighting: request.promptWeighting } : {}),
    ...(vaeTiling ? { vaeTiling } : {}),
    ...(request.tiling !== undefined ? { tiling: request.tiling } : {}),
  };
}

/**
 * The tiling a request asks for, its size defaulting to the VAE config's sample_size as in
 * diffusers, or undefined when no tile would be split (diffusers tiles only an image with a side
 * above the tile), so that the recipe names tiling only when it changed the pixels.
 */
function tilingInEffect(request: Partial<VaeTiling>, model: ModelFolder, width: number, height: number): VaeTiling | undefined {
  const tileSize = request.tileSize ?? model.vae.sampleSize;
  const problem = vaeTilingProblem({ tileSize }, model.vae.scaleFactor);
  if (problem !== undefined) {
    const fromConfig = request.tileSize === undefined ? ` (the tile size of ${model.dir}'s VAE config, sample_size; give another)` : '';
    throw new EngineError(`${problem.slice(0, -1)}${fromConfig}.`, 'bad-request');
  }
  return Math.max(width, height) > tileSize ? { tileSize } : undefined;
}

export function randomSeed(): number {
  // AUTOMATIC1111 draws seeds below 2^32; staying in that range keeps recipes portable.
  return Math.floor(Math.random() * 2 ** 32);
}
