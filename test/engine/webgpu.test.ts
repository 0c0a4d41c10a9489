// WebGPU with SwiftShader standing in for a GPU. The base→refiner hand-off against the same job
// on the CPU, whose hand-off test/engine/refiner.test.ts ties to diffusers: the fixture's
// tolerances (latents and float image 1e-3 max abs, uint8 within 1). And what crosses between
// host and device at each step once the conditioning stays on the device.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { Engine, type GenerateRequest } from '../../src/engine/engine';
import type { StepInfo } from '../../src/engine/pipelines/denoiseLoop';
import { maxAbsDiff } from '../support/maxAbsDiff';
import { tempFolder } from '../support/tempFolder';
import { buildTinySdxl, buildTinySdxlRefiner } from '../support/tinyModels';
import { conformanceProviders } from '../support/webgpu';

const skip = conformanceProviders().includes('webgpu') ? false : 'WebGPU (SwiftShader) is not installed here';

describe('WebGPU on SwiftShader', { skip }, () => {
  const work = tempFolder('sdxl-webgpu-refiner');
  const request: GenerateRequest = { modelDir: '', prompt: 'a lighthouse', width: 32, height: 32, seed: 2, steps: 6, refinerStart: 0.7 };

  before(() => {
    request.modelDir = join(work, 'base');
    request.refinerDir = join(work, 'refiner');
    buildTinySdxl(request.modelDir);
    buildTinySdxlRefiner(request.refinerDir);
  });

  test('the base→refiner hand-off gives the CPU\'s image within the fixture\'s tolerances', async (t) => {
    const onCpu = new Engine({ provider: 'cpu', lowMemory: false });
    const onGpu = new Engine({ provider: 'webgpu', lowMemory: false });
    try {
      const expected = await onCpu.generate(request);
      const image = await onGpu.generate(request);
      assert.equal(image.recipe.provider?.provider, 'webgpu');
      const latents = maxAbsDiff(image.latents, expected.latents);
      const decoded = maxAbsDiff(image.decoded, expected.decoded);
      const uint8 = maxAbsDiff(image.rgb, expected.rgb);
      t.diagnostic(`max abs error: latents ${latents.toExponential(2)}, float image ${decoded.toExponential(2)}, uint8 ${uint8}`);
      assert.ok(latents < 1e-3, `latents differ by ${latents}`);
      assert.ok(decoded < 1e-3, `float image differs by ${decoded}`);
      assert.ok(uint8 <= 1, `uint8 image differs by ${uint8}`);
    } finally {
      await onCpu.unload();
      await onGpu.unload();
    }
  });

  test('the conditioning goes to the device once; each step moves only the latents and the timestep', async () => {
    const engine = new Engine({ provider: 'webgpu', lowMemory: false });
    const cpu = new Engine({ provider: 'cpu', lowMemory: false });
    try {
      const job = { modelDir: request.modelDir, prompt: 'a fox', negativePrompt: 'blur', width: 32, height: 32, seed: 1, steps: 4 };
      const steps: StepInfo[] = [];
      await engine.generate(job, { onStep: (info) => steps.push(info) });
      // Guidance: one UNet call of batch 2 on float32 latents of 4×4×4, plus a float32 timestep.
      const latentBytes = 2 * 4 * 4 * 4 * 4;
      for (const step of steps.slice(1)) {
        assert.deepEqual([step.hostToDeviceBytes, step.deviceToHostBytes], [latentBytes + 4, latentBytes], `step ${step.step}`);
      }
      assert.ok((steps[0].hostToDeviceBytes ?? 0) > latentBytes + 4, 'the first step carries the conditioning up');
      const onCpu: StepInfo[] = [];
      await cpu.generate(job, { onStep: (info) => onCpu.push(info) });
      assert.ok(onCpu.every((step) => step.hostToDeviceBytes === undefined), 'the CPU has no device to copy to');
    } finally {
      await engine.unload();
      await cpu.unload();
    }
  });

  test('seeds of one prompt share each UNet step, and each image is its own single job\'s', async (t) => {
    const engine = new Engine({ provider: 'webgpu', lowMemory: false });
    try {
      const job = { modelDir: request.modelDir, prompt: 'a fox', negativePrompt: 'blur', width: 32, height: 32, steps: 3, sampler: 'euler-a' as const };
      const seeds = [5, 6, 7];
      const steps: StepInfo[] = [];
      const batched = [];
      for await (const image of engine.generateMany(job, seeds, () => ({ onStep: (info) => steps.push(info) }))) batched.push(image);
      assert.equal(steps.length, 3, 'one progress run for the three images');
      const latentBytes = 4 * 4 * 4 * 4;
      assert.equal(steps[1].deviceToHostBytes, 2 * seeds.length * latentBytes, 'one call of 2×3 rows per step');
      for (const [k, seed] of seeds.entries()) {
        const alone = await engine.generate({ ...job, seed });
        assert.equal(batched[k].recipe.seed, seed);
        const latents = maxAbsDiff(batched[k].latents, alone.latents);
        const uint8 = maxAbsDiff(batched[k].rgb, alone.rgb);
        t.diagnostic(`seed ${seed}: latents ${latents.toExponential(2)}, uint8 ${uint8}`);
        assert.ok(latents < 1e-3 && uint8 <= 1, `seed ${seed}: latents ${latents}, uint8 ${uint8}`);
      }
    } finally {
      await engine.unload();
    }
  });

  test('in low-memory mode the seeds run one job after another, even on a GPU', async () => {
    const engine = new Engine({ provider: 'webgpu', lowMemory: true });
    try {
      const runs: number[] = [];
      const job = { modelDir: request.modelDir, prompt: 'a fox', width: 32, height: 32, steps: 1 };
      for await (const image of engine.generateMany(job, [1, 2], (_first, count) => {
        runs.push(count);
        return {};
      })) assert.equal(image.recipe.provider?.provider, 'webgpu');
      assert.deepEqual(runs, [1, 1]);
    } finally {
      await engine.unload();
    }
  });
});

test('on the CPU a batch runs job after job, each byte for byte its own single job', async () => {
  const work = tempFolder('sdxl-cpu-batch');
  const engine = new Engine({ provider: 'cpu', lowMemory: false });
  try {
    buildTinySdxl(work);
    const job = { modelDir: work, prompt: 'a fox', width: 32, height: 32, steps: 2 };
    const runs: number[] = [];
    const images = [];
    for await (const image of engine.generateMany(job, [1, 2], (_first, count) => {
      runs.push(count);
      return {};
    })) images.push(image);
    assert.deepEqual(runs, [1, 1]);
    for (const [k, seed] of [1, 2].entries()) assert.deepEqual(images[k].rgb, (await engine.generate({ ...job, seed })).rgb);
  } finally {
    await engine.unload();
  }
});
