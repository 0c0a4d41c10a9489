// The SDXL refiner on the test suite's tiny models: its own conditioning (text_encoder_2 alone,
// aesthetic-score time ids), image-to-image on its own, and the base→refiner hand-off, checked
// by construction: a hand-off to a copy of the base must reproduce the base's own run exactly.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Engine, type GenerateRequest } from '../../src/engine/engine';
import { EngineError } from '../../src/engine/errors';
import { readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { writeImage } from '../../src/engine/image/writeImage';
import { familyLabel, readModelFolder } from '../../src/engine/models/modelFolder';
import { resolveSettings } from '../../src/engine/models/generationSettings';
import { sdxlTimeIds } from '../../src/engine/pipelines/microConditioning';
import { refinerBeginIndex, stepsBeforeCutoff } from '../../src/engine/pipelines/baseToRefiner';
import { createScheduler } from '../../src/engine/schedulers/scheduler';
import { runCli } from '../support/cli';
import { maxAbsDiff } from '../support/maxAbsDiff';
import { tempFolder } from '../support/tempFolder';
import { tinyModelFolders } from '../support/tinyModelFolders';
import { buildTinySd, buildTinySdxl, buildTinySdxlRefiner, SDXL_SCHEDULER_CONFIG } from '../support/tinyModels';

const engine = new Engine({ provider: 'cpu', lowMemory: false });
// Before the folder's removal: the engine lets go of the model files first.
after(() => engine.unload());
const work = tempFolder('sdxl-refiner');
const dirs = tinyModelFolders(work, {
  base: (dir) => buildTinySdxl(dir),
  // The same weights in another folder: a "refiner" that must continue exactly where the base stops.
  baseCopy: (dir) => buildTinySdxl(dir),
  refiner: (dir) => buildTinySdxlRefiner(dir),
  sd: (dir) => buildTinySd(dir, { version: 1 }),
});
const input = join(work, 'input.png');

before(async () => {
  const image = await engine.generate({ modelDir: dirs.base, prompt: 'a lighthouse', width: 32, height: 32, seed: 3, steps: 4 });
  await writeImage(input, image.rgb, image.width, image.height, { format: 'png' });
});

async function refine(request: Partial<GenerateRequest> = {}): Promise<Float32Array> {
  const image = await engine.generate({ modelDir: dirs.refiner, prompt: 'a lighthouse, detailed', seed: 9, initImage: input, ...request });
  return image.latents;
}

describe('refiner conditioning', () => {
  test('a refiner folder is text_encoder_2 alone with aesthetic-score time ids', () => {
    const model = readModelFolder(dirs.refiner);
    assert.equal(model.family, 'sdxl-refiner');
    assert.equal(familyLabel(model.details), 'SDXL refiner');
    assert.equal(model.details.requiresAestheticsScore, true);
    assert.equal(model.forceZerosForEmptyPrompt, false);
    assert.deepEqual(model.tokenizerDirs, [join(dirs.refiner, 'tokenizer_2')]);
  });

  test("a refiner whose model_index.json does not say requires_aesthetics_score is known by its UNet's config", () => {
    const bare = join(work, 'bare-refiner');
    buildTinySdxlRefiner(bare);
    const indexPath = join(bare, 'model_index.json');
    const { requires_aesthetics_score: _, ...index } = JSON.parse(readFileSync(indexPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(indexPath, JSON.stringify(index));
    assert.equal(readModelFolder(bare).details.requiresAestheticsScore, true);
    const baseIndexPath = join(dirs.baseCopy, 'model_index.json');
    const { requires_aesthetics_score: __, ...baseIndex } = JSON.parse(readFileSync(baseIndexPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(baseIndexPath, JSON.stringify(baseIndex));
    assert.equal(readModelFolder(dirs.baseCopy).details.requiresAestheticsScore, false);
  });

  test('time ids: size, crop, then the target size (base) or the aesthetic score per side (refiner)', () => {
    const settings = resolveSettings({ prompt: 'x', width: 64, height: 32, seed: 1, initImage: 'in.png' }, readModelFolder(dirs.refiner));
    assert.deepEqual(sdxlTimeIds(readModelFolder(dirs.refiner), settings), {
      positive: [32, 64, 0, 0, 6],
      negative: [32, 64, 0, 0, 2.5],
    });
    const scored = { ...settings, aestheticScore: 7.5, negativeAestheticScore: 1 };
    assert.deepEqual(sdxlTimeIds(readModelFolder(dirs.refiner), scored), {
      positive: [32, 64, 0, 0, 7.5],
      negative: [32, 64, 0, 0, 1],
    });
    const base = resolveSettings({ prompt: 'x', width: 64, height: 32, seed: 1 }, readModelFolder(dirs.base));
    const ids = [32, 64, 0, 0, 32, 64];
    assert.deepEqual(sdxlTimeIds(readModelFolder(dirs.base), base), { positive: ids, negative: ids });
    assert.equal(sdxlTimeIds(readModelFolder(dirs.sd), base), undefined);
  });

  test('refiner defaults: strength 0.3 and the scores are recorded; scores elsewhere are refused', () => {
    const settings = resolveSettings({ prompt: 'x', seed: 1, initImage: 'in.png' }, readModelFolder(dirs.refiner), { width: 40, height: 40 });
    assert.equal(settings.strength, 0.3);
    assert.equal(settings.aestheticScore, 6);
    assert.equal(settings.negativeAestheticScore, 2.5);
    assert.equal(resolveSettings({ prompt: 'x', seed: 1 }, readModelFolder(dirs.base)).aestheticScore, undefined);
    assert.throws(
      () => resolveSettings({ prompt: 'x', seed: 1, aestheticScore: 6 }, readModelFolder(dirs.base)),
      /only to a UNet trained with them/,
    );
  });
});

describe('refiner image-to-image', () => {
  test('runs, and the aesthetic score reaches the UNet', async () => {
    const a = await refine();
    assert.deepEqual(await refine(), a, 'deterministic for a seed');
    assert.ok(maxAbsDiff(a, await refine({ aestheticScore: 3 })) > 1e-4);
  });

  test('the negative score feeds the negative branch only', async () => {
    const unguided = await refine({ guidance: 1 });
    assert.deepEqual(await refine({ guidance: 1, negativeAestheticScore: 9 }), unguided);
    const guided = await refine({ guidance: 5 });
    assert.ok(maxAbsDiff(guided, await refine({ guidance: 5, negativeAestheticScore: 9 })) > 1e-4);
  });

  test('a UNet whose time ids disagree with model_index.json is refused with the fix', async () => {
    const broken = join(work, 'broken-refiner');
    buildTinySdxlRefiner(broken);
    const indexPath = join(broken, 'model_index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(indexPath, JSON.stringify({ ...index, requires_aesthetics_score: false }));
    await assert.rejects(
      engine.generate({ modelDir: broken, prompt: 'x', seed: 1, initImage: input }),
      (error: unknown) =>
        error instanceof EngineError && error.code === 'model-folder' && /takes 5 time ids/.test(error.message) && /"requires_aesthetics_score": true/.test(error.message),
    );
  });
});

describe('base→refiner hand-off', () => {
  test("the cutoff follows diffusers' denoising_end / denoising_start (40 leading Euler steps at 0.8: 32 + 8)", () => {
    const scheduler = createScheduler('euler', SDXL_SCHEDULER_CONFIG);
    scheduler.setTimesteps(40);
    // timesteps 976, 951, …, 1; the cutoff is int(round(1000 − 0.8·1000)) = 200.
    assert.equal(stepsBeforeCutoff(scheduler, 0.8), 32);
    assert.equal(refinerBeginIndex(scheduler, 0.8), 32);
    assert.equal(scheduler.timesteps[31], 201);
    // round(999.5) is 1000 in Python (half to even): no timestep reaches it.
    assert.equal(stepsBeforeCutoff(scheduler, 0.0005), 0);
    // round(2.5) = 2: timestep 1 is below it, so the refiner still runs the last step.
    assert.equal(refinerBeginIndex(scheduler, 0.9975), 39);
  });

  for (const sampler of ['euler', 'euler-a'] as const) {
    test(`${sampler}: handing over to the same weights reproduces the base's own run`, async () => {
      const request = { prompt: 'a lighthouse', width: 32, height: 32, seed: 11, steps: 10, sampler };
      const whole = await engine.generate({ modelDir: dirs.base, ...request });
      const split = await engine.generate({ modelDir: dirs.base, refinerDir: dirs.baseCopy, refinerStart: 0.6, ...request });
      assert.equal(maxAbsDiff(split.latents, whole.latents), 0);
      assert.deepEqual(split.rgb, whole.rgb);
      assert.equal(split.recipe.refiner, 'baseCopy');
      assert.equal(split.recipe.refinerStart, 0.6);
    });
  }

  test('with a real refiner: steps are reported as one run and the recipe names both models', async () => {
    const steps: [number, number][] = [];
    const image = await engine.generate(
      { modelDir: dirs.base, refinerDir: dirs.refiner, prompt: 'a lighthouse', width: 32, height: 32, seed: 2, steps: 10 },
      { onStep: ({ step, total }) => steps.push([step, total]) },
    );
    assert.deepEqual(steps, Array.from({ length: 10 }, (_, i) => [i + 1, 10]));
    assert.equal(image.recipe.model, 'base');
    assert.equal(image.recipe.refiner, 'refiner');
    assert.equal(image.recipe.refinerStart, 0.8);
    assert.equal(image.recipe.aestheticScore, 6);
    const alone = await engine.generate({ modelDir: dirs.base, prompt: 'a lighthouse', width: 32, height: 32, seed: 2, steps: 10 });
    assert.ok(maxAbsDiff(image.latents, alone.latents) > 1e-4, 'the refiner changed the last steps');
  });

  test('refuses what diffusers cannot hand over, saying why', async () => {
    const rejects = (request: GenerateRequest, pattern: RegExp) =>
      assert.rejects(engine.generate(request), (error: unknown) => error instanceof EngineError && pattern.test(error.message));
    const common = { prompt: 'x', width: 32, height: 32, seed: 1 };
    await rejects({ modelDir: dirs.sd, refinerDir: dirs.refiner, ...common }, /takes over from an SDXL base/);
    await rejects({ modelDir: dirs.base, refinerDir: dirs.sd, ...common }, /cannot continue SDXL latents/);
    await rejects({ modelDir: dirs.base, refinerDir: dirs.refiner, steps: 2, refinerStart: 0.9999, ...common }, /leaves the refiner no step/);
    await rejects({ modelDir: dirs.base, refinerDir: dirs.refiner, steps: 2, refinerStart: 0.0005, ...common }, /leaves the base no step/);
    await rejects({ modelDir: dirs.base, refinerDir: dirs.refiner, refinerStart: 1, ...common }, /between 0 and 1/);
    await rejects({ modelDir: dirs.base, refinerStart: 0.5, ...common }, /needs a refiner model/);
  });
});

describe('refiner through the CLI', () => {
  test('--refiner writes the image with a recipe that regenerates it byte for byte', async () => {
    const out = join(work, 'refined.png');
    const args = ['--prompt', 'a lighthouse', '--width', '32', '--height', '32', '--steps', '6', '--seed', '4'];
    const first = await runCli(['generate', '--model', dirs.base, '--refiner', dirs.refiner, '--refiner-start', '0.7', ...args, '--out', out]);
    assert.equal(first.code, 0, first.stderr);
    const recipe = await readRecipeFromFile(out);
    assert.equal(recipe?.refiner, 'refiner');
    assert.equal(recipe?.refinerStart, 0.7);
    assert.equal(recipe?.negativeAestheticScore, 2.5);
    const again = join(work, 'again.png');
    const second = await runCli(['generate', '--model', dirs.base, '--recipe', out, '--refiner', dirs.refiner, '--out', again]);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(readFileSync(again), readFileSync(out));
  });

  test('the refiner on its own refines an image and refuses text-to-image', async () => {
    const out = join(work, 'refined-alone.png');
    const ok = await runCli(['generate', '--model', dirs.refiner, '--prompt', 'sharper', '--init-image', input, '--seed', '1', '--out', out]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((await readRecipeFromFile(out))?.strength, 0.3);
    const refused = await runCli(['generate', '--model', dirs.refiner, '--prompt', 'x', '--out', join(work, 'no.png')]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refines an existing image/);
  });

  test('info says how a refiner is used', async () => {
    const info = await runCli(['info', '--model', dirs.refiner]);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /family: sdxl-refiner \(SDXL refiner\)/);
    assert.match(info.stdout, /time ids: size, crop, aesthetic score \(default 6, negative 2\.5\)/);
    assert.match(info.stdout, /use: image-to-image \(--init-image, default strength 0\.3\), or --refiner after an SDXL base/);
  });

  test('usage errors come before any model loads', async () => {
    const start = await runCli(['generate', '--model', dirs.base, '--prompt', 'x', '--refiner-start', '0.5', '--out', join(work, 'x.png')]);
    assert.equal(start.code, 2);
    assert.match(start.stderr, /--refiner-start needs --refiner/);
    const img2img = await runCli(['generate', '--model', dirs.base, '--refiner', dirs.refiner, '--prompt', 'x', '--init-image', input, '--out', join(work, 'y.png')]);
    assert.equal(img2img.code, 2);
    assert.match(img2img.stderr, /give the refiner as --model/);
  });
});
