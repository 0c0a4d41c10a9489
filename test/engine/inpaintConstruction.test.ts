// Inpainting and outpainting on the suite's own tiny models, checked by construction (no torch
// twin of these models exists): where the mask keeps, a 4-channel UNet's final latents are the
// input's own latents exactly (diffusers' blend-back leaves them clean after the last step); a
// 9-channel UNet gets its mask and masked-image channels; the masked area is pasted back
// so every pixel the blurred mask keeps is the source's; outpainting grows the canvas. The
// comparison with diffusers' own outputs is test/engine/inpaint.test.ts (SDXL) and
// test/engine/sdInpaint.test.ts (SD 1.x/2.x, on a tiny SD made in torch).
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { Engine, type GenerateRequest } from '../../src/engine/engine';
import { EngineError } from '../../src/engine/errors';
import { readModelFolder } from '../../src/engine/models/modelFolder';
import { encodeImage } from '../../src/engine/pipelines/imageToImage';
import { readInputImage } from '../../src/engine/image/readInputImage';
import { TorchGenerator } from '../../src/engine/random/torchGenerator';
import { ModelSessions } from '../../src/engine/runtime/modelSessions';
import { tempFolder } from '../support/tempFolder';
import { tinyModelFolders } from '../support/tinyModelFolders';
import { buildTinySd, buildTinySdxl } from '../support/tinyModels';

const engine = new Engine({ provider: 'cpu', lowMemory: false });
after(() => engine.unload());
const work = tempFolder('inpaint-construction');
const models = tinyModelFolders(work, {
  sdxl: (dir) => buildTinySdxl(dir),
  sdxlSampled: (dir) => buildTinySdxl(dir, { vaeEncoderOutput: 'latent_parameters' }),
  sdxl9: (dir) => buildTinySdxl(dir, { unetInChannels: 9 }),
  sd: (dir) => buildTinySd(dir, { version: 1 }),
  sd2: (dir) => buildTinySd(dir, { version: 2 }),
  sd9: (dir) => buildTinySd(dir, { version: 1, unetInChannels: 9 }),
});

const W = 64;
const H = 48;
const input = join(work, 'input.png');
const mask = join(work, 'mask.png');
/** Latent cells (8 px) the mask covers: x 2..4, y 2..3. */
const inMask = (x: number, y: number) => x >= 16 && x < 40 && y >= 16 && y < 32;
let source: Buffer;

before(async () => {
  source = Buffer.alloc(W * H * 3);
  for (let i = 0; i < W * H; i++) source.set([(i % W) * 4, Math.floor(i / W) * 5, (i * 37) & 255], i * 3);
  await sharp(source, { raw: { width: W, height: H, channels: 3 } }).png().toFile(input);
  const m = Buffer.alloc(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) m[y * W + x] = inMask(x, y) ? 255 : 0;
  await sharp(m, { raw: { width: W, height: H, channels: 1 } }).png().toFile(mask);
});

const request = (modelDir: string, extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
  modelDir,
  prompt: 'a red door',
  steps: 4,
  seed: 11,
  initImage: input,
  mask,
  ...extra,
});

/** The input's VAE latents, encoded as the pipeline encodes them: the posterior mean, or a sample that is the seed's first draw. */
async function inputLatents(modelDir: string, seed = 11): Promise<Float32Array> {
  const sessions = new ModelSessions(readModelFolder(modelDir), 'cpu', false);
  try {
    const pixels = await readInputImage(input, W, H);
    return (await encodeImage(sessions, pixels, [1, 3, H, W], new TorchGenerator(seed), undefined, {})).latents;
  } finally {
    await sessions.dispose();
  }
}

/** Largest difference from the input's latents inside and outside the mask's latent cells. */
function latentDifferences(latents: Float32Array, reference: Float32Array): { kept: number; repainted: number } {
  const [w, h] = [W / 8, H / 8];
  let kept = 0;
  let repainted = 0;
  for (let i = 0; i < latents.length; i++) {
    const cell = i % (w * h);
    const d = Math.abs(latents[i] - reference[i]);
    if (inMask((cell % w) * 8, Math.floor(cell / w) * 8)) repainted = Math.max(repainted, d);
    else kept = Math.max(kept, d);
  }
  return { kept, repainted };
}

