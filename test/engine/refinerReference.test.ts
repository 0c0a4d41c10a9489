// The base→refiner hand-off arithmetic and SDXL time ids against diffusers' own code, run by
// test/fixtures/refiner/make_reference.py: StableDiffusionXLPipeline's denoising_end block,
// StableDiffusionXLImg2ImgPipeline.get_timesteps with denoising_start, and both pipelines'
// _get_add_time_ids, executed unmodified on our schedulers' timesteps. Everything is exact.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test, type TestContext } from 'node:test';
import { EngineError } from '../../src/engine/errors';
import { readModelFolder, type ModelFolder } from '../../src/engine/models/modelFolder';
import { resolveSettings } from '../../src/engine/models/generationSettings';
import { checkTimeIdWidth, sdxlTimeIds } from '../../src/engine/pipelines/microConditioning';
import { refinerBeginIndex, stepsBeforeCutoff } from '../../src/engine/pipelines/baseToRefiner';
import { createScheduler, type Scheduler } from '../../src/engine/schedulers/scheduler';
import { repoRoot, skipWithoutFile } from '../support/shared';
import { CONFIGS, type InputSchedule } from '../fixtures/refiner/writeTimestepsInput';
import { tempFolder } from '../support/tempFolder';
import { buildTinySdxl, buildTinySdxlRefiner } from '../support/tinyModels';

const DIR = join(repoRoot, 'test', 'fixtures', 'refiner');
const FIXTURE = join(DIR, 'refiner_reference.json');
const INPUT = join(DIR, 'timesteps_input.json');
/** A schedule as timesteps_input.json and the reference record it. */
type Schedule = Omit<InputSchedule, 'torch_dtype'>;

interface Reference {
  source: { repository: string; commit: string; diffusers_version: string };
  made_with: { python: string; torch: string };
  input: { configs: Record<string, Record<string, unknown>> };
  schedules: Schedule[];
  hand_offs: {
    schedule: string;
    fraction: number;
    base_steps: number;
    base_last: number | null;
    refiner_t_start: number;
    /** What get_timesteps passed to scheduler.set_begin_index. */
    refiner_begin_index: number[];
    refiner_steps: number;
    refiner_first: number | null;
  }[];
  time_ids: {
    height: number;
    width: number;
    aesthetic_score: number;
    negative_aesthetic_score: number;
    pipeline: 'img2img' | 'base';
    requires_aesthetics_score: boolean | null;
    positive: number[];
    negative: number[];
  }[];
  time_id_mismatches: { requires_aesthetics_score: boolean; unet_time_ids: number; error: string | null }[];
}

const skip = skipWithoutFile(FIXTURE, 'the refiner hand-off reference (run test/fixtures/refiner/make_reference.py)');
const reference = (): Reference => JSON.parse(readFileSync(FIXTURE, 'utf8')) as Reference;

/** Our scheduler for a schedule; a second-order stand-in carries only what the hand-off reads. */
function schedulerFor(schedule: Schedule): Scheduler {
  if (schedule.order2_from !== undefined) {
    return {
      timesteps: Float64Array.from(schedule.timesteps),
      order: 2,
      config: { num_train_timesteps: schedule.num_train_timesteps },
    } as unknown as Scheduler;
  }
  const scheduler = createScheduler(schedule.sampler, CONFIGS[schedule.config], { karras: schedule.karras });
  scheduler.setTimesteps(schedule.steps);
  return scheduler;
}

