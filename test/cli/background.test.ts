// `generate --background transparent`: the tiny SDXL through the built CLI, its image matted by
// the tiny matting model; the file is RGBA, its recipe records the step, and regenerating from
// the recipe writes the same file byte for byte.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import sharp from 'sharp';
import { readImageMetadata, readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { ISOLATE_SUBJECT_WORDS } from '../../src/protocol/background';
import { runCli } from '../support/cli';
import { readIco } from '../support/ico';
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
    const missing = await generate(join(work, 'missing.png'), ['--background', 'transparent', '--matting-model', join(work, 'nowhere')]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /matting model/);
  });
});

describe('--background transparent with the finishing steps', () => {
  const transparent = ['--background', 'transparent', '--matting-model', matting, '--width', '64', '--height', '64'];
  async function rgba(input: string | Uint8Array) {
    const { data, info } = await sharp(input).raw().toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels };
  }
  const alphas = (data: Uint8Array) => new Set(data.filter((_, i) => i % 4 === 3));
  async function regeneratesExactly(out: string, again: string): Promise<void> {
    const result = await runCli(['generate', '--model', model, '--recipe', out, '--matting-model', matting, '--out', again]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(readFileSync(again), readFileSync(out), `${again} equals ${out} byte for byte`);
  }

  test('an exact size keeps the alpha; contain pads with transparency, and the recipe regenerates it', async () => {
    const out = join(work, 'contained.png');
    const result = await generate(out, [...transparent, '--output-size', '48x30', '--fit', 'contain']);
    assert.equal(result.code, 0, result.stderr);
    const image = await rgba(out);
    assert.deepEqual([image.width, image.height, image.channels], [48, 30, 4]);
    // 64x64 into 48x30 is 30x30 centred: columns 0 to 8 are padding.
    for (const y of [0, 15, 29]) assert.deepEqual([...image.data.subarray(y * 48 * 4, y * 48 * 4 + 4)], [0, 0, 0, 0], `row ${y}`);
    assert.ok(alphas(image.data).size > 2, 'the matte itself survives the scaling');
    const recipe = await readRecipeFromFile(out);
    assert.deepEqual(recipe?.output, { width: 48, height: 30, fit: 'contain' });
    assert.match((await readImageMetadata(out)).parameters ?? '', /Output size: 48x30 contain on transparent,/);
    await regeneratesExactly(out, join(work, 'contained-again.png'));
  });

  test('pixel art: alpha only 0 or 255, the visible pixels in at most the asked colours; regenerates exactly', async () => {
    const out = join(work, 'sprite.png');
    const result = await generate(out, [...transparent, '--pixel-art', '4', '--palette', '6']);
    assert.equal(result.code, 0, result.stderr);
    const image = await rgba(out);
    assert.deepEqual([image.width, image.height, image.channels], [16, 16, 4]);
    assert.deepEqual([...alphas(image.data)].sort((a, b) => a - b), [0, 255], 'crisp: no partly transparent pixel');
    const visible = new Set<string>();
    for (let i = 0; i < image.data.length; i += 4) {
      const pixel = [...image.data.subarray(i, i + 4)];
      if (pixel[3] === 255) visible.add(pixel.slice(0, 3).join(','));
      else assert.deepEqual(pixel, [0, 0, 0, 0]);
    }
    assert.ok(visible.size >= 1 && visible.size <= 6, `${visible.size} colours`);
    await regeneratesExactly(out, join(work, 'sprite-again.png'));
  });

  test('an icon set and its favicon.ico carry the alpha; densities too', async () => {
    const folder = join(work, 'icons');
    const result = await generate(`${folder}/`, [...transparent, '--icon-set']);
    assert.equal(result.code, 0, result.stderr);
    for (const name of readdirSync(folder).filter((n) => n.endsWith('.png'))) {
      const image = await rgba(join(folder, name));
      assert.equal(image.channels, 4, name);
      assert.ok([...alphas(image.data)].some((a) => a < 255), `${name} has transparent pixels`);
    }
    const entries = readIco(readFileSync(join(folder, 'favicon.ico')));
    assert.deepEqual(entries.map((e) => e.size), [16, 32, 48]);
    for (const entry of entries) {
      const image = await rgba(entry.png);
      assert.deepEqual([image.width, image.channels], [entry.size, 4]);
      assert.ok([...alphas(image.data)].some((a) => a < 255), `favicon ${entry.size} has transparent pixels`);
    }
    await regeneratesExactly(join(folder, 'icon-32x32.png'), join(work, 'icon-again.png'));
    const density = join(work, 'density');
    const dense = await generate(join(density, 'hero.webp'), [...transparent, '--output-size', '20x20', '--density', '1,2']);
    assert.equal(dense.code, 0, dense.stderr);
    for (const [name, side] of [['hero.webp', 20], ['hero@2x.webp', 40]] as const) {
      const image = await rgba(join(density, name));
      assert.deepEqual([image.width, image.channels], [side, 4], name);
    }
  });
});
