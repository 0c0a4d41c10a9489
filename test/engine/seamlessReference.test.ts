// Seamless tiles against diffusers on the shared tiny SDXL: test/fixtures/seamless/make_reference.py
// runs StableDiffusionXLPipeline with every Conv2d of the UNet and VAE padding circularly (both
// axes: padding_mode='circular', as AUTOMATIC1111's Tiling; one axis: F.pad circular on it, zeros
// on the other). Tolerances are the sdxl-tiny fixture's: latents and float image within 1e-3 max
// abs, uint8 within 1 on at most 0.5% of values.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Engine, type GenerateRequest } from '../../src/engine/engine';
import type { Tiling } from '../../src/protocol/recipe';
import { maxAbsDiff } from '../support/maxAbsDiff';
import { readNpy } from '../support/npy';
import { assertMatchesCase, caseRequest, fixtureDir, type FixtureCase } from '../support/sdxlTinyFixture';
import { repoRoot, skipWithoutShared } from '../support/shared';
import { tempFolder } from '../support/tempFolder';

const CASES_DIR = join(repoRoot, 'test', 'fixtures', 'seamless', 'cases');
const skip = skipWithoutShared('reference', 'sdxl-tiny', 'model', 'unet', 'model.onnx');

type SeamlessCase = FixtureCase & { tiling: Tiling; width: number; height: number };

function cases(): SeamlessCase[] {
  const file = join(repoRoot, 'test', 'fixtures', 'seamless', 'cases.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { cases: SeamlessCase[] }).cases;
}

function request(c: SeamlessCase, modelDir: string): GenerateRequest {
  return { ...caseRequest(c, modelDir), tiling: c.tiling };
}

/** Every file under dir with its size and modification time, to show that nothing there changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const info = statSync(path);
    out[path] = `${info.size}:${info.mtimeMs}`;
  }
  return out;
}

describe('seamless tiles match diffusers with circular Conv2d padding on sdxl-tiny', { skip }, () => {
  const modelDir = join(fixtureDir, 'model');
  const cacheDir = tempFolder('seamless-cache');
  const engine = new Engine({ provider: 'cpu', lowMemory: false, seamlessCacheDir: cacheDir });
  after(() => engine.unload());
  const before = skip ? {} : snapshot(modelDir);

  for (const c of cases()) {
    test(`${c.id} (tiling ${c.tiling})`, async (t) => {
      const image = await engine.generate(request(c, modelDir));
      assert.equal(image.recipe.tiling, c.tiling);
      const errors = await assertMatchesCase(image, c.id, CASES_DIR);
      t.diagnostic(`max abs error: latents ${errors.latents.toExponential(2)}, float image ${errors.float.toExponential(2)}, uint8 ${errors.uint8}`);
    });
  }

  test('the same request without tiling is far from the reference, so the comparison can fail', async () => {
    const c = cases()[0];
    const { tiling: _, ...plain } = request(c, modelDir);
    const image = await engine.generate(plain);
    assert.equal(image.recipe.tiling, undefined);
    const expected = readNpy(join(CASES_DIR, c.id, 'latents.npy'));
    assert.ok(maxAbsDiff(image.latents, expected.data) > 0.05);
  });

  test('the rewritten UNet and VAE are kept in the engine cache, one per component and axis; the model folder is untouched', () => {
    const kept = readdirSync(cacheDir).sort();
    assert.equal(kept.filter((name) => name.endsWith('.tmp')).length, 0);
    for (const tiling of ['x', 'y', 'both']) {
      for (const component of ['unet', 'vae_decoder']) {
        assert.equal(kept.filter((name) => name.includes(`-${component}-${tiling}-`)).length, 1, `${component} ${tiling} in ${kept.join(', ')}`);
      }
    }
    assert.deepEqual(snapshot(modelDir), before);
  });
});
