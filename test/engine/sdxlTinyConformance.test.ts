// The whole SDXL text-to-image pipeline against diffusers' own outputs on the shared tiny
// SDXL (../shared/reference/sdxl-tiny): tolerances are the fixture's (latents and float
// image 1e-3 max abs, uint8 within 1).
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import sharp from 'sharp';
import type { SamplerName } from '../../src/engine/recipe';
import { Engine } from '../../src/engine/engine';
import { decodedToFloatHwc } from '../../src/engine/image/postprocess';
import { maxAbsDiff, readNpy } from '../support/npy';
import { readReferenceJson, referenceDir, skipWithoutShared } from '../support/shared';

interface FixtureCase {
  id: string;
  pipeline: string;
  prompt: string;
  negative_prompt: string | null;
  height: number;
  width: number;
  num_inference_steps: number;
  guidance_scale: number;
  seed: number;
  scheduler: { class_name: string; overrides: Record<string, unknown> };
}

const SAMPLER_OF_CLASS: Record<string, SamplerName> = {
  EulerDiscreteScheduler: 'euler',
  EulerAncestralDiscreteScheduler: 'euler-a',
  DDIMScheduler: 'ddim',
  DPMSolverMultistepScheduler: 'dpmpp-2m',
};

const skip = skipWithoutShared('reference', 'sdxl-tiny', 'cases.json');
const fixture = join(referenceDir, 'sdxl-tiny');

function cases(): FixtureCase[] {
  if (skip) return [];
  return readReferenceJson<{ cases: FixtureCase[] }>('sdxl-tiny/cases.json').cases.filter(
    (c) => c.pipeline === 'StableDiffusionXLPipeline',
  );
}

async function check(engine: Engine, modelDir: string, c: FixtureCase): Promise<void> {
  const overrides = c.scheduler.overrides;
  const image = await engine.generate({
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
  });
  const caseDir = join(fixture, 'cases', c.id);
  const latents = readNpy(join(caseDir, 'latents.npy'));
  assert.deepEqual(image.latentShape, latents.shape);
  const latentError = maxAbsDiff(image.latents, latents.data);
  assert.ok(latentError < 1e-3, `${c.id}: latents differ by ${latentError}`);

  const expectedFloat = readNpy(join(caseDir, 'image.npy'));
  const floatError = maxAbsDiff(decodedToFloatHwc(image.decoded, c.width, c.height), expectedFloat.data);
  assert.ok(floatError < 1e-3, `${c.id}: float image differs by ${floatError}`);

  const png = await sharp(join(caseDir, 'image.png')).raw().toBuffer();
  let off = 0;
  let worst = 0;
  for (let i = 0; i < png.length; i++) {
    const d = Math.abs(png[i] - image.rgb[i]);
    worst = Math.max(worst, d);
    if (d > 0) off++;
  }
  assert.ok(worst <= 1, `${c.id}: uint8 image differs by up to ${worst}`);
  assert.ok(off <= png.length * 0.005, `${c.id}: ${off} uint8 values differ`);
}

describe('SDXL text-to-image matches diffusers on sdxl-tiny', { skip }, () => {
  const engine = new Engine({ provider: 'cpu', lowMemory: false });
  after(() => engine.unload());
  for (const c of cases()) {
    test(c.id, () => check(engine, join(fixture, 'model'), c));
  }
});

describe('an int64-timestep UNet export gives the same images', { skip }, () => {
  const engine = new Engine({ provider: 'cpu', lowMemory: true });
  let dir = '';
  after(async () => {
    await engine.unload();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  for (const c of cases().slice(0, 2)) {
    test(c.id, async () => {
      if (!dir) {
        dir = mkdtempSync(join(tmpdir(), 'sdxl-int64-'));
        cpSync(join(fixture, 'model'), dir, { recursive: true });
        cpSync(join(fixture, 'variants', 'unet_timestep_int64', 'unet'), join(dir, 'unet'), { recursive: true });
      }
      await check(engine, dir, c);
    });
  }
});
