// `generate --background transparent`: the tiny SDXL through the built CLI, its image matted by
// the tiny matting model; the file is RGBA, its recipe records the step, and regenerating from
// the recipe writes the same file byte for byte.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import sharp from 'sharp';
import { readImageMetadata, readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { ISOLATE_SUBJECT_WORDS } from '../../src/protocol/background';
import { runCli } from '../support/cli';
import { tempFolder } from '../support/tempFolder';
import { writeTinyMatting } from '../support/tinyMatting';
import { buildTinySdxl } from '../support/tinyModels';

const work = tempFolder('sdxl-cli-background');
const model = join(work, 'tiny-sdxl');
const matting = join(work, 'tiny-matting');

before(() => {
  buildTinySdxl(model);
  writeTinyMatting(matting);
});

const generate = (out: string, extra: string[]) =>
  runCli(['generate', '--model', model, '--prompt', 'a red fox', '--steps', '3', '--seed', '11', '--out', out, ...extra]);

describe('sdxl-assets generate --background transparent', () => {
  test('writes an RGBA PNG whose recipe records the matting step, and regenerates it byte for byte', async () => {
    const out = join(work, 'fox.png');
    const first = await generate(out, ['--background', 'transparent', '--matting-model', matting]);
    assert.equal(first.code, 0, first.stderr);
    const meta = await sharp(out).metadata();
    assert.equal(meta.channels, 4);
    assert.equal(meta.hasAlpha, true);
    const recipe = await readRecipeFromFile(out);
    assert.deepEqual(recipe?.background, { mode: 'transparent', matting: 'tiny-matting', isolateSubject: false });
    const { parameters } = await readImageMetadata(out);
    assert.match(parameters ?? '', /Background: transparent \(tiny-matting\)/);

    const again = join(work, 'fox-again.png');
    const second = await runCli(['generate', '--model', model, '--recipe', out, '--matting-model', matting, '--out', again]);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(readFileSync(again), readFileSync(out), 'the regenerated file equals the first byte for byte');
  });

  test('the alpha differs from opaque: the matte of the generated image is read back from the file', async () => {
    const opaque = join(work, 'opaque.png');
    const transparent = join(work, 'transparent.png');
    assert.equal((await generate(opaque, [])).code, 0);
    assert.equal((await generate(transparent, ['--background', 'transparent', '--matting-model', matting])).code, 0);
    const rgb = await sharp(opaque).raw().toBuffer();
    const rgba = await sharp(transparent).raw().toBuffer();
    assert.equal(rgba.length, (rgb.length / 3) * 4);
    const alphas = new Set<number>();
    for (let i = 3; i < rgba.length; i += 4) alphas.add(rgba[i]);
    assert.ok(alphas.size > 1, 'the tiny model gives the image a matte, not one flat value');
    // Where the matte is opaque, the colour is the decoded colour itself.
    for (let i = 0; i < rgb.length / 3; i++) {
      if (rgba[i * 4 + 3] !== 255) continue;
      for (let c = 0; c < 3; c++) assert.equal(rgba[i * 4 + c], rgb[i * 3 + c]);
    }
  });

  test('--isolate-subject encodes the prompt with the added words; the recipe keeps the prompt and the flag', async () => {
    const isolated = join(work, 'isolated.png');
    const spelled = join(work, 'spelled.png');
    const result = await generate(isolated, ['--background', 'transparent', '--matting-model', matting, '--isolate-subject']);
    assert.equal(result.code, 0, result.stderr);
    const recipe = await readRecipeFromFile(isolated);
    assert.equal(recipe?.prompt, 'a red fox');
    assert.equal(recipe?.background?.isolateSubject, true);
    const { parameters } = await readImageMetadata(isolated);
    assert.ok(parameters?.includes(`Isolate subject prompt: ${JSON.stringify(ISOLATE_SUBJECT_WORDS)}`), parameters ?? undefined);
    const byHand = await runCli([
      'generate', '--model', model, '--prompt', `a red fox, ${ISOLATE_SUBJECT_WORDS}`, '--steps', '3', '--seed', '11',
      '--out', spelled, '--background', 'transparent', '--matting-model', matting,
    ]);
    assert.equal(byHand.code, 0, byHand.stderr);
    assert.deepEqual(await sharp(isolated).raw().toBuffer(), await sharp(spelled).raw().toBuffer(), 'same pixels as the words typed by hand');
    const again = join(work, 'isolated-again.png');
    assert.equal((await runCli(['generate', '--model', model, '--recipe', isolated, '--matting-model', matting, '--out', again])).code, 0);
    assert.deepEqual(readFileSync(again), readFileSync(isolated), 'the words are added once on regenerating, not twice');
  });

  test('WebP keeps the alpha; JPEG and a lone --isolate-subject are refused before any work', async () => {
    const webp = join(work, 'fox.webp');
    assert.equal((await generate(webp, ['--background', 'transparent', '--matting-model', matting])).code, 0);
    assert.equal((await sharp(webp).metadata()).hasAlpha, true);
    assert.equal((await readRecipeFromFile(webp))?.background?.mode, 'transparent');
    const jpeg = await generate(join(work, 'fox.jpg'), ['--background', 'transparent', '--matting-model', matting]);
    assert.notEqual(jpeg.code, 0);
    assert.match(jpeg.stderr, /JPEG has no alpha channel/);
    const lone = await generate(join(work, 'lone.png'), ['--isolate-subject']);
    assert.notEqual(lone.code, 0);
    assert.match(lone.stderr, /go with --background transparent/);
    const sized = await generate(join(work, 'sized.png'), ['--background', 'transparent', '--matting-model', matting, '--output-size', '32x32']);
    assert.notEqual(sized.code, 0);
    assert.match(sized.stderr, /does not combine with exact sizes/);
    const missing = await generate(join(work, 'missing.png'), ['--background', 'transparent', '--matting-model', join(work, 'nowhere')]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /matting model/);
  });
});
