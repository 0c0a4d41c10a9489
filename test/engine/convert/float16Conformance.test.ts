// A float16 copy of the shared tiny SDXL (../shared/reference/sdxl-tiny, diffusers' own export
// and outputs) still makes diffusers' float32 images, within a stated float16 tolerance, when
// converted by `convert --fp16`: once with the VAE kept float32 (its config says force_upcast),
// once with the VAE converted too (the config edited to force_upcast false).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { Engine } from '../../../src/engine/engine';
import { decodedToFloatHwc } from '../../../src/engine/image/postprocess';
import { convertModelFolderToFloat16 } from '../../../src/engine/models/convert/folderConversion';
import { copyTree } from '../../../src/engine/models/convert/copyTree';
import { maxAbsDiff, readNpy } from '../../support/npy';
import { caseRequest, fixtureDir, type FixtureCase } from '../../support/sdxlTinyFixture';
import { readReferenceJson, skipWithoutShared } from '../../support/shared';

const skip = skipWithoutShared('reference', 'sdxl-tiny', 'cases.json');

/**
 * Measured on these five cases (CPU, ONNX Runtime 1.30), worst case over them: latents 6.1e-2
 * max abs (dpmpp_2m_karras_tall; latents span about ±4), float image 1.3e-2, uint8 4 with a mean
 * of at most 0.3, for either VAE. The bounds leave headroom for other CPUs' rounding; the float32
 * export meets 1e-3 everywhere (sdxlTinyConformance.test.ts), and a conversion that loses a
 * weight's exponent or sign moves these by whole units.
 */
const TOLERANCE = { latents: 0.1, float: 0.02, uint8: 6, uint8Mean: 0.5 };

function cases(): FixtureCase[] {
  if (skip) return [];
  return readReferenceJson<{ cases: FixtureCase[] }>('sdxl-tiny/cases.json').cases.filter((c) => c.pipeline === 'StableDiffusionXLPipeline');
}

describe('a float16 conversion of sdxl-tiny stays near diffusers float32 images', { skip }, () => {
  const engine = new Engine({ provider: 'cpu', lowMemory: false });
  let work = '';
  let upcast = '';
  let allHalf = '';
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'sdxl-fp16-conformance-'));
    upcast = (await convertModelFolderToFloat16(join(fixtureDir, 'model'), { outDir: join(work, 'upcast-vae') })).outDir;
    const edited = join(work, 'fp16-safe-vae-source');
    await copyTree(join(fixtureDir, 'model'), edited);
    for (const vae of ['vae_decoder', 'vae_encoder']) {
      const path = join(edited, vae, 'config.json');
      writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), force_upcast: false }));
    }
    allHalf = (await convertModelFolderToFloat16(edited)).outDir;
  });
  after(async () => {
    await engine.unload();
    rmSync(work, { recursive: true, force: true });
  });

  for (const c of cases()) {
    for (const [label, dir] of [
      ['VAE float32', () => upcast],
      ['VAE float16', () => allHalf],
    ] as const) {
      test(`${c.id}, ${label}`, async (t) => {
        const image = await engine.generate(caseRequest(c, dir()));
        const caseDir = join(fixtureDir, 'cases', c.id);
        const latents = maxAbsDiff(image.latents, readNpy(join(caseDir, 'latents.npy')).data);
        const float = maxAbsDiff(decodedToFloatHwc(image.decoded, image.width, image.height), readNpy(join(caseDir, 'image.npy')).data);
        const png = await sharp(join(caseDir, 'image.png')).raw().toBuffer();
        const uint8 = maxAbsDiff(image.rgb, png);
        const uint8Mean = png.reduce((sum, v, i) => sum + Math.abs(v - image.rgb[i]), 0) / png.length;
        t.diagnostic(`max abs error: latents ${latents.toExponential(2)}, float image ${float.toExponential(2)}, uint8 ${uint8} (mean ${uint8Mean.toFixed(3)})`);
        assert.ok(latents <= TOLERANCE.latents, `latents differ by ${latents}`);
        assert.ok(float <= TOLERANCE.float, `float image differs by ${float}`);
        assert.ok(uint8 <= TOLERANCE.uint8, `uint8 image differs by ${uint8}`);
        assert.ok(uint8Mean <= TOLERANCE.uint8Mean, `uint8 image differs by ${uint8Mean} on average`);
      });
    }
  }
});
