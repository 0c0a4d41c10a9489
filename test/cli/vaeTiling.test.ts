// --vae-tiling and --vae-tile-size through the built CLI: a tiled image says so in its recipe and
// regenerates to the same bytes from it; bad tile sizes are usage errors before any model loads.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { runCli } from '../support/cli';
import { buildTinySdxl } from '../support/tinyModels';

let work = '';
let model = '';

before(() => {
  work = mkdtempSync(join(tmpdir(), 'sdxl-cli-tiling-'));
  model = join(work, 'tiny-sdxl');
  buildTinySdxl(model);
});

after(() => rmSync(work, { recursive: true, force: true }));

const generate = (out: string, extra: string[]) => [
  'generate', '--model', model, '--prompt', 'a lighthouse', '--width', '96', '--height', '64',
  '--steps', '2', '--seed', '3', '--out', out, ...extra,
];

describe('sdxl-assets generate with a tiled VAE', () => {
  test('--vae-tile-size tiles the decode, and the recipe regenerates the same bytes', async () => {
    const out = join(work, 'tiled.png');
    const result = await runCli(generate(out, ['--vae-tile-size', '32']));
    assert.equal(result.code, 0, result.stderr);
    // 64×96 px: latent 8×12 in 4-cell tiles every 3 cells, 3 rows of 4.
    assert.match(result.stderr, /decoding, VAE tile 12\/12/);
    assert.deepEqual((await readRecipeFromFile(out))?.vaeTiling, { tileSize: 32 });

    const again = join(work, 'again.png');
    const regenerated = await runCli(['generate', '--model', model, '--recipe', out, '--out', again]);
    assert.equal(regenerated.code, 0, regenerated.stderr);
    assert.deepEqual(readFileSync(again), readFileSync(out));
  });

  test("--vae-tiling takes the VAE config's tile size, and a size no tile splits stays out of the recipe", async () => {
    const wide = join(work, 'wide.png');
    // The tiny VAE's config has sample_size 64: 96 px wide is two tiles.
    const result = await runCli(generate(wide, ['--vae-tiling']));
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual((await readRecipeFromFile(wide))?.vaeTiling, { tileSize: 64 });

    const small = join(work, 'small.png');
    const untiled = await runCli(generate(small, ['--vae-tiling', '--width', '64']));
    assert.equal(untiled.code, 0, untiled.stderr);
    assert.equal((await readRecipeFromFile(small))?.vaeTiling, undefined);
  });

  const refused: [string, string, RegExp][] = [
    ['off the 32 px grid', '40', /--vae-tile-size: the VAE tile size 40 is not a multiple of 32 pixels .*try 32 or 64/],
    ['below the smallest tile', '16', /--vae-tile-size: the VAE tile size must be a whole number of pixels from 32 to 4096, got 16/],
    ['not a number', 'big', /--vae-tile-size expects a whole number, got "big"/],
  ];
  for (const [name, size, message] of refused) {
    test(`a tile size ${name} is a usage error`, async () => {
      const result = await runCli(generate(join(work, 'refused.png'), ['--vae-tile-size', size]));
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /loading model/);
    });
  }
});
