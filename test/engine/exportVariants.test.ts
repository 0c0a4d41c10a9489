// One set of tiny weights exported in each convention the engine must adapt to: the images
// must agree, because the engine reads what each session declares instead of assuming it.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Engine, type GeneratedImage } from '../../src/engine/engine';
import { maxAbsDiff } from '../support/maxAbsDiff';
import { tempFolder } from '../support/tempFolder';
import { buildTinySdxl, type TinyModelOptions } from '../support/tinyModels';

const engine = new Engine({ provider: 'cpu', lowMemory: false });
// Before the folder's removal: the engine lets go of the model files first.
after(() => engine.unload());
const work = tempFolder('sdxl-variants');

async function generate(options: TinyModelOptions, name: string, guidance = 4): Promise<GeneratedImage> {
  const dir = join(work, name);
  buildTinySdxl(dir, { seed: 5, ...options });
  return engine.generate({
    modelDir: dir,
    prompt: 'a wooden treasure chest',
    negativePrompt: 'rust',
    width: 48,
    height: 32,
    steps: 3,
    guidance,
    seed: 99,
    sampler: 'euler',
  });
}

describe('export conventions give the same image', () => {
  let reference: GeneratedImage;
  before(async () => {
    reference = await generate({}, 'reference');
  });

  const variants: [string, TinyModelOptions][] = [
    ['int64 input_ids', { idsType: 'int64' }],
    ['int64 [1] timestep', { timestep: 'int64-1d' }],
    ['UNet batch fixed at 1 (two calls per step)', { staticBatch: 1 }],
    ['external data for the UNet and text_encoder_2', { externalDataFor: ['unet', 'text_encoder_2'] }],
  ];
  for (const [name, options] of variants) {
    test(name, async () => {
      const image = await generate(options, name.replace(/\W+/g, '-'));
      assert.ok(maxAbsDiff(image.latents, reference.latents) < 1e-4, `latents differ by ${maxAbsDiff(image.latents, reference.latents)}`);
      assert.ok(maxAbsDiff(image.rgb, reference.rgb) <= 1);
    });
  }

  test('the external-data export keeps its weights out of model.onnx', () => {
    const dir = join(work, 'external-data-for-the-UNet-and-text_encoder_2', 'unet');
    assert.ok(statSync(join(dir, 'model.onnx_data')).size > statSync(join(dir, 'model.onnx')).size);
  });

  test('float16 weights stay close to float32 ones', async () => {
    const image = await generate({ dtype: 'float16' }, 'fp16');
    const error = maxAbsDiff(image.latents, reference.latents);
    assert.ok(error < 0.1, `float16 latents differ by ${error}`);
    assert.ok(error > 0, 'float16 must really run in float16');
  });

  test('the prompt, the negative prompt and the seed each change the image', async () => {
    const dir = join(work, 'reference');
    const settings = { modelDir: dir, width: 48, height: 32, steps: 3, guidance: 4, sampler: 'euler' as const };
    const base = { ...settings, prompt: 'a wooden treasure chest', negativePrompt: 'rust', seed: 99 };
    const variantsOf = [
      { ...base, prompt: 'a golden treasure chest' },
      { ...base, negativePrompt: 'dust' },
      { ...base, negativePrompt: null },
      { ...base, seed: 100 },
    ];
    for (const request of variantsOf) {
      const image = await engine.generate(request);
      assert.ok(maxAbsDiff(image.latents, reference.latents) > 1e-3, JSON.stringify(request));
    }
  });
});

describe('low-memory mode', () => {
  test('gives the same image while loading each component only for its phase', async () => {
    const dir = join(work, 'low-memory');
    buildTinySdxl(dir, { seed: 5 });
    const lowMemory = new Engine({ provider: 'cpu', lowMemory: true });
    const request = { modelDir: dir, prompt: 'a lamp', width: 32, height: 32, steps: 2, guidance: 3, seed: 1 };
    const image = await lowMemory.generate(request);
    const again = await lowMemory.generate(request);
    await lowMemory.unload();
    const normal = await engine.generate(request);
    assert.deepEqual(image.rgb, normal.rgb);
    assert.deepEqual(again.rgb, normal.rgb);
  });
});
