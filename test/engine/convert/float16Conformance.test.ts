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
import { maxAbsDiff } from '../../support/maxAbsDiff';
import { readNpy } from '../../support/npy';
import { caseRequest, fixtureDir, type FixtureCase } from '../../support/sdxlTinyFixture';
import { readReferenceJson, skipWithoutShared } from '../../support/shared';

const skip = skipWithoutShared('reference', 'sdxl-tiny', 'cases.json');

/**
 * Measured on these seven cases (CPU, ONNX Runtime 1.30), worst case over them: latents 6.1e-2
 * max abs (dpmpp_2m_karras_tall; latents span about ±4), float image 1.3e-2, uint8 4 with a mean
 * of at most 0.3, for either VAE. The bounds leave headroom for other CPUs' rounding; the float32
 * export meets 1e-3 everywhere (sdxlTinyConformance.test.ts), and a conversion that loses a
 * weight's exponent or sign moves these by whole units.
 */
const TOLERANCE = { latents: 0.1, float: 0.02, uint8: 6, uint8Mean: 0.5 };

function cases(): FixtureCase[] {
  if (skip) return [];
  return readReferenceJson<{ cases: FixtureCase[] }>('sdxl-tiny/cases.json').cases;
}

/** Image-to-image cases take their size from the input image, which the VAE encoder reads. */
function request(c: FixtureCase, modelDir: string) {
  if (c.image === undefined) return caseRequest(c, modelDir);
  return { ...caseRequest(c, modelDir), initImage: join(fixtureDir, c.image), strength: c.strength };
}

/** The case that needs the fixture's latent_parameters VAE encoder (Optimum >= 1.23) in place of the default one. */
const LATENT_PARAMETERS_CASE = 'img2img_latent_parameters';

describe('a float16 conversion of sdxl-tiny stays near diffusers float32 images', { skip }, () => {
  const engine = new Engine({ provider: 'cpu', lowMemory: false });
  let work = '';
  const converted = new Map<string, string>();

  /** The fixture, with that encoder if asked, with the VAE configs edited to force_upcast false if asked, converted. */
  async function convertedFixture(options: { float16Vae: boolean; latentParameters: boolean }): Promise<string> {
    const key = JSON.stringify(options);
    const known = converted.get(key);
    if (known) return known;
    const source = join(work, `source-${converted.size}`);
    await copyTree(join(fixtureDir, 'model'), source);
    if (options.latentParameters) {
      rmSync(join(source, 'vae_encoder'), { recursive: true });
      await copyTree(join(fixtureDir, 'variants', 'vae_encoder_latent_parameters', 'vae_encoder'), join(source, 'vae_encoder'));
    }
    for (const vae of options.float16Vae ? ['vae_decoder', 'vae_encoder'] : []) {
      const path = join(source, vae, 'config.json');
      writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), force_upcast: false }));
    }
    const { outDir } = await convertModelFolderToFloat16(source);
    converted.set(key, outDir);
    return outDir;
  }

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'sdxl-fp16-conformance-'));
  });
  after(async () => {
    await engine.unload();
    rmSync(work, { recursive: true, force: true });
  });

  for (const c of cases()) {
    for (const float16Vae of [false, true]) {
      test(`${c.id}, VAE ${float16Vae ? 'float16' : 'float32'}`, async (t) => {
        const dir = await convertedFixture({ float16Vae, latentParameters: c.id === LATENT_PARAMETERS_CASE });
        const image = await engine.generate(request(c, dir));
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
