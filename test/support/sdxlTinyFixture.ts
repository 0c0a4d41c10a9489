// Comparing a generated image with one case of the shared sdxl-tiny fixture, at the fixture's
// tolerances: latents and float image within 1e-3 max abs, uint8 within 1 on at most 0.5% of values.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import sharp from 'sharp';
import type { SamplerName } from '../../src/protocol/recipe';
import type { GeneratedImage, GenerateRequest } from '../../src/engine/engine';
import { decodedToFloatHwc } from '../../src/engine/image/postprocess';
import { maxAbsDiff } from './maxAbsDiff';
import { readNpy } from './npy';
import { referenceDir } from './shared';

export const fixtureDir = join(referenceDir, 'sdxl-tiny');

/** The parameters every case of cases.json has; image-to-image cases add their input and strength. */
export interface FixtureCase {
  id: string;
  pipeline: string;
  prompt: string;
  negative_prompt: string | null;
  height?: number;
  width?: number;
  num_inference_steps: number;
  guidance_scale: number;
  seed: number;
  scheduler: { class_name: string; overrides: Record<string, unknown> };
  image?: string;
  strength?: number;
  derived: { image_shape?: number[] };
}

export const SAMPLER_OF_CLASS: Record<string, SamplerName> = {
  EulerDiscreteScheduler: 'euler',
  EulerAncestralDiscreteScheduler: 'euler-a',
  DDIMScheduler: 'ddim',
  DPMSolverMultistepScheduler: 'dpmpp-2m',
};

/** The engine request that runs a text-to-image case on `modelDir`. */
export function caseRequest(c: FixtureCase, modelDir: string): GenerateRequest {
  const overrides = c.scheduler.overrides;
  return {
    modelDir,
    prompt: c.prompt,
    negativePrompt: c.negative_prompt,
    width: c.width,
    height: c.height,
    steps: c.num_inference_steps,
    guidance: c.guidance_scale,
    seed: c.seed,
    sampler: SAMPLER_OF_CLASS[c.scheduler.class_name],
    karras: overrides.use_karras_sigmas === true,
    timestepSpacing: (overrides.timestep_spacing as 'trailing' | undefined) ?? null,
  };
}

export interface CaseErrors {
  latents: number;
  float: number;
  uint8: number;
}

/** Asserts the fixture's tolerances and returns the errors found, for reports; `casesDir` holds cases made the same way. */
export async function assertMatchesCase(image: GeneratedImage, id: string, casesDir = join(fixtureDir, 'cases')): Promise<CaseErrors> {
  const caseDir = join(casesDir, id);
  const latents = readNpy(join(caseDir, 'latents.npy'));
  assert.deepEqual(image.latentShape, latents.shape);
  const latentError = maxAbsDiff(image.latents, latents.data);
  assert.ok(latentError < 1e-3, `${id}: latents differ by ${latentError}`);

  const expectedFloat = readNpy(join(caseDir, 'image.npy'));
  const floatError = maxAbsDiff(decodedToFloatHwc(image.decoded, image.width, image.height), expectedFloat.data);
  assert.ok(floatError < 1e-3, `${id}: float image differs by ${floatError}`);

  const png = await sharp(join(caseDir, 'image.png')).raw().toBuffer();
  let off = 0;
  let worst = 0;
  for (let i = 0; i < png.length; i++) {
    const d = Math.abs(png[i] - image.rgb[i]);
    worst = Math.max(worst, d);
    if (d > 0) off++;
  }
  assert.ok(worst <= 1, `${id}: uint8 image differs by up to ${worst}`);
  assert.ok(off <= png.length * 0.005, `${id}: ${off} uint8 values differ`);
  return { latents: latentError, float: floatError, uint8: worst };
}
