import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import sharp from 'sharp';
import { readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { runCli } from '../support/cli';
import { distinctColors, readIco } from '../support/ico';
import { tempFolder } from '../support/tempFolder';
import { buildTinySdxl } from '../support/tinyModels';

const work = tempFolder('sdxl-finishing-cli');
let model = '';

before(() => {
  model = join(work, 'tiny-sdxl');
  buildTinySdxl(model);
});

const generate = (out: string, extra: string[]) => [
  'generate', '--model', model, '--prompt', 'a red fox', '--width', '64', '--height', '64', '--steps', '2', '--seed', '11', '--out', out, ...extra,
];

async function run(args: string[]): Promise<string[]> {
  const result = await runCli(args);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.trim().split('\n');
}

async function raw(input: string | Buffer) {
  const { data, info } = await sharp(input).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels };
}

/** Regenerates from the file's own recipe into `folder` (an icon set with --icon-set) and returns the new paths. */
async function regenerate(from: string, out: string, extra: string[] = []): Promise<string[]> {
  return run(['generate', '--model', model, '--recipe', from, '--out', out, ...extra]);
}

describe('exact sizes through the pipeline', () => {
  test('--output-size with each fit gives the asked size, recorded, and regenerates byte for byte', async () => {
    for (const [fit, extra] of [['cover', ['--focus', '0.2,0.7']], ['contain', ['--background', '#123456']], ['crop', []]] as const) {
      const out = join(work, `sized-${fit}.png`);
      await run(generate(out, ['--output-size', '48x30', '--fit', fit, ...extra]));
      const image = await raw(out);
      assert.deepEqual([image.width, image.height], [48, 30], fit);
      const recipe = await readRecipeFromFile(out);
      assert.equal(recipe?.output?.fit, fit);
      assert.deepEqual([recipe?.width, recipe?.height, recipe?.output?.width, recipe?.output?.height], [64, 64, 48, 30]);
      if (fit === 'contain') {
        // 64x64 into 48x30 is 30x30 centred: the first column is padding.
        assert.deepEqual([...image.data.subarray(0, 3)], [0x12, 0x34, 0x56]);
      }
      const [again] = await regenerate(out, join(work, `again-${fit}.png`));
      assert.deepEqual(readFileSync(again), readFileSync(out), `${fit} regenerated`);
    }
  });

  test('--density 1,2,3 writes name, name@2x and name@3x at 1, 2 and 3 times the size', async () => {
    const folder = join(work, 'density');
    const written = await run(generate(join(folder, 'hero.png'), ['--output-size', '20x12', '--density', '1,2,3']));
    assert.deepEqual(written, ['hero.png', 'hero@2x.png', 'hero@3x.png'].map((name) => join(folder, name)));
    for (const [i, path] of written.entries()) {
      const image = await raw(path);
      assert.deepEqual([image.width, image.height], [20 * (i + 1), 12 * (i + 1)]);
    }
    const [again] = await regenerate(written[2], join(work, 'density-again.png'));
    assert.deepEqual(readFileSync(again), readFileSync(written[2]));
  });
});

