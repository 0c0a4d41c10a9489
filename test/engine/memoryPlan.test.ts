// The memory planner as a pure function: component sizes, free memory and the job's shape in,
// a plan with its reasons out.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { componentNeeds } from '../../src/engine/memory/componentNeeds';
import { freeMemory } from '../../src/engine/memory/freeMemory';
import { chooseMemoryPlan, estimatePeak, type ComponentNeed } from '../../src/engine/memory/memoryPlan';
import { readModelFolder } from '../../src/engine/models/modelFolder';
import { buildTinySdxl } from '../support/tinyModels';

const GIB = 2 ** 30;

/** An fp32 SDXL base at 1024² under guidance, in GiB: the full-size files' weights, working memory of that order. */
const SDXL_1024: ComponentNeed[] = [
  { component: 'text_encoder', phase: 'encode prompt', weights: 0.46 * GIB, activations: 0.25 * GIB, keepsWorkingMemory: false },
  { component: 'text_encoder_2', phase: 'encode prompt', weights: 2.59 * GIB, activations: 0.25 * GIB, keepsWorkingMemory: false },
  { component: 'unet', phase: 'denoise', weights: 9.57 * GIB, activations: 4 * GIB, keepsWorkingMemory: true },
  { component: 'vae_decoder', phase: 'decode', weights: 0.18 * GIB, activations: 6 * GIB, keepsWorkingMemory: true },
];

describe('estimatePeak', () => {
  test('all-loaded: every weight, and from the second job on the working memory the UNet and VAE keep', () => {
    const peak = estimatePeak('all-loaded', SDXL_1024) / GIB;
    assert.ok(Math.abs(peak - (0.46 + 2.59 + 9.57 + 0.18 + 4 + 6 + 0.25)) < 1e-9, String(peak));
  });

  test('release-text-encoders: only the UNet stays; the text encoders and the VAE come and go', () => {
    // The decode: the UNet with its arena, the VAE running; the second job's encode is lighter.
    assert.ok(Math.abs(estimatePeak('release-text-encoders', SDXL_1024) / GIB - (9.57 + 4 + 0.18 + 6)) < 1e-9);
    const smallDecode = SDXL_1024.map((n) => (n.component === 'vae_decoder' ? { ...n, activations: 0.1 * GIB } : n));
    // The second job loads the text encoders while the UNet and its arena stay loaded.
    assert.ok(Math.abs(estimatePeak('release-text-encoders', smallDecode) / GIB - (0.46 + 2.59 + 9.57 + 4 + 0.25)) < 1e-9);
  });

  test('one-at-a-time: the largest single component with its working memory', () => {
    assert.equal(estimatePeak('one-at-a-time', SDXL_1024) / GIB, 9.57 + 4);
  });
});

describe('chooseMemoryPlan', () => {
  const peaks = {
    all: estimatePeak('all-loaded', SDXL_1024),
    encoders: estimatePeak('release-text-encoders', SDXL_1024),
    one: estimatePeak('one-at-a-time', SDXL_1024),
  };
  const plan = (free: number | undefined) => chooseMemoryPlan({ needs: SDXL_1024, budget: { bytes: free, source: 'test' } });

  test('keeps everything loaded when it fits', () => {
    const chosen = plan(64 * GIB);
    assert.equal(chosen.name, 'all-loaded');
    assert.deepEqual(chosen.releaseAfterPhase, []);
    assert.ok(chosen.fits);
    assert.match(chosen.reasons.join('\n'), /all-loaded: estimated peak 23\.1 GiB of 57\.6 GiB usable/);
  });

  test('releases the text encoders when only that fits', () => {
    const chosen = plan((peaks.encoders + peaks.all) / 2 / 0.9);
    assert.equal(chosen.name, 'release-text-encoders');
    assert.deepEqual(chosen.releaseAfterPhase, ['text_encoder', 'text_encoder_2', 'vae_decoder']);
    assert.match(chosen.reasons.join('\n'), /all-loaded would peak at about 23\.1 GiB/);
  });

  test('loads one component at a time when only that fits: an SDXL fp32 at 1024² on a 24 GiB machine', () => {
    const chosen = plan(20 * GIB);
    assert.equal(chosen.name, 'one-at-a-time');
    assert.deepEqual(chosen.releaseAfterPhase, ['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder']);
    assert.ok(chosen.fits);
    assert.equal(chosen.peak, peaks.one);
  });

  test('says so when nothing fits, and takes the leanest plan', () => {
    const chosen = plan(8 * GIB);
    assert.equal(chosen.name, 'one-at-a-time');
    assert.equal(chosen.fits, false);
    assert.match(chosen.reasons.join('\n'), /does not fit in 7\.2 GiB usable: expect swapping/);
    assert.equal(chosen.vaeTiling, undefined);
  });

  test('decodes in tiles when no plan fits with a whole decode, and only then', () => {
    const offered: number[] = [];
    const tiledDecode = (available: number) => {
      offered.push(available);
      return { tileSize: 512, activations: 1 * GIB };
    };
    // A decode that needs 16 GiB whole: with 24 GiB free (21.6 usable) one-at-a-time fits it whole.
    const bigDecode = SDXL_1024.map((n) => (n.component === 'vae_decoder' ? { ...n, activations: 16 * GIB } : n));
    const roomy = chooseMemoryPlan({ needs: bigDecode, budget: { bytes: 24 * GIB, source: 'test' }, tiledDecode });
    assert.equal(roomy.name, 'one-at-a-time');
    assert.equal(roomy.vaeTiling, undefined);
    assert.deepEqual(offered, []);
    // With 16 GiB free (14.4 usable) only tiles make it fit, beside the UNet's 13.57 GiB phase.
    const tight = chooseMemoryPlan({ needs: bigDecode, budget: { bytes: 16 * GIB, source: 'test' }, tiledDecode });
    assert.deepEqual(tight.vaeTiling, { tileSize: 512 });
    assert.equal(offered[0], 16 * GIB * 0.9 - 0.18 * GIB);
    assert.equal(tight.name, 'one-at-a-time');
    assert.ok(tight.fits);
    assert.match(tight.reasons.join('\n'), /the whole VAE decode needs about 16\.0 GiB working: decoding in 512 px tiles, about 1\.0 GiB/);
  });

  test('keeps everything loaded when the provider does not report its memory, and says why', () => {
    const chosen = chooseMemoryPlan({ needs: SDXL_1024, budget: { bytes: undefined, source: 'webgpu does not report' } });
    assert.equal(chosen.name, 'all-loaded');
    assert.ok(chosen.fits);
    assert.match(chosen.reasons.join('\n'), /free: unknown \(webgpu does not report\)/);
    assert.match(chosen.reasons.join('\n'), /--low-memory/);
  });

  test('a forced plan wins over the estimate, and the reasons say who chose it', () => {
    const chosen = chooseMemoryPlan({
      needs: SDXL_1024,
      budget: { bytes: 64 * GIB, source: 'test' },
      forced: { plan: 'one-at-a-time', by: 'low-memory mode' },
    });
    assert.equal(chosen.name, 'one-at-a-time');
    assert.match(chosen.reasons.join('\n'), /one-at-a-time chosen by low-memory mode/);
  });
});

