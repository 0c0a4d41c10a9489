// The pndm sampler against numbers from diffusers' own PNDMScheduler, made by
// test/fixtures/pndm/make_reference.py: timesteps exactly, whole toy sampling loops (the shared
// reference's loop) and image-to-image loops on the sliced schedule to a relative 1e-6.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { firstStepIndex } from '../../src/engine/pipelines/imageToImage';
import { TorchGenerator } from '../../src/engine/random/torchGenerator';
import { createScheduler } from '../../src/engine/schedulers/scheduler';
import { assertFinalLatents, runTrajectory, toyLoop, type FinalLatents } from '../support/schedulerChecks';
import { repoRoot, skipWithoutFile } from '../support/shared';

const FIXTURE = join(repoRoot, 'test', 'fixtures', 'pndm', 'pndm_reference.json');
const TOLERANCE = 1e-6;

interface Reference {
  source: { repository: string; commit: string; diffusers_version: string };
  /** PNDMScheduler(**config) keyword arguments, read here as a scheduler_config.json. */
  configs: Record<string, Record<string, unknown>>;
  /** "<config>/<steps>": diffusers' timesteps, or the error its set_timesteps raised. */
  schedules: Record<string, { timesteps: number[] } | { error: string }>;
  trajectories: (FinalLatents & { config: string; steps: number; seed: number; shape: number[]; timesteps: number[] })[];
  img2img: (FinalLatents & {
    config: string;
    steps: number;
    strength: number;
    seed: number;
    shape: number[];
    t_start: number;
    timesteps: number[];
    noised: FinalLatents;
  })[];
}

const skip = skipWithoutFile(FIXTURE, 'the PNDM reference (run test/fixtures/pndm/make_reference.py)');
const reference = (): Reference => JSON.parse(readFileSync(FIXTURE, 'utf8')) as Reference;

describe("diffusers' PNDMScheduler", { skip }, () => {
  test('set_timesteps for every config and step count, refusals included', (t: TestContext) => {
    const { source, configs, schedules } = reference();
    t.diagnostic(`diffusers ${source.diffusers_version}, ${source.repository} @ ${source.commit}`);
    for (const [key, expected] of Object.entries(schedules)) {
      const [name, steps] = key.split('/');
      const scheduler = createScheduler('pndm', configs[name]);
      if ('error' in expected) {
        assert.throws(() => scheduler.setTimesteps(Number(steps)), RangeError, `${key}: diffusers refused (${expected.error})`);
      } else {
        scheduler.setTimesteps(Number(steps));
        assert.deepEqual([...scheduler.timesteps], expected.timesteps, key);
      }
    }
  });

  test('toy sampling loops: final latents', (t: TestContext) => {
    const { configs, trajectories } = reference();
    let worst = 0;
    for (const entry of trajectories) {
      const what = `${entry.config}/${entry.steps}/seed ${entry.seed}`;
      const scheduler = createScheduler('pndm', configs[entry.config]);
      const latents = runTrajectory(scheduler, entry);
      assert.deepEqual([...scheduler.timesteps], entry.timesteps, `${what}: timesteps`);
      worst = Math.max(worst, assertFinalLatents(latents, entry, what, TOLERANCE));
    }
    t.diagnostic(`${trajectories.length} loops, worst relative error ${worst.toExponential(2)}`);
  });

  test('image-to-image: get_timesteps, add_noise at the first kept timestep, then the sliced loop', (t: TestContext) => {
    const { configs, img2img } = reference();
    let worst = 0;
    for (const entry of img2img) {
      const what = `${entry.config}/${entry.steps}/strength ${entry.strength}/seed ${entry.seed}`;
      const scheduler = createScheduler('pndm', configs[entry.config]);
      scheduler.setTimesteps(entry.steps);
      const begin = firstStepIndex(entry.steps, entry.strength) * scheduler.order;
      assert.equal(begin, entry.t_start, `${what}: t_start`);
      assert.deepEqual([...scheduler.timesteps.subarray(begin)], entry.timesteps, `${what}: timesteps`);
      const generator = new TorchGenerator(entry.seed);
      const original = generator.randn(entry.shape);
      const noise = generator.randn(entry.shape);
      scheduler.setBeginIndex(begin);
      const noised = scheduler.addNoise(original, noise, scheduler.timesteps[begin]);
      worst = Math.max(worst, assertFinalLatents(noised, entry.noised, `${what}: noised`, TOLERANCE));
      const latents = toyLoop(scheduler, noised, generator, entry.shape, begin);
      worst = Math.max(worst, assertFinalLatents(latents, entry, what, TOLERANCE));
    }
    t.diagnostic(`${img2img.length} loops, worst relative error ${worst.toExponential(2)}`);
  });
});