describe("diffusers' SDXL base→refiner hand-off", { skip }, () => {
  test('the input timesteps are what createScheduler gives now', (t: TestContext) => {
    const { source, made_with, input, schedules } = reference();
    t.diagnostic(`diffusers ${source.diffusers_version}, ${source.repository} @ ${source.commit}; torch ${made_with.torch}`);
    assert.deepEqual(input.configs, CONFIGS, 'the scheduler configs the fixture was made with');
    // The input file is what the device read; a regenerated one needs the reference rerun.
    assert.deepEqual((JSON.parse(readFileSync(INPUT, 'utf8')) as { schedules: Schedule[] }).schedules, schedules, 'timesteps_input.json');
    for (const schedule of schedules) {
      if (schedule.order2_from !== undefined) {
        const from = schedules.find((s) => s.key === schedule.order2_from);
        assert.ok(from, schedule.key);
        assert.deepEqual(schedule.timesteps, [from.timesteps[0], ...from.timesteps.slice(1).flatMap((v) => [v, v])], schedule.key);
        continue;
      }
      const scheduler = schedulerFor(schedule);
      assert.deepEqual([...scheduler.timesteps], schedule.timesteps, `${schedule.key}: timesteps`);
      assert.equal(scheduler.order, schedule.order, `${schedule.key}: order`);
      assert.equal(scheduler.config.num_train_timesteps, schedule.num_train_timesteps, `${schedule.key}: num_train_timesteps`);
    }
  });

  test('steps the base runs (denoising_end) and where the refiner begins (denoising_start)', (t: TestContext) => {
    const { schedules, hand_offs } = reference();
    const byKey = new Map(schedules.map((s) => [s.key, s]));
    let split = 0;
    for (const entry of hand_offs) {
      const what = `${entry.schedule} at ${entry.fraction}`;
      const schedule = byKey.get(entry.schedule);
      assert.ok(schedule, what);
      const scheduler = schedulerFor(schedule);
      const baseSteps = stepsBeforeCutoff(scheduler, entry.fraction);
      const begin = refinerBeginIndex(scheduler, entry.fraction);
      assert.equal(baseSteps, entry.base_steps, `${what}: base steps`);
      assert.equal(begin, entry.refiner_t_start, `${what}: refiner t_start`);
      assert.deepEqual([begin], entry.refiner_begin_index, `${what}: set_begin_index`);
      assert.equal(scheduler.timesteps.length - begin, entry.refiner_steps, `${what}: refiner steps`);
      assert.equal(baseSteps > 0 ? scheduler.timesteps[baseSteps - 1] : null, entry.base_last, `${what}: last base timestep`);
      assert.equal(begin < scheduler.timesteps.length ? scheduler.timesteps[begin] : null, entry.refiner_first, `${what}: first refiner timestep`);
      if (entry.base_steps > 0 && entry.refiner_steps > 0) split++;
    }
    t.diagnostic(`${hand_offs.length} hand-offs over ${schedules.length} schedules, ${split} with both sides running`);
  });
});

describe("diffusers' SDXL time ids", { skip }, () => {
  const work = tempFolder('sdxl-refiner-reference');
  let base: ModelFolder;
  let refiner: ModelFolder;

  before(() => {
    buildTinySdxl(join(work, 'base'));
    buildTinySdxlRefiner(join(work, 'refiner'));
    base = readModelFolder(join(work, 'base'));
    refiner = readModelFolder(join(work, 'refiner'));
  });

  test('_get_add_time_ids of both pipelines, with and without aesthetic scores', () => {
    const { time_ids } = reference();
    for (const entry of time_ids) {
      const what = `${entry.pipeline} ${entry.height}×${entry.width} requires_aesthetics_score=${entry.requires_aesthetics_score}`;
      const size = { prompt: 'x', seed: 1, width: entry.width, height: entry.height };
      const ids =
        entry.requires_aesthetics_score === true
          ? sdxlTimeIds(
              refiner,
              resolveSettings(
                { ...size, aestheticScore: entry.aesthetic_score, negativeAestheticScore: entry.negative_aesthetic_score },
                refiner,
              ),
            )
          : sdxlTimeIds(base, resolveSettings(size, base));
      assert.ok(ids, what);
      assert.deepEqual(ids.positive, entry.positive, `${what}: positive`);
      assert.deepEqual(ids.negative, entry.negative, `${what}: negative`);
    }
  });

  test("the refiner's default scores are __call__'s (aesthetic_score 6.0, negative 2.5)", () => {
    const { time_ids } = reference();
    const entry = time_ids.find(
      (e) => e.requires_aesthetics_score === true && e.aesthetic_score === 6 && e.negative_aesthetic_score === 2.5,
    );
    assert.ok(entry);
    const ids = sdxlTimeIds(refiner, resolveSettings({ prompt: 'x', seed: 1, width: entry.width, height: entry.height }, refiner));
    assert.deepEqual(ids, { positive: entry.positive, negative: entry.negative });
  });

  test('a requires_aesthetics_score that does not fit the UNet is refused, as diffusers refuses it', () => {
    const { time_id_mismatches } = reference();
    for (const entry of time_id_mismatches) {
      const what = `requires_aesthetics_score=${entry.requires_aesthetics_score} with a UNet of ${entry.unet_time_ids} time ids`;
      assert.notEqual(entry.error, null, `${what}: diffusers raised`);
      const model = entry.requires_aesthetics_score ? refiner : base;
      const ids = sdxlTimeIds(model, resolveSettings({ prompt: 'x', seed: 1 }, model));
      assert.ok(ids, what);
      assert.throws(() => checkTimeIdWidth(model, entry.unet_time_ids, ids), EngineError, what);
      assert.doesNotThrow(() => checkTimeIdWidth(model, ids.positive.length, ids), `${what}: the fitting width`);
    }
  });
});
