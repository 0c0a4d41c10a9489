import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { readPngTextChunks } from '../../src/engine/image/pngText';
import { runCli } from '../support/cli';
import { tempFolder } from '../support/tempFolder';
import { buildTinySdxl } from '../support/tinyModels';

const work = tempFolder('sdxl-cli-seamless');
const model = join(work, 'tiny-sdxl');
const cache = join(work, 'cache');

before(() => {
  buildTinySdxl(model);
  // The CLI child inherits it: the rewritten graphs go to the test's folder, not the user's cache.
  process.env.SDXL_ASSETS_SEAMLESS_CACHE = cache;
});

const generate = (out: string, extra: string[]) => [
  'generate', '--model', model, '--prompt', 'mossy cobblestones', '--width', '64', '--height', '64',
  '--steps', '3', '--seed', '5', '--out', out, ...extra,
];

describe('sdxl-assets generate --tile', () => {
  test('records the axis in the recipe and the A1111 text, and the recipe regenerates the same bytes', async () => {
    const out = join(work, 'tile-x.png');
    const result = await runCli(generate(out, ['--tile', 'x']));
    assert.equal(result.code, 0, result.stderr);
    const recipe = await readRecipeFromFile(out);
    assert.equal(recipe?.tiling, 'x');
    const parameters = readPngTextChunks(readFileSync(out)).get('parameters') ?? '';
    assert.match(parameters, /, Tiling: x(,|$)/m);
    assert.ok(readdirSync(cache).some((name) => name.includes('-unet-x-')));

    const again = join(work, 'tile-x-again.png');
    const regenerated = await runCli(['generate', '--model', model, '--recipe', out, '--out', again]);
    assert.equal(regenerated.code, 0, regenerated.stderr);
    assert.deepEqual(readFileSync(again), readFileSync(out));
  });

  test('both axes give another image than no tiling, written as A1111 writes its Tiling', async () => {
    const tiled = join(work, 'both.png');
    const plain = join(work, 'plain.png');
    for (const [path, extra] of [[tiled, ['--tile', 'both']], [plain, []]] as const) {
      const result = await runCli(generate(path, [...extra]));
      assert.equal(result.code, 0, result.stderr);
    }
    assert.match(readPngTextChunks(readFileSync(tiled)).get('parameters') ?? '', /Tiling: True/);
    assert.doesNotMatch(readPngTextChunks(readFileSync(plain)).get('parameters') ?? '', /Tiling/);
    assert.equal((await readRecipeFromFile(plain))?.tiling, undefined);
    assert.notDeepEqual(readFileSync(tiled), readFileSync(plain));
  });

  test('a tiled VAE, whose tiles would each wrap around their own edges, is refused before any model loads', async () => {
    const result = await runCli(generate(join(work, 'tiled-vae.png'), ['--tile', 'both', '--vae-tile-size', '32']));
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /Seamless tiles need the VAE in one piece/);
  });

  test('an unknown axis is a usage error', async () => {
    const result = await runCli(generate(join(work, 'bad.png'), ['--tile', 'z']));
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--tile/);
  });
});
