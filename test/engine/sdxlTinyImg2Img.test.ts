// SDXL image-to-image against diffusers' StableDiffusionXLImg2ImgPipeline on the shared tiny
// SDXL (../shared/reference/sdxl-tiny): the fixture's tolerances, plus the add_noise step
// pinned through debug/initial_latents.npy. Then strength, input layouts and model variants
// on the test suite's own tiny models, which run anywhere.
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import sharp from 'sharp';
import { Engine, type GenerateRequest } from '../../src/engine/engine';
import { EngineError, type EngineErrorCode } from '../../src/engine/errors';
import { readModelFolder } from '../../src/engine/models/modelFolder';
import { firstStepIndex, noisedImageLatents } from '../../src/engine/pipelines/imageToImage';
import { jobScheduler } from '../../src/engine/pipelines/stages';
import { TorchGenerator } from '../../src/engine/random/torchGenerator';
import { ModelSessions } from '../../src/engine/runtime/modelSessions';
import { maxAbsDiff } from '../support/maxAbsDiff';
import { readNpy } from '../support/npy';
import { assertMatchesCase, fixtureDir, SAMPLER_OF_CLASS, type FixtureCase } from '../support/sdxlTinyFixture';
import { readReferenceJson, skipWithoutShared } from '../support/shared';
import { tempFolder } from '../support/tempFolder';
import { conformanceProviders } from '../support/webgpu';
import { buildTinySdxl } from '../support/tinyModels';

const skip = skipWithoutShared('reference', 'sdxl-tiny', 'cases.json');

function fixtureCase(id: string): FixtureCase {
  const found = readReferenceJson<{ cases: FixtureCase[] }>('sdxl-tiny/cases.json').cases.find((c) => c.id === id);
  assert.ok(found, `case ${id} is missing from cases.json`);
  return found;
}

/** The request diffusers' call made; no width or height, so the size comes from the input image as there. */
function request(c: FixtureCase, modelDir: string) {
  assert.ok(c.image !== undefined && c.strength !== undefined, `${c.id} is not an image-to-image case`);
  return {
    modelDir,
    prompt: c.prompt,
    negativePrompt: c.negative_prompt,
    steps: c.num_inference_steps,
    guidance: c.guidance_scale,
    seed: c.seed,
    sampler: SAMPLER_OF_CLASS[c.scheduler.class_name],
    initImage: join(fixtureDir, c.image),
    strength: c.strength,
  };
}

/** Runs prepare_latents alone and compares it with diffusers' recorded initial latents. */
async function checkInitialLatents(modelDir: string, c: FixtureCase): Promise<number> {
  const req = request(c, modelDir);
  const folder = readModelFolder(modelDir);
  const sessions = new ModelSessions(folder, 'cpu', false);
  try {
    const [, height, width] = c.derived.image_shape ?? [];
    const settings = { ...req, width, height, karras: false, timestepSpacing: null };
    const scheduler = jobScheduler(settings, folder.schedulerConfig);
    const beginIndex = firstStepIndex(req.steps, req.strength) * scheduler.order;
    const generator = new TorchGenerator(req.seed);
    const start = await noisedImageLatents(sessions, req.initImage, { width, height }, { scheduler, beginIndex, generator });
    const expected = readNpy(join(fixtureDir, 'cases', c.id, 'debug', 'initial_latents.npy'));
    assert.deepEqual(start.shape, expected.shape);
    const scale = Math.max(1, ...Array.from(expected.data, Math.abs));
    const error = maxAbsDiff(start.latents, expected.data);
    assert.ok(error <= 1e-4 * scale, `${c.id}: initial latents differ by ${error} (limit ${1e-4 * scale})`);
    return error;
  } finally {
    await sessions.dispose();
  }
}

async function checkCase(t: TestContext, engine: Engine, modelDir: string, id: string): Promise<void> {
  const c = fixtureCase(id);
  const initialError = await checkInitialLatents(modelDir, c);
  const image = await engine.generate(request(c, modelDir));
  assert.deepEqual([image.width, image.height], [c.derived.image_shape?.[2], c.derived.image_shape?.[1]]);
  assert.equal(image.recipe.strength, c.strength);
  const errors = await assertMatchesCase(image, id);
  // Visible in the test output, so drift shows before it reaches the tolerance.
  t.diagnostic(
    `max abs error: initial latents ${initialError.toExponential(2)}, latents ${errors.latents.toExponential(2)}, float image ${errors.float.toExponential(2)}, uint8 ${errors.uint8}`,
  );
}

