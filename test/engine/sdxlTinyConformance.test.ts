// The whole SDXL text-to-image pipeline against diffusers' own outputs on the shared tiny
// SDXL (../shared/reference/sdxl-tiny): tolerances are the fixture's (latents and float
// image 1e-3 max abs, uint8 within 1).
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { Engine } from '../../src/engine/engine';
import { assertMatchesCase, caseRequest, fixtureDir as fixture, type FixtureCase } from '../support/sdxlTinyFixture';
import { readReferenceJson, skipWithoutShared } from '../support/shared';
import { tempFolder } from '../support/tempFolder';
import { conformanceProviders } from '../support/webgpu';

const skip = skipWithoutShared('reference', 'sdxl-tiny', 'cases.json');

function cases(): FixtureCase[] {
  if (skip) return [];
  return readReferenceJson<{ cases: FixtureCase[] }>('sdxl-tiny/cases.json').cases.filter(
    (c) => c.pipeline === 'StableDiffusionXLPipeline',
  );
}

async function check(t: TestContext, engine: Engine, modelDir: string, c: FixtureCase): Promise<void> {
  const image = await engine.generate(caseRequest(c, modelDir));
  const errors = await assertMatchesCase(image, c.id);
  // Visible in the test output, so drift shows before it reaches the tolerance.
  t.diagnostic(`max abs error: latents ${errors.latents.toExponential(2)}, float image ${errors.float.toExponential(2)}, uint8 ${errors.uint8}`);
}

for (const provider of conformanceProviders()) {
  describe(`SDXL text-to-image matches diffusers on sdxl-tiny (${provider})`, { skip }, () => {
    const engine = new Engine({ provider, lowMemory: false });
    after(() => engine.unload());
    for (const c of cases()) {
      test(c.id, (t) => check(t, engine, join(fixture, 'model'), c));
    }
  });
}

describe('an int64-timestep UNet export gives the same images', { skip }, () => {
  const engine = new Engine({ provider: 'cpu', lowMemory: true });
  // Before the folder's removal: the engine lets go of the model files first.
  after(() => engine.unload());
  const dir = tempFolder('sdxl-int64');
  let copied = false;
  for (const c of cases().slice(0, 2)) {
    test(c.id, async (t) => {
      if (!copied) {
        copied = true;
        cpSync(join(fixture, 'model'), dir, { recursive: true });
        cpSync(join(fixture, 'variants', 'unet_timestep_int64', 'unet'), join(dir, 'unet'), { recursive: true });
      }
      await check(t, engine, dir, c);
    });
  }
});
