// `generate --mask / --outpaint`: inpainting and outpainting from the command line, end to end
// through the built CLI on the tiny SDXL, with the recipe regenerating each file byte for byte.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import sharp from 'sharp';
import { formatA1111Parameters } from '../../src/engine/image/a1111Parameters';
import { gaussianBlurMask } from '../../src/engine/image/maskBlur';
import { readMaskImage } from '../../src/engine/image/maskImage';
import { parseRecipe, readImageMetadata, serializeRecipe } from '../../src/engine/image/recipeMetadata';
import { assertOneLineError, runCli } from '../support/cli';
import { keptValuesChanged } from '../support/keptPixels';
import { testRecipe } from '../support/recipe';
import { tempFolder } from '../support/tempFolder';
import { buildTinySdxl } from '../support/tinyModels';

const work = tempFolder('sdxl-cli-inpaint');
const model = join(work, 'tiny-sdxl');
const input = join(work, 'sprite.png');
const strokes = join(work, 'sprite-mask.png');
let source: Buffer;

before(async () => {
  buildTinySdxl(model);
  source = Buffer.from(new Uint8Array(64 * 48 * 3).map((_, i) => (i * 11) & 255));
  await sharp(source, { raw: { width: 64, height: 48, channels: 3 } }).png().toFile(input);
  // As the panel paints it: strokes on a transparent layer, whose alpha is the mask.
  const rgba = Buffer.alloc(64 * 48 * 4);
  for (let y = 8; y < 24; y++) for (let x = 40; x < 56; x++) rgba.set([255, 0, 0, 255], (y * 64 + x) * 4);
  await sharp(rgba, { raw: { width: 64, height: 48, channels: 4 } }).png().toFile(strokes);
});

const args = (out: string, extra: string[]) => [
  'generate', '--model', model, '--prompt', 'a shield', '--steps', '4', '--seed', '3', '--init-image', input, '--out', out, ...extra,
];

/** Regenerates from the file's recipe alone and returns whether the bytes are the same. */
async function regeneratesExactly(out: string): Promise<void> {
  const again = out.replace(/\.png$/, '-again.png');
  const result = await runCli(['generate', '--model', model, '--recipe', out, '--out', again]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(readFileSync(again), readFileSync(out), 'the recipe regenerates the same bytes');
}

describe('sdxl-assets generate --mask', () => {
  test('a mask with alpha repaints only the masked area; the recipe regenerates it', async () => {
    const out = join(work, 'masked.png');
    const result = await runCli(args(out, ['--mask', strokes, '--mask-blur', '2', '--inpaint-area', 'masked', '--mask-padding', '4', '--strength', '0.75']));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /step 3\/3/);
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [64, 48]);
    let moved = 0;
    for (let y = 0; y < 48; y++) {
      for (let x = 0; x < 64; x++) {
        const near = x >= 40 - 8 && x < 56 + 8 && y < 24 + 8;
        for (let c = 0; c < 3; c++) {
          const i = (y * 64 + x) * 3 + c;
          if (!near) assert.equal(data[i], source[i], `pixel ${x},${y} is kept`);
          else if (data[i] !== source[i]) moved++;
        }
      }
    }
    assert.ok(moved > 100, `only ${moved} values repainted`);
    const { recipe, parameters } = await readImageMetadata(out);
    assert.deepEqual(
      [recipe?.mask, recipe?.maskBlur, recipe?.inpaintArea, recipe?.maskPadding, recipe?.width, recipe?.height],
      [strokes, 2, 'masked', 4, 64, 64],
    );
    assert.match(parameters ?? '', /Denoising strength: 0\.75, Mask blur: 2, Inpaint area: Only masked, Masked area padding: 4/);
    await regeneratesExactly(out);
  });

  test('over the whole picture, pixels the blurred mask keeps are the source byte for byte', async () => {
    const out = join(work, 'full.png');
    const result = await runCli(args(out, ['--mask', strokes, '--mask-blur', '2', '--strength', '0.75']));
    assert.equal(result.code, 0, result.stderr);
    const data = await sharp(out).removeAlpha().raw().toBuffer();
    const mask = gaussianBlurMask(await readMaskImage(strokes), 2).data;
    const { kept, changed } = keptValuesChanged(data, source, mask);
    assert.ok(kept > (64 * 48 * 3) / 2, `the mask keeps only ${kept} values`);
    assert.equal(changed, 0, `${changed} of ${kept} kept values differ from the source`);
    let repainted = 0;
    for (let i = 0; i < data.length; i++) if (mask[Math.floor(i / 3)] === 255 && data[i] !== source[i]) repainted++;
    assert.ok(repainted > 100, `only ${repainted} values repainted`);
    const { recipe } = await readImageMetadata(out);
    assert.equal(recipe?.inpaintArea ?? 'full', 'full');
    await regeneratesExactly(out);
  });

  test('--outpaint alone extends the picture and keeps the original area exactly; the recipe regenerates it', async () => {
    const out = join(work, 'wider.png');
    const result = await runCli(args(out, ['--outpaint', '16,0,16,0']));
    assert.equal(result.code, 0, result.stderr);
    const meta = await sharp(out).metadata();
    assert.deepEqual([meta.width, meta.height], [96, 48]);
    const wide = await sharp(out).removeAlpha().raw().toBuffer();
    const inner = await sharp(wide, { raw: { width: 96, height: 48, channels: 3 } }).extract({ left: 16, top: 0, width: 64, height: 48 }).raw().toBuffer();
    assert.deepEqual(inner, source, 'the original area is the source byte for byte');
    const { recipe, parameters } = await readImageMetadata(out);
    assert.deepEqual(recipe?.outpaint, { left: 16, top: 0, right: 16, bottom: 0 });
    assert.equal(recipe?.strength, 1);
    assert.equal(recipe?.mask, undefined);
    assert.match(parameters ?? '', /Mask blur: 0, Outpaint: 16 0 16 0/);
    await regeneratesExactly(out);
  });

  test('--help lists the inpainting options', async () => {
    const result = await runCli(['generate', '--help']);
    for (const option of ['--mask FILE', '--mask-blur PX', '--inpaint-area full|masked', '--mask-padding PX', '--outpaint L,T,R,B']) {
      assert.ok(result.stdout.includes(option) || result.stderr.includes(option), `${option} in the help`);
    }
  });
});

