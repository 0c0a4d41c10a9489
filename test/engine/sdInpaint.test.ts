// SD 1.x inpainting against diffusers' StableDiffusionInpaintPipeline, and text to image against its
// StableDiffusionPipeline, on the tiny SD 1.x model of test/fixtures/sdInpaint (made in torch and
// exported by its make_reference.py, which also wrote every case). The committed folder lacks the
// tokenizer's vocabulary: the real CLIP files come from shared/data/clip at test time. Tolerances:
// latents 1e-3 max abs (torch vs onnxruntime-node on the same graphs stays under 2e-5:
// ort_check.json), the 8-bit file (inpainting: the source pasted back over the result through the
// mask, diffusers' apply_overlay) within 1 level on at most 0.5% of values, and where the mask is 0
// equal to the source exactly. The last tests show the comparison can fail.
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import sharp from 'sharp';
import { Engine, type GenerateRequest } from '../../src/engine/engine';
import type { Recipe } from '../../src/protocol/recipe';
import { keptValuesChanged } from '../support/keptPixels';
import { maxAbsDiff } from '../support/maxAbsDiff';
import { readNpy } from '../support/npy';
import { uint8ErrorsAgainstPng } from '../support/pngErrors';
import { clipDataDir, repoRoot, skipWithoutFile } from '../support/shared';
import { tempFolder } from '../support/tempFolder';

const FIXTURE = join(repoRoot, 'test', 'fixtures', 'sdInpaint');
const skip = skipWithoutFile(join(clipDataDir, 'vocab.json'), 'the CLIP vocabulary (shared/data/clip)');

interface SdCase {
  id: string;
  pipeline: 'StableDiffusionPipeline' | 'StableDiffusionInpaintPipeline';
  unet: 4 | 9;
  /** SD 2.x's scheduler config (v-prediction) and tokenizer config (pad "!") from sd21/ in place of model/'s SD 1.x ones. */
  sd21: boolean;
  recipe: Partial<Recipe> & { prompt: string };
}

const cases = (JSON.parse(readFileSync(join(FIXTURE, 'cases.json'), 'utf8')) as { cases: SdCase[] }).cases;
const LIMITS = { latents: 1e-3, uint8: 1, uint8Share: 0.005 };

const engine = new Engine({ provider: 'cpu', lowMemory: false });
after(() => engine.unload());
const work = tempFolder('sd-inpaint-reference');
const variants = [4, 9].flatMap((unet) => [false, true].map((sd21) => ({ unet, sd21 })));
const folderOf = ({ unet, sd21 }: { unet: number; sd21: boolean }) => join(work, `sd-tiny-unet${unet}${sd21 ? '-sd21' : ''}`);

/** model/ with the case's UNet and SD version's scheduler and tokenizer configs swapped in, plus the shared CLIP vocabulary. */
before(() => {
  if (skip) return;
  for (const variant of variants) {
    const dir = folderOf(variant);
    cpSync(join(FIXTURE, 'model'), dir, { recursive: true });
    const swaps: [string, string][] = [
      ...(variant.unet === 9 ? ([['unet', 'unet9']] as [string, string][]) : []),
      ...(variant.sd21 ? ([['scheduler', 'sd21/scheduler'], ['tokenizer', 'sd21/tokenizer']] as [string, string][]) : []),
    ];
    for (const [part, replacement] of swaps) {
      rmSync(join(dir, part), { recursive: true });
      cpSync(join(FIXTURE, replacement), join(dir, part), { recursive: true });
    }
    for (const file of ['vocab.json', 'merges.txt']) copyFileSync(join(clipDataDir, file), join(dir, 'tokenizer', file));
  }
});

function request(c: SdCase): GenerateRequest {
  const dir = join(FIXTURE, 'cases', c.id);
  const { initImage, mask, ...rest } = c.recipe;
  return {
    ...rest,
    modelDir: folderOf({ unet: c.unet, sd21: c.sd21 }),
    ...(initImage !== undefined ? { initImage: join(dir, initImage) } : {}),
    ...(mask !== undefined ? { mask: join(dir, mask) } : {}),
  };
}

async function compare(t: TestContext, c: SdCase, req: GenerateRequest) {
  const dir = join(FIXTURE, 'cases', c.id);
  const image = await engine.generate(req);
  const expected = readNpy(join(dir, 'latents.npy'));
  assert.deepEqual(image.latentShape, expected.shape);
  const latents = maxAbsDiff(image.latents, expected.data);
  const file = await uint8ErrorsAgainstPng(image.rgb, join(dir, 'image.png'));
  t.diagnostic(`${c.id}: latents ${latents.toExponential(2)}, uint8 worst ${file.worst}, ${(file.share * 100).toFixed(2)}% off`);
  return { latents, file, image };
}

function caseOf(id: string): SdCase {
  const c = cases.find((each) => each.id === id);
  assert.ok(c, `case ${id} is in cases.json`);
  return c;
}

describe('SD 1.x against diffusers StableDiffusionPipeline / StableDiffusionInpaintPipeline', { skip }, () => {
  for (const c of cases) {
    test(`${c.id} (${c.pipeline}, ${c.unet}-channel UNet)`, async (t) => {
      const { latents, file, image } = await compare(t, c, request(c));
      assert.ok(latents <= LIMITS.latents, `latents differ by ${latents} (limit ${LIMITS.latents})`);
      assert.ok(file.worst <= LIMITS.uint8, `8-bit image differs by up to ${file.worst} (limit ${LIMITS.uint8})`);
      assert.ok(file.share <= LIMITS.uint8Share, `${(file.share * 100).toFixed(2)}% of the 8-bit values differ`);
      if (c.pipeline === 'StableDiffusionInpaintPipeline') {
        const dir = join(FIXTURE, 'cases', c.id);
        const source = await sharp(join(dir, 'init.png')).removeAlpha().raw().toBuffer();
        const mask = await sharp(join(dir, 'mask.png')).extractChannel(0).raw().toBuffer();
        const { kept, changed } = keptValuesChanged(image.rgb, source, mask);
        assert.ok(kept > 0, 'the mask keeps some pixels');
        assert.equal(changed, 0, `${changed} of ${kept} values the mask keeps differ from the source`);
      }
    });
  }

  test('the comparison can fail: without the mask (no blend-back) a 4-channel case misses by far more', async (t) => {
    const c = caseOf('soft_4ch_pndm_wide');
    const { mask: _mask, ...plain } = request(c);
    const { latents } = await compare(t, c, plain);
    assert.ok(latents > 100 * LIMITS.latents, `image-to-image came within ${latents} of the inpainting reference`);
  });

  test('the comparison can fail: the 9-channel case with its mask inverted misses by far more', async (t) => {
    const c = caseOf('hard_9ch_euler');
    const inverted = join(work, 'hard_9ch_euler-mask-inverted.png');
    await sharp(join(FIXTURE, 'cases', c.id, 'mask.png')).negate().toFile(inverted);
    const { latents } = await compare(t, c, { ...request(c), mask: inverted });
    assert.ok(latents > 100 * LIMITS.latents, `the inverted mask came within ${latents} of the reference`);
  });
});
