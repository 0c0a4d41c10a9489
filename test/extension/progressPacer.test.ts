import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROGRESS_INTERVAL_MS, ProgressPacer } from '../../src/extension/jobs/progressPacer';

test('fast steps are shown once per interval, the first and the last always', () => {
  const pacer = new ProgressPacer();
  const shown: number[] = [];
  for (let step = 1; step <= 30; step++) if (pacer.admit('a', step, 30, step * 10)) shown.push(step);
  const every = PROGRESS_INTERVAL_MS / 10;
  assert.deepEqual(shown, [1, 1 + every, 30]);
});

test('slow steps are all shown', () => {
  const pacer = new ProgressPacer();
  const shown = [1, 2, 3, 4].filter((step) => pacer.admit('a', step, 4, step * PROGRESS_INTERVAL_MS));
  assert.deepEqual(shown, [1, 2, 3, 4]);
});

test('jobs are paced each on its own, and a new run of a job id starts afresh', () => {
  const pacer = new ProgressPacer();
  assert.ok(pacer.admit('a', 1, 10, 0));
  assert.ok(pacer.admit('b', 1, 10, 5));
  assert.ok(!pacer.admit('a', 2, 10, 10));
  pacer.forget('a');
  assert.ok(pacer.admit('a', 1, 10, 20));
});
