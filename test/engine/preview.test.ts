import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { encodePreviewPng, latentPreview } from '../../src/engine/image/preview';
import { DenoisedEstimate } from '../../src/engine/pipelines/denoisedEstimate';
import { alphasCumprod } from '../../src/engine/schedulers/betas';
import { createScheduler } from '../../src/engine/schedulers/scheduler';

// A 2x2 latent, channel-major as [1, 4, 2, 2]: pixel p of channel c sits at c * 4 + p.
const pixels = [
  [1, 0, 0, 0],
  [0.5, -1, 2, -0.25],
  [0, 0, 0, 10],
  [10, 0, 0, 0],
];
const latents = new Float32Array(16);
pixels.forEach((channels, p) => channels.forEach((value, c) => (latents[c * 4 + p] = value)));
const shape = [1, 4, 2, 2];

test('SDXL: sum of channel times factor plus bias, then (x + 1) * 127.5, rounded and clamped', () => {
  const preview = latentPreview(latents, shape, 'sdxl');
  assert.equal(preview.width, 2);
  assert.equal(preview.height, 2);
  // By hand, with ComfyUI's SDXL factors:
  // p0 R: 0.3651 + 0.1084 = 0.4735 → 187.87; G: 0.4232 - 0.0175 = 0.4057 → 179.23; B: 0.4341 - 0.0011 = 0.4330 → 182.71
  // p1 R: 0.5·0.3651 + 0.2533 + 2·0.1076 + 0.25·0.3165 + 0.1084 = 0.838575 → 234.42
  //    G: 0.5·0.4232 + 0.0042 + 2·0.1111 + 0.25·0.2492 - 0.0175 = 0.4828 → 189.06
  //    B: 0.5·0.4341 - 0.1068 - 2·0.0362 + 0.25·0.2188 - 0.0011 = 0.09145 → 139.16
  // p2: 10·(-0.3165, -0.2492, -0.2188) + bias is below -1 → 0; p3: 10·(0.3651, 0.4232, 0.4341) + bias is above 1 → 255.
  assert.deepEqual([...preview.rgb], [188, 179, 183, 234, 189, 139, 0, 0, 0, 255, 255, 255]);
});

test('SD 1.5 uses its own factors and no bias', () => {
  const preview = latentPreview(latents, shape, 'sd15');
  // p1 R: 0.5·0.3512 - 0.3250 - 2·0.2829 + 0.25·0.2120 = -0.6622 → 43.07
  //    G: 0.5·0.2297 - 0.4974 + 2·0.1762 + 0.25·0.2616 = 0.03525 → 131.99
  //    B: 0.5·0.3227 - 0.2350 + 2·0.2721 + 0.25·0.7177 = 0.649975 → 210.37
  assert.deepEqual([...preview.rgb.subarray(3, 6)], [43, 132, 210]);
  // p0 is channel 0's row: (0.3512, 0.2297, 0.3227) → 172.28, 156.79, 168.64
  assert.deepEqual([...preview.rgb.subarray(0, 3)], [172, 157, 169]);
});

test('a latent shape that does not fit is refused', () => {
  assert.throws(() => latentPreview(latents, [1, 3, 2, 2], 'sdxl'), /\[batch, 4, h, w\]/);
  assert.throws(() => latentPreview(latents.subarray(0, 8), shape, 'sdxl'), /at least 16/);
});

test('the PNG holds exactly the preview pixels', async () => {
  const preview = latentPreview(latents, shape, 'sdxl');
  const png = await encodePreviewPng(preview);
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.equal((await sharp(png).metadata()).format, 'png');
  assert.deepEqual([info.width, info.height, info.channels], [2, 2, 3]);
  assert.deepEqual(new Uint8Array(data), preview.rgb);
});

test('the denoised estimate recovers x0 from the model input and an exact prediction', () => {
  const config = { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', steps_offset: 1 };
  for (const prediction of ['epsilon', 'v_prediction', 'sample'] as const) {
    const scheduler = createScheduler('ddim', { ...config, prediction_type: prediction });
    const alpha = alphasCumprod(scheduler.config, true)[500];
    const x0 = Float32Array.from([0.5, -1, 2]);
    const eps = Float32Array.from([1, 0.25, -0.5]);
    const input = x0.map((x, i) => Math.sqrt(alpha) * x + Math.sqrt(1 - alpha) * eps[i]);
    const output =
      prediction === 'epsilon' ? eps : prediction === 'sample' ? x0 : x0.map((x, i) => Math.sqrt(alpha) * eps[i] - Math.sqrt(1 - alpha) * x);
    const estimate = new DenoisedEstimate(scheduler).estimate(input, output, 500);
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(estimate[i] - x0[i]) < 1e-5, `${prediction}: ${estimate[i]} vs ${x0[i]}`);
  }
});