describe('icon set', () => {
  test('every icon at its size, a favicon.ico of PNG entries, the manifests; the set regenerates byte for byte', async () => {
    const folder = join(work, 'icons');
    const written = await run(generate(`${folder}/`, ['--icon-set']));
    const expected = [
      ...[16, 32, 48, 64, 128, 256, 512].map((n) => `icon-${n}x${n}.png`),
      'favicon.ico',
      'apple-touch-icon.png',
      ...[48, 72, 96, 144, 192, 512].map((n) => `android-chrome-${n}x${n}.png`),
      'site.webmanifest',
      'icons.json',
    ];
    assert.deepEqual(written, expected.map((name) => join(folder, name)));
    assert.deepEqual(readdirSync(folder).sort(), [...expected].sort());
    for (const name of expected.filter((n) => n.endsWith('.png'))) {
      const side = name === 'apple-touch-icon.png' ? 180 : Number(/(\d+)x\1/.exec(name)?.[1]);
      const image = await raw(join(folder, name));
      assert.deepEqual([image.width, image.height], [side, side], name);
      assert.deepEqual((await readRecipeFromFile(join(folder, name)))?.output, { width: side, height: side, fit: 'cover', focus: [0.5, 0.5] });
    }
    const entries = readIco(readFileSync(join(folder, 'favicon.ico')));
    assert.deepEqual(entries.map((e) => [e.size, e.bitCount]), [[16, 32], [32, 32], [48, 32]]);
    for (const entry of entries) {
      const decoded = await raw(Buffer.from(entry.png));
      assert.deepEqual(decoded.data, (await raw(join(folder, `icon-${entry.size}x${entry.size}.png`))).data, `favicon ${entry.size}`);
    }
    const manifest = JSON.parse(readFileSync(join(folder, 'site.webmanifest'), 'utf8')) as { icons: { src: string; sizes: string }[] };
    assert.deepEqual(manifest.icons.map((icon) => icon.sizes), ['48x48', '72x72', '96x96', '144x144', '192x192', '512x512']);

    const again = join(work, 'icons-again');
    await regenerate(join(folder, 'icon-64x64.png'), `${again}/`, ['--icon-set']);
    for (const name of expected) assert.deepEqual(readFileSync(join(again, name)), readFileSync(join(folder, name)), name);
  });

  test('a folder that already holds one of the names gets none of the set', async () => {
    const folder = join(work, 'icons-taken');
    await run(generate(join(folder, 'keep.png'), []));
    writeFileSync(join(folder, 'favicon.ico'), 'precious');
    const result = await runCli(generate(`${folder}/`, ['--icon-set']));
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /favicon\.ico already exists/);
    assert.deepEqual(readdirSync(folder).sort(), ['favicon.ico', 'keep.png']);
    assert.equal(readFileSync(join(folder, 'favicon.ico'), 'utf8'), 'precious');
  });
});

describe('pixel art', () => {
  test('--palette N: at most N colours at a factor of the size; regenerates byte for byte', async () => {
    const out = join(work, 'sprite.png');
    await run(generate(out, ['--pixel-art', '4', '--palette', '6']));
    const image = await raw(out);
    assert.deepEqual([image.width, image.height], [16, 16]);
    const colors = distinctColors(image.data, image.channels);
    assert.ok(colors.size >= 2 && colors.size <= 6, `${colors.size} colours`);
    assert.deepEqual((await readRecipeFromFile(out))?.pixelArt, { factor: 4, colors: 6 });
    const [again] = await regenerate(out, join(work, 'sprite-again.png'));
    assert.deepEqual(readFileSync(again), readFileSync(out));
  });

  test('a .gpl palette: only its colours, recorded in the recipe, so the file regenerates without it', async () => {
    const palette = join(work, 'four.gpl');
    writeFileSync(palette, 'GIMP Palette\nName: four\n#\n  0   0   0 black\n255 255 255 white\n255   0  77 red\n 41 173 255 blue\n');
    const out = join(work, 'sprite-gpl.png');
    await run(generate(out, ['--output-size', '16x8', '--pixel-art', '2', '--palette', palette]));
    const image = await raw(out);
    assert.deepEqual([image.width, image.height], [16, 8]);
    const allowed = new Set(['#000000', '#ffffff', '#ff004d', '#29adff']);
    for (const color of distinctColors(image.data, image.channels)) assert.ok(allowed.has(color), color);
    assert.deepEqual((await readRecipeFromFile(out))?.pixelArt?.palette, [...allowed]);
    writeFileSync(palette, 'GIMP Palette\n1 2 3 changed\n');
    const [again] = await regenerate(out, join(work, 'sprite-gpl-again.png'));
    assert.deepEqual(readFileSync(again), readFileSync(out));
  });

  test('a palette without a factor, or a focus without a size, is a usage error before any work', async () => {
    for (const [extra, message] of [
      [['--palette', '8'], /--palette chooses the colours of --pixel-art FACTOR/],
      [['--focus', '0.5,0.5'], /--fit, --focus and --background shape --output-size/],
      [['--density', '1,2'], /--density needs --output-size/],
      [['--output-size', '80x40', '--fit', 'crop'], /--fit crop cuts 80x40 out of the generated 64x64/],
    ] as const) {
      const result = await runCli(generate(join(work, 'never.png'), [...extra]));
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /step 1\//);
    }
  });
});