describe('4-channel UNet: the blend-back', () => {
  for (const [name, strength] of [['sdxl', 0.6], ['sdxl', 1], ['sd', 0.75], ['sd', 1], ['sd2', 0.75]] as const) {
    test(`${name} at strength ${strength}: latents the mask keeps are the input's, the rest are repainted`, async () => {
      const image = await engine.generate(request(models[name], { strength }));
      assert.deepEqual([image.width, image.height], [W, H]);
      const { kept, repainted } = latentDifferences(image.latents, await inputLatents(models[name]));
      assert.equal(kept, 0, 'unmasked latents equal the input latents');
      assert.ok(repainted > 0.05, `masked latents moved by only ${repainted}`);
    });
  }

  test('image-to-image without the mask moves the unmasked latents too, so the check above can fail', async () => {
    const image = await engine.generate({ ...request(models.sdxl, { strength: 0.6 }), mask: undefined });
    const { kept } = latentDifferences(image.latents, await inputLatents(models.sdxl));
    assert.ok(kept > 0.05, `without a mask the latents moved by only ${kept}`);
  });

  test("an encoder that samples its posterior: the input is encoded with the seed's first draw, as in diffusers", async () => {
    const image = await engine.generate(request(models.sdxlSampled, { strength: 0.5, sampler: 'euler-a' }));
    const { kept } = latentDifferences(image.latents, await inputLatents(models.sdxlSampled));
    assert.equal(kept, 0);
    const { kept: otherSeed } = latentDifferences(image.latents, await inputLatents(models.sdxlSampled, 12));
    assert.ok(otherSeed > 0.01, 'another draw gives other latents, so the check can fail');
  });
});

describe('9-channel inpainting UNet', () => {
  for (const name of ['sdxl9', 'sd9'] as const) {
    test(`${name}: runs at strength 1 and below; the mask is part of the UNet's input`, async () => {
      const full = await engine.generate(request(models[name]));
      assert.equal(full.recipe.strength, 1, 'inpainting defaults to strength 1');
      assert.deepEqual(full.latentShape, [1, 4, H / 8, W / 8]);
      const half = await engine.generate(request(models[name], { strength: 0.5 }));
      assert.notDeepEqual(half.latents, full.latents);
      // A mask over the whole picture changes the extra channels, and so the prediction everywhere.
      const everything = join(work, 'everything.png');
      await sharp({ create: { width: W, height: H, channels: 3, background: '#ffffff' } }).png().toFile(everything);
      const other = await engine.generate(request(models[name], { mask: everything }));
      assert.notDeepEqual(other.latents, full.latents);
    });
  }

  test("a config.json that misstates the UNet's channels is named, in either direction", async () => {
    const lying9 = join(work, 'lying9');
    const lying4 = join(work, 'lying4');
    for (const [dir, from, channels] of [[lying9, models.sdxl9, 4], [lying4, models.sdxl, 9]] as const) {
      cpSync(from, dir, { recursive: true });
      const configPath = join(dir, 'unet', 'config.json');
      writeFileSync(configPath, JSON.stringify({ ...JSON.parse(readFileSync(configPath, 'utf8')), in_channels: channels }));
    }
    await assert.rejects(engine.generate({ modelDir: lying9, prompt: 'x', steps: 2, seed: 1 }), /has an inpainting UNet \(9 input channels\): it needs an input image and a mask/);
    await assert.rejects(
      engine.generate(request(lying4)),
      (error: Error) => error instanceof EngineError && error.code === 'model-folder' && /takes 4 input channels, but this job feeds it 9 \(unet\/config.json says in_channels 9\)/.test(error.message),
    );
  });

  test('without a mask it is refused before anything runs', async () => {
    await assert.rejects(engine.generate({ modelDir: models.sdxl9, prompt: 'x', steps: 2, seed: 1 }), /inpainting UNet \(9 input channels\)/);
  });
});