for (const provider of conformanceProviders()) {
  describe(`SDXL image-to-image matches diffusers on sdxl-tiny (${provider})`, { skip }, () => {
    const engine = new Engine({ provider, lowMemory: false });
    // Before the folder's removal: the engine lets go of the model files first.
    after(() => engine.unload());
    const variantDir = tempFolder('sdxl-latent-parameters');

    test('img2img_euler: the encoder returns the posterior mean', (t) =>
      checkCase(t, engine, join(fixtureDir, 'model'), 'img2img_euler'));

    test('img2img_latent_parameters: the posterior is sampled before the add_noise draw', async (t) => {
      cpSync(join(fixtureDir, 'model'), variantDir, { recursive: true });
      const variant = join(fixtureDir, 'variants', 'vae_encoder_latent_parameters', 'vae_encoder');
      cpSync(variant, join(variantDir, 'vae_encoder'), { recursive: true });
      await checkCase(t, engine, variantDir, 'img2img_latent_parameters');
    });
  });
}

describe('image-to-image on tiny models', () => {
  const engine = new Engine({ provider: 'cpu', lowMemory: false });
  // Before the folder's removal: the engine lets go of the model files first.
  after(() => engine.unload());
  const work = tempFolder('sdxl-img2img');
  let model = '';
  const path = (name: string) => join(work, name);
  /** A smooth 64×48 picture, so resampled and re-encoded versions stay close to it. */
  const rgb = new Uint8Array(64 * 48 * 3).map((_, i) => {
    const pixel = Math.floor(i / 3);
    return [(pixel % 64) * 4, Math.floor(pixel / 64) * 5, 90 + (pixel % 7)][i % 3];
  });
  const raw = (channels: 1 | 3 | 4, width = 64, height = 48) => ({ raw: { width, height, channels } });

  before(async () => {
    model = path('tiny');
    buildTinySdxl(model);
    await sharp(rgb, raw(3)).png().toFile(path('photo.png'));
  });

  const generate = (extra: Partial<GenerateRequest> = {}, hooks = {}) =>
    engine.generate(
      { modelDir: model, prompt: 'a red fox in the snow', steps: 4, guidance: 5, seed: 3, initImage: path('photo.png'), ...extra },
      hooks,
    );

  async function rejectsWith(attempt: Promise<unknown>, code: EngineErrorCode, message: RegExp): Promise<void> {
    await assert.rejects(attempt, (error: unknown) => {
      assert.ok(error instanceof EngineError, String(error));
      assert.equal(error.code, code);
      assert.match(error.message, message);
      return true;
    });
  }

  test('strength outside (0, 1] is refused', async () => {
    for (const strength of [0, -1, 1.5, Number.NaN]) {
      await rejectsWith(generate({ strength }), 'bad-request', /^strength must be a number above 0 and at most 1, got/);
    }
  });

  test('a strength without an input image is refused, not ignored', async () => {
    await rejectsWith(generate({ initImage: undefined, strength: 0.5 }), 'bad-request', /strength applies only to image-to-image/);
  });

  test('steps × strength below 1 is refused instead of returning the input', async () => {
    await rejectsWith(generate({ steps: 3, strength: 0.3 }), 'bad-request', /strength 0\.3 of 3 steps leaves no denoising step/);
  });

  test('strength runs the last int(steps × strength) timesteps of the schedule; 1 runs them all', async () => {
    const timesteps = async (request: Partial<GenerateRequest>) => {
      const seen: number[] = [];
      const image = await generate(request, { onStep: (info: { timestep: number }) => seen.push(info.timestep) });
      return { seen, image };
    };
    const full = (await timesteps({ initImage: undefined, steps: 5 })).seen;
    assert.equal(full.length, 5);
    const whole = await timesteps({ steps: 5, strength: 1 });
    assert.deepEqual(whole.seen, full);
    assert.equal(whole.image.recipe.strength, 1);
    assert.deepEqual((await timesteps({ steps: 5, strength: 0.6 })).seen, full.slice(2));
    assert.deepEqual((await timesteps({ steps: 5, strength: 0.2 })).seen, full.slice(4));
    const defaulted = await timesteps({ steps: 5 });
    assert.deepEqual(defaulted.seen, full.slice(3), 'the default strength 0.5 runs int(2.5) = 2 steps');
    assert.equal(defaulted.image.recipe.strength, 0.5);
    assert.equal(defaulted.image.recipe.initImage, path('photo.png'));
  });

  test('the input changes the result, and a higher strength moves further from it', async () => {
    const other = new Uint8Array(rgb.length).map((_, i) => 255 - rgb[i]);
    await sharp(other, raw(3)).png().toFile(path('inverted.png'));
    const low = await generate({ strength: 0.25 });
    const lowOther = await generate({ strength: 0.25, initImage: path('inverted.png') });
    const high = await generate({ strength: 1 });
    assert.notDeepEqual(low.latents, lowOther.latents);
    const source = await sharp(path('photo.png')).raw().toBuffer();
    const distance = (pixels: Uint8Array) => pixels.reduce((sum, v, i) => sum + Math.abs(v - source[i]), 0);
    assert.ok(distance(low.rgb) < distance(high.rgb), 'strength 0.25 should stay closer to the input than 1');
  });

  test("the size defaults to the input's own rounded down to the UNet multiple; width and height resize it", async () => {
    for (const [w, h, expected] of [
      [70, 50, [64, 48]],
      [33, 47, [32, 32]],
      [10, 10, [16, 16]],
    ] as const) {
      const name = path(`size-${w}x${h}.png`);
      await sharp(new Uint8Array(w * h * 3).fill(120), raw(3, w, h)).png().toFile(name);
      const image = await generate({ initImage: name });
      assert.deepEqual([image.width, image.height], expected, `${w}x${h}`);
      assert.deepEqual([image.recipe.width, image.recipe.height], expected);
      assert.equal(image.rgb.length, expected[0] * expected[1] * 3);
    }
    const resized = await generate({ width: 32, height: 64 });
    assert.deepEqual([resized.width, resized.height, resized.latentShape[2], resized.latentShape[3]], [32, 64, 8, 4]);
  });

  test('grayscale, RGBA and 16-bit inputs give the images of their 8-bit RGB equivalents', async () => {
    const gray = rgb.filter((_, i) => i % 3 === 1);
    await sharp(gray, raw(1)).png().toFile(path('gray.png'));
    await sharp(new Uint8Array(rgb.length).map((_, i) => gray[Math.floor(i / 3)]), raw(3)).png().toFile(path('gray-rgb.png'));

    const rgba = new Uint8Array(64 * 48 * 4).map((_, i) => (i % 4 === 3 ? (i % 12 === 3 ? 0 : 255) : rgb[Math.floor(i / 4) * 3 + (i % 4)]));
    await sharp(rgba, raw(4)).png().toFile(path('rgba.png'));
    await sharp(rgba, raw(4)).flatten({ background: '#ffffff' }).png().toFile(path('rgba-flat.png'));

    const deep = Uint16Array.from(rgb, (v, i) => v * 256 + ((i * 31) & 255));
    await sharp(deep, raw(3)).toColourspace('rgb16').png().toFile(path('deep.png'));

    for (const [input, equivalent] of [
      ['gray.png', 'gray-rgb.png'],
      ['rgba.png', 'rgba-flat.png'],
      ['deep.png', 'photo.png'],
    ]) {
      const a = await generate({ initImage: path(input) });
      const b = await generate({ initImage: path(equivalent) });
      assert.deepEqual(a.latents, b.latents, `${input} vs ${equivalent}`);
      assert.deepEqual(a.rgb, b.rgb);
    }
  });

  test("a latent_parameters encoder (Optimum >= 1.23) samples the posterior from the job's generator", async () => {
    const parameters = path('tiny-latent-parameters');
    buildTinySdxl(parameters, { vaeEncoderOutput: 'latent_parameters' });
    const first = await generate({ modelDir: parameters });
    const again = await generate({ modelDir: parameters });
    const otherSeed = await generate({ modelDir: parameters, seed: 4 });
    const mean = await generate();
    assert.deepEqual(first.latents, again.latents, 'the same seed draws the same posterior sample');
    assert.notDeepEqual(first.latents, otherSeed.latents);
    // Same weights for the mean: only the posterior draw (and the add_noise draw it moves) differ.
    assert.notDeepEqual(first.latents, mean.latents);
    assert.deepEqual(first.latentShape, mean.latentShape);
  });

  test('a float16 model runs image-to-image', async () => {
    const half = path('tiny-fp16');
    buildTinySdxl(half, { dtype: 'float16' });
    const image = await generate({ modelDir: half, strength: 0.75 });
    assert.deepEqual([image.width, image.height], [64, 48]);
    assert.ok(image.latents.every(Number.isFinite));
    assert.ok(image.decoded.every(Number.isFinite));
  });

  test('a model without a VAE encoder is refused with a message naming it', async () => {
    const noEncoder = path('tiny-no-encoder');
    buildTinySdxl(noEncoder, { withVaeEncoder: false });
    await rejectsWith(generate({ modelDir: noEncoder }), 'model-folder', /has no vae_encoder\/model\.onnx/);
  });

  test('a missing or undecodable input image fails naming the file', async () => {
    await rejectsWith(generate({ initImage: path('missing.png') }), 'image-input', /^Input image not found: .*missing\.png$/);
    writeFileSync(path('broken.png'), 'no pixels here');
    await rejectsWith(generate({ initImage: path('broken.png') }), 'image-input', /^Cannot read the input image .*broken\.png: /);
  });
});