describe('componentNeeds', () => {
  const work = mkdtempSync(join(tmpdir(), 'memory-plan-'));
  after(() => rmSync(work, { recursive: true, force: true }));
  const fp32 = join(work, 'fp32');
  const fp16 = join(work, 'fp16');
  buildTinySdxl(fp32, { externalDataFor: ['unet'] });
  buildTinySdxl(fp16, { dtype: 'float16', externalDataFor: ['unet'] });
  const job = { width: 512, height: 512, batch: 1, guidance: true, imageToImage: false };

  test('weights are the bytes of each component folder, external data included', () => {
    const needs = componentNeeds(readModelFolder(fp32), job);
    assert.deepEqual(needs.map((n) => n.component), ['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder']);
    const unet = needs.find((n) => n.component === 'unet');
    const files = statSync(join(fp32, 'unet', 'model.onnx')).size + statSync(join(fp32, 'unet', 'model.onnx_data')).size;
    assert.equal(unet?.weights, files);
    assert.equal(unet?.keepsWorkingMemory, true);
  });

  test('fp16 files count about half', () => {
    const weights = (dir: string) => componentNeeds(readModelFolder(dir), job).find((n) => n.component === 'unet')?.weights ?? 0;
    const ratio = weights(fp16) / weights(fp32);
    assert.ok(ratio > 0.45 && ratio < 0.6, `fp16/fp32 UNet weights ${ratio}`);
  });

  test('working memory grows with the size, the batch and guidance; image-to-image encodes the image after the prompt', () => {
    const model = readModelFolder(fp32);
    const unetWorking = (shape: typeof job) => componentNeeds(model, shape).find((n) => n.component === 'unet')?.activations ?? 0;
    assert.ok(unetWorking({ ...job, width: 1024, height: 1024 }) > 4 * unetWorking(job));
    assert.equal(unetWorking({ ...job, batch: 2 }), 2 * unetWorking(job));
    assert.equal(unetWorking({ ...job, guidance: false }), unetWorking(job) / 2);
    const order = componentNeeds(model, { ...job, imageToImage: true }).map((n) => n.component);
    assert.deepEqual(order, ['text_encoder', 'text_encoder_2', 'vae_encoder', 'unet', 'vae_decoder']);
  });
});

describe('freeMemory', () => {
  test('the CPU budget is the RAM available', () => {
    const budget = freeMemory('cpu');
    assert.ok(budget.bytes !== undefined && budget.bytes > 0);
    if (process.platform === 'linux') assert.match(budget.source, /MemAvailable/);
  });

  test('a GPU provider budget is unknown, and says why', () => {
    const budget = freeMemory('webgpu');
    assert.equal(budget.bytes, undefined);
    assert.match(budget.source, /webgpu does not report/);
  });
});
