import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import sharp from 'sharp';
import { readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { assertOneLineError, runCli } from '../support/cli';
import { tempFolder } from '../support/tempFolder';
import { buildTinySdxl } from '../support/tinyModels';

const work = tempFolder('sdxl-cli');
let model = '';
let model16 = '';

before(() => {
  model = join(work, 'tiny-sdxl');
  model16 = join(work, 'tiny-sdxl-fp16');
  buildTinySdxl(model);
  buildTinySdxl(model16, { dtype: 'float16' });
});

const base = (out: string, extra: string[] = []) => [
  'generate', '--model', model, '--prompt', 'a red fox in the snow', '--width', '64', '--height', '48',
  '--steps', '4', '--guidance', '5', '--out', out, ...extra,
];

describe('sdxl-assets generate', () => {
  test('writes a PNG of the asked size that carries a recipe which regenerates the same bytes', async () => {
    const out = join(work, 'first.png');
    const result = await runCli(base(out, ['--seed', '7', '--negative', 'blurry']));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), out);
    assert.match(result.stderr, /step 4\/4/);
    const meta = await sharp(out).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, 64);
    assert.equal(meta.height, 48);
    const recipe = await readRecipeFromFile(out);
    assert.ok(recipe);
    assert.equal(recipe.seed, 7);
    assert.equal(recipe.negativePrompt, 'blurry');
    assert.equal(recipe.sampler, 'euler');

    const again = join(work, 'from-recipe.png');
    const regenerated = await runCli(['generate', '--model', model, '--recipe', out, '--out', again]);
    assert.equal(regenerated.code, 0, regenerated.stderr);
    assert.deepEqual(readFileSync(again), readFileSync(out));
  });

  test('the same seed gives an identical file and another seed a different one', async () => {
    const a = join(work, 'a.png');
    const b = join(work, 'b.png');
    const c = join(work, 'c.png');
    for (const [path, seed] of [[a, '11'], [b, '11'], [c, '12']]) {
      const result = await runCli(base(path, ['--seed', seed, '--sampler', 'euler-a']));
      assert.equal(result.code, 0, result.stderr);
    }
    assert.deepEqual(readFileSync(a), readFileSync(b));
    const [pa, pc] = await Promise.all([a, c].map((p) => sharp(p).raw().toBuffer()));
    assert.notDeepEqual(pa, pc);
  });

  test('a float16 model generates', async () => {
    const out = join(work, 'fp16.webp');
    const result = await runCli(['generate', '--model', model16, '--prompt', 'a castle', '--width', '32', '--height', '32', '--steps', '3', '--seed', '3', '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    const meta = await sharp(out).metadata();
    assert.equal(meta.format, 'webp');
    assert.equal((await readRecipeFromFile(out))?.seed, 3);
  });

  test('--batch into a folder makes numbered seeds, each file named from the prompt', async () => {
    const folder = join(work, 'batch');
    const result = await runCli(base(folder + '/', ['--seed', '100', '--batch', '2', '--sampler', 'dpmpp-2m', '--karras']));
    assert.equal(result.code, 0, result.stderr);
    const files = readdirSync(folder).sort();
    assert.deepEqual(files, ['a-red-fox-in-the-snow-100.png', 'a-red-fox-in-the-snow-101.png']);
    const recipes = await Promise.all(files.map((f) => readRecipeFromFile(join(folder, f))));
    assert.deepEqual(recipes.map((r) => [r?.seed, r?.sampler, r?.karras]), [[100, 'dpmpp-2m', true], [101, 'dpmpp-2m', true]]);
    const rerun = await runCli(base(folder, ['--seed', '100']));
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.ok(existsSync(join(folder, 'a-red-fox-in-the-snow-100-2.png')), 'a second run must not overwrite');
  });

  test('a missing seed is chosen at random and recorded', async () => {
    const out = join(work, 'random-seed.png');
    const result = await runCli(base(out, ['--guidance', '1', '--sampler', 'ddim']));
    assert.equal(result.code, 0, result.stderr);
    const recipe = await readRecipeFromFile(out);
    assert.ok(recipe && Number.isInteger(recipe.seed));
  });

  test('Ctrl+C stops between steps and leaves no file behind', async () => {
    const folder = join(work, 'cancelled');
    const result = await runCli(
      ['generate', '--model', model, '--prompt', 'slow', '--width', '64', '--height', '64', '--steps', '400', '--out', folder + '/'],
      { signalAfterStderr: /step 2\// },
    );
    assert.equal(result.code, 130, result.stderr);
    assert.match(result.stderr, /cancelled/i);
    assert.deepEqual(existsSync(folder) ? readdirSync(folder) : [], []);
  });
});

describe('sdxl-assets user errors: one line, non-zero exit', () => {
  const cases: [string, () => string[], number, RegExp][] = [
    ['missing model folder', () => base(join(work, 'x.png')).map((a) => (a === model ? join(work, 'nope') : a)), 1, /Model folder not found: .*nope/],
    ['size not a multiple of the UNet factor', () => base(join(work, 'x.png'), ['--width', '100']), 1, /width 100 is not a multiple of 16/],
    ['unknown sampler', () => base(join(work, 'x.png'), ['--sampler', 'heun']), 2, /--sampler must be one of euler, euler-a, ddim, dpmpp-2m, lcm/],
    ['steps out of range', () => base(join(work, 'x.png'), ['--steps', '0']), 1, /steps must be a whole number from 1 to 1000/],
    ['negative guidance', () => base(join(work, 'x.png'), ['--guidance=-2']), 1, /guidance must be a number from 0 to 100/],
    ['not a number', () => base(join(work, 'x.png'), ['--seed', 'abc']), 2, /--seed expects a whole number/],
    ['no prompt', () => ['generate', '--model', model, '--out', join(work, 'x.png')], 2, /--prompt TEXT is required/],
    ['unknown option', () => [...base(join(work, 'x.png')), '--cfg', '3'], 2, /Unknown option '--cfg'/],
    ['unreadable recipe image', () => ['generate', '--model', model, '--recipe', join(work, 'tiny-sdxl', 'model_index.json'), '--out', join(work, 'x.png')], 1, /Cannot read a recipe from|carries no SDXL Assets recipe/],
    ['option without its value', () => base(join(work, 'x.png'), ['--steps', '--seed', '3']), 2, /Option '--steps' argument is ambiguous/],
    ['unknown provider', () => base(join(work, 'x.png'), ['--provider', 'tpu']), 2, /--provider must be one of/],
  ];
  for (const [name, args, code, message] of cases) {
    test(name, async () => {
      const result = await runCli(args());
      assertOneLineError(result, code, message);
      assert.ok(!existsSync(join(work, 'x.png')));
    });
  }

  test('a model folder without its UNet is named precisely', async () => {
    const broken = join(work, 'broken');
    buildTinySdxl(broken);
    rmSync(join(broken, 'unet', 'model.onnx'));
    const result = await runCli(base(join(work, 'x.png')).map((a) => (a === model ? broken : a)));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /unet\/model\.onnx is missing/);
  });
});

describe('sdxl-assets tokens and info', () => {
  test('tokens --json gives each tokenizer its ids with BOS and EOS, unpadded', async () => {
    const result = await runCli(['tokens', '--model', model, '--json', 'a red fox']);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as Record<string, { ids: number[]; count: number; limit: number }>;
    assert.deepEqual(Object.keys(report), ['tokenizer', 'tokenizer_2']);
    for (const entry of Object.values(report)) {
      assert.equal(entry.count, entry.ids.length);
      assert.equal(entry.limit, 77);
      assert.ok(entry.ids.length >= 3);
      assert.ok(entry.ids[0] !== entry.ids[entry.ids.length - 1], 'BOS and EOS differ');
    }
  });

  test('info names the family, the components and that the CPU provider loads', async () => {
    const result = await runCli(['info', '--model', model16]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /family: sdxl/);
    assert.match(result.stdout, /unet:\n\s+inputs:\s+sample float16\[/);
    assert.match(result.stdout, /cpu: loads/);
  });
});
