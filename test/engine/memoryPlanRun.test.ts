// The memory plan on a real engine: a tiny model, with the free memory set low enough that the
// planner must choose each plan in turn, gives the all-loaded image under every plan, and its
// sessions live as the plan says.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../src/engine/engine';
import { componentNeeds } from '../../src/engine/memory/componentNeeds';
import { estimatePeak, MEMORY_PLANS, type MemoryPlan, type MemoryPlanName } from '../../src/engine/memory/memoryPlan';
import { readModelFolder } from '../../src/engine/models/modelFolder';
import { buildTinySdxl } from '../support/tinyModels';

let work = '';
let dir = '';
// Large enough that the VAE's working memory outweighs the text encoders', so every plan has its own peak.
const request = { prompt: 'a lamp', width: 512, height: 512, steps: 2, guidance: 3, seed: 1 };

before(() => {
  work = mkdtempSync(join(tmpdir(), 'memory-plan-run-'));
  dir = join(work, 'model');
  buildTinySdxl(dir, { seed: 5 });
});
after(() => rmSync(work, { recursive: true, force: true }));

const LOADED_AFTER: Record<MemoryPlanName, string[]> = {
  'all-loaded': ['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder'],
  'release-text-encoders': ['unet'],
  'one-at-a-time': [],
};

describe('memory plans on a tiny model', () => {
  test('each plan, chosen from the free memory, gives the all-loaded image', async () => {
    const reference = new Engine({ provider: 'cpu', lowMemory: false, memory: { plan: 'all-loaded' } });
    const expected = await reference.generate({ ...request, modelDir: dir });
    await reference.unload();

    const needs = componentNeeds(readModelFolder(dir), { width: 512, height: 512, batch: 1, guidance: true, imageToImage: false });
    const peaks = MEMORY_PLANS.map((plan) => estimatePeak(plan, needs));
    assert.ok(peaks[0] > peaks[1] && peaks[1] > peaks[2], `peaks ${peaks.join(' > ')}`);

    for (const [i, target] of MEMORY_PLANS.entries()) {
      // Just enough for this plan once the planner keeps its 10 % headroom, not for the faster ones.
      const freeBytes = (peaks[i] + 1) / 0.9;
      const chosen: MemoryPlan[] = [];
      const engine = new Engine({ provider: 'cpu', lowMemory: false, memory: { freeBytes }, events: { onPlan: (plan) => chosen.push(plan) } });
      try {
        for (let job = 0; job < 2; job++) {
          const image = await engine.generate({ ...request, modelDir: dir });
          assert.deepEqual(image.rgb, expected.rgb, `${target}, job ${job + 1}`);
          const { sessions } = await engine.model(dir);
          assert.deepEqual(sessions.loadedComponents().sort(), LOADED_AFTER[target], target);
        }
      } finally {
        await engine.unload();
      }
      assert.deepEqual(
        chosen.map((plan) => plan.name),
        [target, target],
      );
      assert.ok(chosen.every((plan) => plan.fits));
    }
  });

  test('when no plan fits a whole decode, the plan decodes in tiles, as asking for those tiles does', async () => {
    const chosen: MemoryPlan[] = [];
    // Room for the text encoders' 2 × 256 MiB estimate, not for the tiny VAE's whole decode at 1024² (0.8 GiB).
    const freeBytes = (0.4 * 2 ** 30) / 0.9;
    const engine = new Engine({ provider: 'cpu', lowMemory: false, memory: { freeBytes }, events: { onPlan: (plan) => chosen.push(plan) } });
    const large = { ...request, width: 1024, height: 1024, steps: 1, modelDir: dir };
    const reference = new Engine({ provider: 'cpu', lowMemory: false, memory: { plan: 'all-loaded' } });
    try {
      const image = await engine.generate(large);
      const tileSize = chosen[0].vaeTiling?.tileSize;
      assert.ok(tileSize !== undefined && tileSize < 1024, JSON.stringify(chosen[0]));
      assert.equal(chosen[0].name, 'one-at-a-time');
      assert.deepEqual(image.recipe.vaeTiling, { tileSize });
      const asked = await reference.generate({ ...large, vaeTiling: { tileSize } });
      assert.deepEqual(image.rgb, asked.rgb);
    } finally {
      await engine.unload();
      await reference.unload();
    }
  });

  test('low-memory mode forces one-at-a-time whatever is free', async () => {
    const chosen: MemoryPlan[] = [];
    const engine = new Engine({ provider: 'cpu', lowMemory: true, memory: { freeBytes: 2 ** 40 }, events: { onPlan: (plan) => chosen.push(plan) } });
    try {
      await engine.generate({ ...request, width: 64, height: 64, modelDir: dir });
    } finally {
      await engine.unload();
    }
    assert.equal(chosen[0].name, 'one-at-a-time');
    assert.match(chosen[0].reasons.join('\n'), /chosen by low-memory mode/);
  });
});