describe('only the masked area', () => {
  test('works at the model size, pastes back: every pixel the blurred mask keeps is the source pixel', async () => {
    const image = await engine.generate(request(models.sdxl, { inpaintArea: 'masked', maskBlur: 4, maskPadding: 8, strength: 0.8 }));
    assert.deepEqual([image.width, image.height], [W, H], 'the file has the source size');
    assert.deepEqual([image.recipe.width, image.recipe.height], [64, 64], "the crop runs at the model's trained size");
    assert.equal(image.recipe.maskPadding, 8);
    let changed = 0;
    let keptDiffer = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const near = x >= 16 - 12 && x < 40 + 12 && y >= 16 - 12 && y < 32 + 12;
        for (let c = 0; c < 3; c++) {
          const d = image.rgb[(y * W + x) * 3 + c] !== source[(y * W + x) * 3 + c];
          if (!near && d) keptDiffer++;
          if (inMask(x, y) && d) changed++;
        }
      }
    }
    assert.equal(keptDiffer, 0, 'pixels beyond the blur keep the source bytes');
    assert.ok(changed > 24 * 16, `only ${changed} masked values changed`);
  });
});

describe('outpainting', () => {
  test('the canvas grows by the margins and the source stays where the masked area is pasted back', async () => {
    const image = await engine.generate({ ...request(models.sdxl, { inpaintArea: 'masked', outpaint: { left: 16, top: 0, right: 0, bottom: 16 } }), mask: undefined });
    assert.deepEqual([image.width, image.height], [W + 16, H + 16]);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        for (let c = 0; c < 3; c++) assert.equal(image.rgb[(y * (W + 16) + x + 16) * 3 + c], source[(y * W + x) * 3 + c]);
      }
    }
    assert.deepEqual(image.recipe.outpaint, { left: 16, top: 0, right: 0, bottom: 16 });
  });

  test('over the whole picture the job runs at the grown size', async () => {
    const image = await engine.generate(request(models.sd, { outpaint: { left: 0, top: 16, right: 16, bottom: 0 } }));
    assert.deepEqual([image.width, image.height, image.recipe.width, image.recipe.height], [W + 16, H + 16, W + 16, H + 16]);
  });

  test('a canvas the UNet cannot take is refused with what to do', async () => {
    await assert.rejects(
      engine.generate(request(models.sdxl, { outpaint: { left: 8, top: 0, right: 0, bottom: 0 } })),
      (error: Error) =>
        error instanceof EngineError && error.code === 'bad-request' && /72x48 .*multiples of 16: crop or resize the image to 80x48, or repaint only the masked area/.test(error.message),
    );
  });
});

describe('inpainting errors, progress and cancel', () => {
  test('a mask that keeps everything has nothing to repaint', async () => {
    const black = join(work, 'black.png');
    await sharp({ create: { width: W, height: H, channels: 3, background: '#000000' } }).png().toFile(black);
    await assert.rejects(engine.generate(request(models.sdxl, { mask: black })), /keeps every pixel, so there is nothing to repaint/);
  });

  test('a size other than the picture is refused over the whole picture', async () => {
    await assert.rejects(engine.generate(request(models.sdxl, { width: 32 })), /keeps its size, 64x48/);
  });

  test('limits: a mask without an input image, padding without the masked area', async () => {
    await assert.rejects(engine.generate({ ...request(models.sdxl), initImage: undefined }), /give the input image too/);
    await assert.rejects(engine.generate(request(models.sdxl, { maskPadding: 4 })), /set the inpaint area to masked/);
    await assert.rejects(engine.generate(request(models.sdxl, { outpaint: { left: 4, top: 0, right: 0, bottom: 0 } })), /not a multiple of 8 pixels; try 0 or 8/);
  });

  test('each step reports progress, and a cancel stops between steps', async () => {
    const steps: number[] = [];
    await engine.generate(request(models.sdxl), { onStep: ({ step }) => steps.push(step) });
    assert.deepEqual(steps, [1, 2, 3, 4]);
    const controller = new AbortController();
    await assert.rejects(
      engine.generate(request(models.sdxl), { signal: controller.signal, onStep: ({ step }) => step === 2 && controller.abort() }),
      (error: Error) => error instanceof EngineError && error.code === 'cancelled',
    );
  });
});
