import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatA1111Parameters, parseA1111Parameters } from '../../src/engine/image/a1111Parameters';
import { SAMPLERS, type Recipe } from '../../src/protocol/recipe';

const recipe: Recipe = {
  version: 1,
  model: 'sdxl-base-1.0',
  prompt: 'a red potion bottle, game icon',
  negativePrompt: 'blurry, text',
  width: 1024,
  height: 768,
  steps: 30,
  guidance: 7,
  sampler: 'euler-a',
  karras: false,
  timestepSpacing: null,
  seed: 42,
};

describe('formatA1111Parameters', () => {
  test('writes A1111 create_infotext layout', () => {
    assert.equal(
      formatA1111Parameters(recipe),
      'a red potion bottle, game icon\nNegative prompt: blurry, text\n' +
        'Steps: 30, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 42, Size: 1024x768, Model: sdxl-base-1.0',
    );
  });

  test('names Karras as a schedule type, and keeps DPM++ 2M without Karras off A1111 Automatic', () => {
    const karras = formatA1111Parameters({ ...recipe, sampler: 'dpmpp-2m', karras: true, guidance: 5.5 });
    assert.match(karras, /\nSteps: 30, Sampler: DPM\+\+ 2M, Schedule type: Karras, CFG scale: 5.5, /);
    const uniform = formatA1111Parameters({ ...recipe, sampler: 'dpmpp-2m', karras: false });
    assert.match(uniform, /Sampler: DPM\+\+ 2M, Schedule type: Uniform,/);
  });

  test("writes seamless tiles as A1111's Tiling (True for both axes, else the axis) and reads them back", () => {
    for (const [tiling, written] of [['both', 'True'], ['x', 'x'], ['y', 'y']] as const) {
      const text = formatA1111Parameters({ ...recipe, tiling });
      assert.ok(text.endsWith(`Model: sdxl-base-1.0, Tiling: ${written}`), text);
      assert.equal(parseA1111Parameters(text).tiling, tiling);
    }
    assert.equal(parseA1111Parameters(formatA1111Parameters(recipe)).tiling, undefined);
  });

  test('leaves out an absent or empty negative prompt', () => {
    const expected = 'a red potion bottle, game icon\nSteps: 30,';
    assert.ok(formatA1111Parameters({ ...recipe, negativePrompt: null }).startsWith(expected));
    assert.ok(formatA1111Parameters({ ...recipe, negativePrompt: '' }).startsWith(expected));
  });

  test("writes a refiner hand-off with A1111's refiner keys", () => {
    const text = formatA1111Parameters({ ...recipe, refiner: 'sdxl-refiner', refinerStart: 0.8, aestheticScore: 6 });
    assert.ok(text.endsWith(', Model: sdxl-base-1.0, Refiner: sdxl-refiner, Refiner switch at: 0.8'));
  });

  test('quotes values holding commas, colons or newlines as JSON', () => {
    const text = formatA1111Parameters({ ...recipe, model: 'my "best", model: v2' });
    assert.ok(text.endsWith(', Model: "my \\"best\\", model: v2"'));
  });
});

describe('parseA1111Parameters', () => {
  test('reads back what we write, for every sampler and schedule', () => {
    for (const sampler of SAMPLERS) {
      for (const karras of [false, true]) {
        const original: Recipe = { ...recipe, sampler, karras, prompt: 'line one\nline two', model: 'a, b' };
        const parsed = parseA1111Parameters(formatA1111Parameters(original));
        assert.deepEqual(parsed, {
          prompt: original.prompt,
          negativePrompt: original.negativePrompt,
          steps: original.steps,
          guidance: original.guidance,
          seed: original.seed,
          width: original.width,
          height: original.height,
          sampler,
          karras,
        });
      }
    }
  });

  test('reads a real A1111 infotext with extra keys and quoted commas', () => {
    const text = [
      'masterpiece, best quality, (treasure chest:1.2), <lora:detailTweaker:0.5>,',
      'isometric, game asset',
      'Negative prompt: lowres, bad anatomy, text, error',
      'watermark',
      'Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 3862713581, ' +
        'Size: 832x1216, Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Denoising strength: 0.4, ' +
        'Hires upscale: 1.5, Hires upscaler: 4x-UltraSharp, ' +
        'Lora hashes: "detailTweaker: 1a2b3c4d5e6f, other: 0f9e8d7c", TI hashes: "bad: 123, \\"x\\": 456", ' +
        'Version: v1.10.1',
    ].join('\r\n');
    assert.deepEqual(parseA1111Parameters(text), {
      prompt: 'masterpiece, best quality, (treasure chest:1.2), <lora:detailTweaker:0.5>,\nisometric, game asset',
      negativePrompt: 'lowres, bad anatomy, text, error\nwatermark',
      steps: 28,
      guidance: 6.5,
      seed: 3862713581,
      width: 832,
      height: 1216,
      sampler: 'dpmpp-2m',
      karras: true,
    });
  });

  test('reads Karras the way each A1111 version meant it', () => {
    const line = (sampler: string) => `cat\nSteps: 20, Sampler: ${sampler}, CFG scale: 7, Seed: 1, Size: 512x512`;
    // Before 1.9 the schedule was in the sampler name.
    assert.deepEqual(pick(parseA1111Parameters(line('DPM++ 2M Karras'))), ['dpmpp-2m', true]);
    assert.deepEqual(pick(parseA1111Parameters(line('DPM++ 2M'))), ['dpmpp-2m', false]);
    // Since 1.9, Automatic is the sampler's default, Karras for DPM++ 2M only.
    assert.deepEqual(pick(parseA1111Parameters(line('DPM++ 2M, Schedule type: Automatic'))), ['dpmpp-2m', true]);
    assert.deepEqual(pick(parseA1111Parameters(line('Euler, Schedule type: Automatic'))), ['euler', false]);
    assert.deepEqual(pick(parseA1111Parameters(line('Euler, Schedule type: Karras'))), ['euler', true]);
    assert.deepEqual(pick(parseA1111Parameters(line('LCM'))), ['lcm', false]);
    // Samplers we cannot run are left to the caller's defaults.
    assert.deepEqual(pick(parseA1111Parameters(line('DPM++ SDE, Schedule type: Karras'))), [undefined, undefined]);
  });

  test('treats a text without a parameters line as a prompt', () => {
    assert.deepEqual(parseA1111Parameters('just a prompt, with: colons\nand a second line'), {
      prompt: 'just a prompt, with: colons\nand a second line',
      negativePrompt: null,
    });
  });

  test('skips malformed values instead of guessing', () => {
    const parsed = parseA1111Parameters('x\nSteps: many, CFG scale: , Seed: -1, Size: 512 x 512, Sampler: Euler');
    assert.deepEqual(parsed, { prompt: 'x', negativePrompt: null, sampler: 'euler', karras: false });
  });
});

function pick(parsed: Partial<Recipe>): [string | undefined, boolean | undefined] {
  return [parsed.sampler, parsed.karras];
}
