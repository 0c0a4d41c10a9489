// Inpainting and outpainting against diffusers' StableDiffusionXLInpaintPipeline on the shared tiny
// SDXL (test/fixtures/inpaint, made by its make_reference.py): every case's recipe through the
// engine, with the 4-channel fixture UNet and the fixture's 9-channel one (unet9/). Tolerances:
// latents 1e-3 and the decoded image 1e-3 max abs (the sdxl-tiny fixture's, whose own drift between
// torch and ONNX Runtime is 2.2e-5 here: ort_check.json); the 8-bit file, the source pasted back
// over the result through the mask (diffusers' apply_overlay in every case), within 1 level, and
// where the mask the pipeline got is 0 equal to the source exactly. The masked area's decoded crop
// is kept by the reference as 8-bit values, so its float comparison allows half a level more. The
// last test shows the comparison can fail: without the blend-back a 4-channel case misses
// diffusers by far more than the tolerance.
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import sharp from 'sharp';
import { Engine, type GenerateRequest } from '../../src/engine/engine';
import { decodedToFloatHwc } from '../../src/engine/image/postprocess';
import type { Recipe } from '../../src/protocol/recipe';
import { keptValuesChanged } from '../support/keptPixels';
import { maxAbsDiff } from '../support/maxAbsDiff';
import { readNpy } from '../support/npy';
import { uint8ErrorsAgainstPng } from '../support/pngErrors';
import { fixtureDir } from '../support/sdxlTinyFixture';
import { repoRoot, skipWithoutShared } from '../support/shared';
import { tempFolder } from '../support/tempFolder';

const INPAINT_DIR = join(repoRoot, 'test', 'fixtures', 'inpaint');
const skip = skipWithoutShared('reference', 'sdxl-tiny', 'model', 'model_index.json');

interface InpaintCase {
  id: string;
  unet: 4 | 9;
  recipe: Partial<Recipe> & { prompt: string };
}

const cases = (JSON.parse(readFileSync(join(INPAINT_DIR, 'cases.json'), 'utf8')) as { cases: InpaintCase[] }).cases;

/** Latents, float image and 8-bit file tolerances. */
const TOLERANCES: Record<string, { latents: number; float: number; uint8: number; uint8Share: number }> = {
  default: { latents: 1e-3, float: 1e-3, uint8: 1, uint8Share: 0.005 },
  masked_area_4ch: { latents: 1e-3, float: 1e-3 + 0.5 / 255, uint8: 1, uint8Share: 0.005 },
};

const engine = new Engine({ provider: 'cpu', lowMemory: false });
after(() => engine.unload());
const work = tempFolder('inpaint-reference');
const model4 = join(fixtureDir, 'model');
const model9 = join(work, 'sdxl-tiny-unet9');

before(() => {
  if (skip) return;
  cpSync(model4, model9, { recursive: true });
  rmSync(join(model9, 'unet'), { recursive: true });
  cpSync(join(INPAINT_DIR, 'unet9'), join(model9, 'unet'), { recursive: true });
});

function request(c: InpaintCase): GenerateRequest {
  const dir = join(INPAINT_DIR, 'cases', c.id);
  const { initImage, mask, ...rest } = c.recipe;
  return {
    ...rest,
    modelDir: c.unet === 9 ? model9 : model4,
    initImage: join(dir, initImage as string),
    ...(mask !== undefined ? { mask: join(dir, mask) } : {}),
  };
}

async function compare(t: TestContext, c: InpaintCase, requestOf: (c: InpaintCase) => GenerateRequest = request) {
  const dir = join(INPAINT_DIR, 'cases', c.id);
  const image = await engine.generate(requestOf(c));
  const expectedLatents = readNpy(join(dir, 'latents.npy'));
  assert.deepEqual(image.latentShape, expectedLatents.shape);
  const latents = maxAbsDiff(image.latents, expectedLatents.data);
  const [, , h, w] = image.latentShape;
  const decodedRef = readNpy(join(dir, 'debug', 'decoded_before_overlay.npy'));
  const float = maxAbsDiff(decodedToFloatHwc(image.decoded, w * 8, h * 8), decodedRef.data);
  const file = await uint8ErrorsAgainstPng(image.rgb, join(dir, 'image.png'));
  t.diagnostic(`${c.id}: latents ${latents.toExponential(2)}, float ${float.toExponential(2)}, uint8 worst ${file.worst}, ${(file.share * 100).toFixed(2)}% off`);
  return { latents, float, file, image };
}

/** The picture and mask diffusers' pipeline got (outpainting's grown canvas, the blurred mask), from the fixture's files. */
async function keptByPipelineMask(c: InpaintCase, rgb: Uint8Array) {
  const dir = join(INPAINT_DIR, 'cases', c.id);
  const first = (...names: string[]) => join(dir, names.find((name) => existsSync(join(dir, name))) ?? names[names.length - 1]);
  const source = await sharp(first('canvas.png', 'init.png')).removeAlpha().raw().toBuffer();
  const mask = await sharp(first('mask_blurred.png', 'canvas_mask.png', 'mask.png')).extractChannel(0).raw().toBuffer();
  return keptValuesChanged(rgb, source, mask);
}

describe('inpainting against diffusers StableDiffusionXLInpaintPipeline', { skip }, () => {
  for (const c of cases) {
    test(`${c.id} (${c.unet}-channel UNet)`, async (t) => {
      const limit = TOLERANCES[c.id] ?? TOLERANCES.default;
      const { latents, float, file, image } = await compare(t, c);
      assert.ok(latents <= limit.latents, `latents differ by ${latents} (limit ${limit.latents})`);
      assert.ok(float <= limit.float, `decoded image differs by ${float} (limit ${limit.float})`);
      assert.ok(file.worst <= limit.uint8, `8-bit image differs by up to ${file.worst} (limit ${limit.uint8})`);
      assert.ok(file.share <= limit.uint8Share, `${(file.share * 100).toFixed(2)}% of the 8-bit values differ`);
      assert.equal(image.recipe.mask === undefined, c.recipe.mask === undefined);
      const { kept, changed } = await keptByPipelineMask(c, image.rgb);
      assert.ok(kept > 0, 'the mask keeps some pixels');
      assert.equal(changed, 0, `${changed} of ${kept} values the mask keeps differ from the source`);
    });
  }

  test('the comparison can fail: without the mask (no blend-back) a 4-channel case misses by far more', async (t) => {
    const c = cases.find((each) => each.id === 'hard_4ch_euler_s09999');
    assert.ok(c);
    const { latents } = await compare(t, c, (each) => {
      const { mask: _mask, ...plain } = request(each);
      return plain;
    });
    assert.ok(latents > 100 * TOLERANCES.default.latents, `image-to-image came within ${latents} of the inpainting reference`);
  });
});
