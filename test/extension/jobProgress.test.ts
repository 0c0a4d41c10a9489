import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobProgress } from '../../src/extension/jobs/jobProgress';
import { settingsSummary } from '../../src/extension/jobs/settingsSummary';
import type { PanelSettings } from '../../src/protocol/panelProtocol';

test('a progress notification follows its own job: phases, then step i/n with the bar', () => {
  const progress = new JobProgress('mine');
  assert.deepEqual(progress.next({ type: 'phase', jobId: 'mine', phase: 'load' }), { message: 'Loading the model…', increment: 0 });
  assert.equal(progress.next({ type: 'phase', jobId: 'other', phase: 'encode' }), undefined);
  assert.equal(progress.next({ type: 'queue', items: [] }), undefined);
  const step = (n: number) => progress.next({ type: 'progress', jobId: 'mine', step: n, total: 4, itPerSecond: 1, etaSeconds: 1 });
  assert.deepEqual(step(1), { message: 'step 1/4', increment: 25 });
  assert.deepEqual(step(3), { message: 'step 3/4', increment: 50 });
  // A repeated step never moves the bar back.
  assert.deepEqual(step(2), { message: 'step 2/4', increment: 0 });
  assert.deepEqual(step(4), { message: 'step 4/4', increment: 25 });
  assert.deepEqual(progress.next({ type: 'phase', jobId: 'mine', phase: 'decode' }), { message: 'Decoding the image…', increment: 0 });
});

test('the quick input names the settings it will use', () => {
  const settings: PanelSettings = {
    modelDir: '/m', prompt: '', negativePrompt: '', width: 1216, height: 832, steps: 30, guidance: 5,
    sampler: 'dpmpp-2m', karras: true, seedMode: 'random', seed: 0, batch: 1, strength: 0.5, inpaintStrength: 1,
    promptWeighting: false, refinerDir: '', refinerStart: 0.8, tiling: 'off',
  };
  assert.equal(settingsSummary(settings, 'sdxl-base'), 'sdxl-base · 1216×832 · 30 steps · dpmpp-2m Karras · guidance 5 · random seed');
  assert.match(settingsSummary({ ...settings, seedMode: 'fixed', seed: 42 }, 'm'), / · seed 42$/);
  assert.match(settingsSummary({ ...settings, seedMode: 'last' }, 'm'), / · last seed$/);
  assert.match(settingsSummary({ ...settings, tiling: 'both' }, 'm'), / · seamless tiles$/);
  assert.match(settingsSummary({ ...settings, tiling: 'y' }, 'm'), / · seamless y$/);
  assert.equal(
    settingsSummary({ ...settings, promptWeighting: true, refinerDir: '/models/sdxl-refiner', refinerStart: 0.7 }, 'sdxl-base'),
    'sdxl-base · refiner sdxl-refiner from 0.7 · 1216×832 · 30 steps · dpmpp-2m Karras · guidance 5 · random seed · prompt weighting',
  );
});
