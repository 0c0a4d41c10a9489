// `generate --init-image`: image-to-image from the command line, end to end through the built CLI.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import sharp from 'sharp';
import { formatA1111Parameters } from '../../src/engine/image/a1111Parameters';
import { parseRecipe, readImageMetadata, readRecipeFromFile, serializeRecipe } from '../../src/engine/image/recipeMetadata';
import { assertOneLineError, runCli } from '../support/cli';
import { testRecipe } from '../support/recipe';
import { tempFolder } from '../support/tempFolder';
import { buildTinySdxl } from '../support/tinyModels';

const work = tempFolder('sdxl-cli-img2img');
let model = '';
let input = '';
let inputBytes: Buffer;

before(async () => {
  model = join(work, 'tiny-sdxl');
  buildTinySdxl(model);
  input = join(work, 'sketch.png');
  const pixels = new Uint8Array(80 * 56 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 7) & 255));
  await sharp(pixels, { raw: { width: 80, height: 56, channels: 4 } }).png().toFile(input);
  inputBytes = readFileSync(input);
});

const args = (out: string, extra: string[] = []) => [
  'generate', '--model', model, '--prompt', 'a watercolour fox', '--steps', '4', '--seed', '5',
  '--init-image', input, '--out', out, ...extra,
];

describe('sdxl-assets generate --init-image', () => {
  test('writes an image of the input size whose recipe holds the input and strength; the input is untouched', async () => {
    const out = join(work, 'fox.png');
    const result = await runCli(args(out, ['--strength', '0.75']));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), out);
    assert.match(result.stderr, /step 3\/3/, 'int(4 × 0.75) = 3 steps');
    const meta = await sharp(out).metadata();
    assert.deepEqual([meta.width, meta.height], [80, 48], '56 rounds down to 48, a multiple of 16');
    const { recipe, parameters } = await readImageMetadata(out);
    assert.ok(recipe);
    assert.equal(recipe.initImage, input);
    assert.equal(recipe.strength, 0.75);
    assert.match(parameters ?? '', /, Denoising strength: 0\.75, ONNX provider: cpu$/);
    assert.deepEqual(readFileSync(input), inputBytes);

    const again = join(work, 'fox-again.png');
    const regenerated = await runCli(['generate', '--model', model, '--recipe', out, '--out', again]);
    assert.equal(regenerated.code, 0, regenerated.stderr);
    assert.deepEqual(readFileSync(again), readFileSync(out), 'the recipe regenerates the same image from the same input');
  });

  test('the strength defaults to 0.5; --width and --height resize the input', async () => {
    const out = join(work, 'resized.webp');
    const result = await runCli(args(out, ['--width', '32', '--height', '64']));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /step 2\/2/);
    const meta = await sharp(out).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['webp', 32, 64]);
    const recipe = await readRecipeFromFile(out);
    assert.deepEqual([recipe?.strength, recipe?.initImage, recipe?.width, recipe?.height], [0.5, input, 32, 64]);
    assert.deepEqual(readFileSync(input), inputBytes);
  });
});

describe('sdxl-assets generate --init-image user errors: one line, non-zero exit', () => {
  const out = () => join(work, 'never.png');
  const cases: [string, () => string[], number, RegExp][] = [
    ['--strength without --init-image', () => ['generate', '--model', model, '--prompt', 'x', '--strength', '0.5', '--out', out()], 2, /--strength needs --init-image FILE/],
    ['strength not a number', () => args(out(), ['--strength', 'much']), 2, /--strength expects a number, got "much"/],
    ['strength 0', () => args(out(), ['--strength', '0']), 1, /strength must be a number above 0 and at most 1, got 0/],
    ['strength above 1', () => args(out(), ['--strength', '1.5']), 1, /strength must be a number above 0 and at most 1, got 1\.5/],
    ['no step left', () => args(out(), ['--strength', '0.2']), 1, /strength 0\.2 of 4 steps leaves no denoising step/],
    ['missing input image', () => args(out()).map((a) => (a === input ? join(work, 'gone.png') : a)), 1, /Input image not found: .*gone\.png$/],
    ['input that is no image', () => args(out()).map((a) => (a === input ? join(work, 'notes.txt') : a)), 1, /Cannot read the input image .*notes\.txt: /],
    ['--out is the input image', () => args(input), 2, /--out would overwrite the input image/],
  ];
  before(() => writeFileSync(join(work, 'notes.txt'), 'not an image\n'));
  for (const [name, argv, code, message] of cases) {
    test(name, async () => {
      const result = await runCli(argv());
      assertOneLineError(result, code, message);
      assert.ok(!existsSync(out()));
      assert.deepEqual(readFileSync(input), inputBytes);
    });
  }
});

describe('the recipe of an image-to-image result', () => {
  const recipe = testRecipe({ model: 'sdxl-base-1.0', width: 64, height: 48, initImage: 'sketches/fox.png', strength: 0.6 });

  test('round-trips initImage and strength; a text-to-image recipe keeps its old bytes', () => {
    assert.deepEqual(parseRecipe(serializeRecipe(recipe)), recipe);
    const { initImage: _image, strength: _strength, ...textToImage } = recipe;
    assert.doesNotMatch(serializeRecipe(textToImage), /initImage|strength/);
    assert.deepEqual(parseRecipe(serializeRecipe(textToImage)), textToImage);
  });

  test('rejects a bad strength or input name, and a strength without an input', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ strength: 0 }, /"strength" must be a number above 0 and at most 1/],
      [{ strength: 2 }, /"strength" must be a number above 0 and at most 1/],
      [{ strength: '0.5' }, /"strength" must be a number above 0 and at most 1/],
      [{ initImage: '' }, /"initImage" must be a non-empty string/],
      [{ initImage: 3 }, /"initImage" must be a non-empty string/],
      [{ initImage: undefined }, /"strength" must be absent without initImage/],
    ];
    for (const [change, message] of bad) {
      assert.throws(() => parseRecipe(JSON.stringify({ ...recipe, ...change })), message);
    }
  });

  test("AUTOMATIC1111's parameters name the denoising strength after the model", () => {
    assert.match(formatA1111Parameters(recipe), /\nSteps: 30, .*, Model: sdxl-base-1\.0, Denoising strength: 0\.6$/);
  });
});
