// Each model family end to end through the built CLI, with the family's own defaults.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { runCli } from '../support/cli';
import { tempFolder } from '../support/tempFolder';
import { tinyModelFolders } from '../support/tinyModelFolders';
import { buildTinySd, buildTinySdxl, LCM_SCHEDULER_CONFIG, TURBO_SCHEDULER_CONFIG } from '../support/tinyModels';

const work = tempFolder('sdxl-cli-families');
const models: Record<string, string> = tinyModelFolders(work, {
  'sd15': (dir) => buildTinySd(dir, { version: 1 }),
  'sd2-v': (dir) => buildTinySd(dir, { version: 2, sampleSize: 6 }),
  'sd-turbo': (dir) => buildTinySd(dir, { version: 2, scheduler: TURBO_SCHEDULER_CONFIG, sampleSize: 4 }),
  'sdxl-turbo': (dir) => buildTinySdxl(dir, { scheduler: TURBO_SCHEDULER_CONFIG, sampleSize: 4 }),
  'lcm': (dir) => buildTinySd(dir, { version: 1, scheduler: LCM_SCHEDULER_CONFIG, timeCondProjDim: 8, sampleSize: 4 }),
});

describe('sdxl-assets with each model family', () => {
  const cases: Array<[string, string, { steps: number; guidance: number; sampler: string; size: number }]> = [
    ['sd15', 'sd (SD 1.x)', { steps: 30, guidance: 7.5, sampler: 'pndm', size: 64 }],
    ['sd2-v', 'sd (SD 2.x, v-prediction)', { steps: 30, guidance: 7.5, sampler: 'ddim', size: 48 }],
    ['sd-turbo', 'sd (SD 2.x Turbo)', { steps: 1, guidance: 0, sampler: 'euler-a', size: 32 }],
    ['sdxl-turbo', 'sdxl (SDXL Turbo)', { steps: 1, guidance: 0, sampler: 'euler-a', size: 32 }],
    ['lcm', 'sd (SD 1.x LCM)', { steps: 4, guidance: 8.5, sampler: 'lcm', size: 32 }],
  ];
  for (const [name, family, defaults] of cases) {
    test(`${name}: info names the family and generate uses its defaults`, async () => {
      const info = await runCli(['info', '--model', models[name]]);
      assert.equal(info.code, 0, info.stderr);
      assert.ok(info.stdout.includes(`family: ${family}`), info.stdout);
      const out = join(work, `${name}.png`);
      const result = await runCli(['generate', '--model', models[name], '--prompt', 'hello cat', '--seed', '3', '--out', out]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.trim(), out);
      const meta = await sharp(out).metadata();
      assert.equal(meta.width, defaults.size);
      assert.equal(meta.height, defaults.size);
      const recipe = await readRecipeFromFile(out);
      assert.ok(recipe);
      assert.equal(recipe.steps, defaults.steps);
      assert.equal(recipe.guidance, defaults.guidance);
      assert.equal(recipe.sampler, defaults.sampler);
    });
  }

  test('--prompt-weighting and --guidance-rescale travel in the recipe and regenerate the same bytes', async () => {
    const out = join(work, 'weighted.png');
    const args = ['generate', '--model', models.sd15, '--prompt', 'hello (cat:1.3) [bat]', '--steps', '3', '--guidance', '6'];
    const result = await runCli([...args, '--seed', '9', '--prompt-weighting', '--guidance-rescale', '0.5', '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    const recipe = await readRecipeFromFile(out);
    assert.equal(recipe?.promptWeighting, true);
    assert.equal(recipe?.guidanceRescale, 0.5);
    const again = join(work, 'weighted-again.png');
    const regenerated = await runCli(['generate', '--model', models.sd15, '--recipe', out, '--out', again]);
    assert.equal(regenerated.code, 0, regenerated.stderr);
    assert.deepEqual(readFileSync(again), readFileSync(out));
    const plain = join(work, 'unweighted.png');
    assert.equal((await runCli([...args, '--seed', '9', '--out', plain])).code, 0);
    assert.notDeepEqual(readFileSync(plain), readFileSync(out));
  });

  test('a malformed prompt weight and an out-of-range rescale are one-line errors', async () => {
    const base = ['generate', '--model', models.sd15, '--steps', '1', '--out', join(work, 'bad.png')];
    const weight = await runCli([...base, '--prompt', '(cat:1.2.3)', '--prompt-weighting']);
    assert.equal(weight.code, 1);
    assert.match(weight.stderr, /prompt weight "1\.2\.3" .* is not a number/);
    const rescale = await runCli([...base, '--prompt', 'cat', '--guidance-rescale', '2']);
    assert.equal(rescale.code, 1);
    assert.match(rescale.stderr, /guidance rescale must be a number from 0 to 1/);
  });

  test('Turbo image-to-image: 2 steps by default at strength 0.5, and a clear message when no step would run', async () => {
    const input = join(work, 'sd-turbo.png');
    const out = join(work, 'turbo-img2img.png');
    const ok = await runCli(['generate', '--model', models['sd-turbo'], '--prompt', 'cat', '--init-image', input, '--seed', '1', '--out', out]);
    assert.equal(ok.code, 0, ok.stderr);
    const recipe = await readRecipeFromFile(out);
    assert.equal(recipe?.steps, 2);
    const none = await runCli(['generate', '--model', models['sd-turbo'], '--prompt', 'cat', '--init-image', input, '--steps', '1', '--out', join(work, 'x.png')]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /strength 0\.5 of 1 steps leaves no denoising step .* use at least 2 steps/);
  });
});