describe('sdxl-assets generate --mask user errors: one line, nothing written', () => {
  const out = () => join(work, 'never.png');
  const cases: [string, () => string[], number, RegExp][] = [
    ['--mask without --init-image', () => ['generate', '--model', model, '--prompt', 'x', '--mask', strokes, '--out', out()], 2, /--mask needs --init-image FILE/],
    ['--outpaint not four numbers', () => args(out(), ['--outpaint', '8,8']), 2, /--outpaint expects LEFT,TOP,RIGHT,BOTTOM/],
    ['--outpaint off the grid', () => args(out(), ['--outpaint', '4,0,0,0']), 2, /left margin 4 is not a multiple of 8 pixels/],
    ['--mask-blur without a mask', () => args(out(), ['--mask-blur', '4']), 2, /--mask-blur needs --mask FILE/],
    ['--mask-padding without the masked area', () => args(out(), ['--mask', strokes, '--mask-padding', '4']), 2, /--mask-padding needs --inpaint-area masked/],
    ['unknown inpaint area', () => args(out(), ['--mask', strokes, '--inpaint-area', 'some']), 2, /--inpaint-area must be one of full, masked/],
    ['mask blur out of range', () => args(out(), ['--mask', strokes, '--mask-blur', '65']), 1, /mask blur must be a whole number of pixels from 0 to 64, got 65/],
    ['missing mask', () => args(out(), ['--mask', join(work, 'gone.png')]), 1, /Mask image not found: .*gone\.png$/],
    ['--out is the mask', () => args(strokes, ['--mask', strokes]), 2, /--out would overwrite the mask/],
  ];
  for (const [name, argv, code, message] of cases) {
    test(name, async () => {
      const result = await runCli(argv());
      assertOneLineError(result, code, message);
      assert.ok(!existsSync(out()));
    });
  }
});

describe('the recipe of an inpainting result', () => {
  const recipe = testRecipe({
    model: 'sdxl-base-1.0',
    width: 1024,
    height: 1024,
    initImage: 'fox.png',
    strength: 1,
    mask: 'fox-mask.png',
    maskBlur: 8,
    inpaintArea: 'masked',
    maskPadding: 32,
    outpaint: { left: 0, top: 64, right: 0, bottom: 0 },
  });

  test('round-trips the inpainting fields and rejects those that make no sense', () => {
    assert.deepEqual(parseRecipe(serializeRecipe(recipe)), recipe);
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ initImage: undefined, strength: undefined }, /give the input image too/],
      [{ maskBlur: -1 }, /mask blur must be a whole number/],
      [{ inpaintArea: 'all' }, /Unknown inpaint area/],
      [{ inpaintArea: undefined }, /set the inpaint area to masked/],
      [{ outpaint: { left: 1, top: 0, right: 0, bottom: 0 } }, /not a multiple of 8/],
    ];
    for (const [change, message] of bad) assert.throws(() => parseRecipe(JSON.stringify({ ...recipe, ...change })), message);
  });

  test("AUTOMATIC1111's parameters carry its inpainting keys", () => {
    assert.match(
      formatA1111Parameters(recipe),
      /Denoising strength: 1, Mask blur: 8, Inpaint area: Only masked, Masked area padding: 32, Outpaint: 0 64 0 0$/,
    );
  });
});
