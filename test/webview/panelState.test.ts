import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GalleryItem, ModelChoice, PanelSettings } from '../../src/protocol/panelProtocol';
import { generateBlocker } from '../../webview/generateReadiness';
import {
  chooseModel,
  initialPanelState,
  needsTokenCount,
  PLACEHOLDER_SETTINGS,
  reducePanelState,
  type PanelAction,
} from '../../webview/panelState';
import { settingsToGenerate } from '../../webview/samplers';
import { run } from '../support/panelReducer';

const base: ModelChoice = { dir: '/models/base', label: 'sdxl-base' };
const turbo: ModelChoice = { dir: '/models/turbo', label: 'sdxl-turbo' };
const broken: ModelChoice = { dir: '/models/broken', label: 'broken', problem: 'unet/model.onnx is missing' };
const defaults: PanelSettings = { ...PLACEHOLDER_SETTINGS, modelDir: base.dir, sampler: 'euler-a' };

function item(name: string, modifiedMs: number, seed?: number): GalleryItem {
  const path = `/ws/assets/${name}.png`;
  const recipe =
    seed === undefined
      ? undefined
      : {
          version: 1 as const,
          model: 'sdxl-base',
          prompt: name,
          negativePrompt: null,
          width: 1024,
          height: 1024,
          steps: 30,
          guidance: 5,
          sampler: 'euler' as const,
          karras: false,
          timestepSpacing: null,
          seed,
        };
  return { path, relativePath: `assets/${name}.png`, src: `https://webview/${name}.png`, modifiedMs, recipe };
}

const init = (overrides: Partial<Extract<PanelAction, { type: 'init' }>> = {}): PanelAction => ({
  type: 'init',
  models: [base, turbo],
  defaults,
  gallery: [],
  ...overrides,
});

describe('panel state', () => {
  test('a fresh panel takes the host defaults and sorts the gallery newest first', () => {
    const state = run(init({ gallery: [item('old', 1), item('new', 3), item('mid', 2)], lastSeed: 7 }));
    assert.equal(state.settingsKnown, true);
    assert.deepEqual(state.settings, defaults);
    assert.deepEqual(
      state.gallery.map((g) => g.relativePath),
      ['assets/new.png', 'assets/mid.png', 'assets/old.png'],
    );
    assert.equal(state.lastSeed, 7);
  });

  test('a restored form survives init, except a model that is gone', () => {
    const typed = run(init(), { type: 'edit', settings: { prompt: 'a fox', modelDir: turbo.dir } });
    const reloaded = reducePanelState({ ...typed, queue: [] }, init());
    assert.equal(reloaded.settings.prompt, 'a fox');
    assert.equal(reloaded.settings.modelDir, turbo.dir);

    const modelRemoved = reducePanelState(typed, init({ models: [base] }));
    assert.equal(modelRemoved.settings.modelDir, base.dir);
    assert.equal(modelRemoved.settings.prompt, 'a fox');
  });

  test('what is typed before the host answers survives init, over the defaults', () => {
    // The form shows at once; init waits for the host to read the model folders.
    const early = run(
      { type: 'edit', settings: { prompt: 'a red fox' } },
      { type: 'numberField', field: 'steps', value: 12 },
      { type: 'numberField', field: 'guidance', value: undefined },
    );
    const state = reducePanelState(early, init());
    assert.deepEqual(state.settings, { ...defaults, prompt: 'a red fox', steps: 12 });
    assert.equal(state.typedBeforeInit, undefined);
  });

  test('a model list selects the new folder, or keeps the current one', () => {
    const state = run(init());
    assert.equal(reducePanelState(state, { type: 'models', models: [base, turbo, broken] }).settings.modelDir, base.dir);
    assert.equal(
      reducePanelState(state, { type: 'models', models: [base, turbo], selected: turbo.dir }).settings.modelDir,
      turbo.dir,
    );
  });

  test('chooseModel prefers the wanted, then the fallback, then the first that loads', () => {
    assert.equal(chooseModel([broken, turbo], base.dir, turbo.dir), turbo.dir);
    assert.equal(chooseModel([broken, turbo], '', ''), turbo.dir);
    assert.equal(chooseModel([broken], '', ''), broken.dir);
    assert.equal(chooseModel([], base.dir, base.dir), '');
  });

  test('progress lives while its job runs and ends with the job', () => {
    const progress: PanelAction = {
      type: 'progress', jobId: 'j1', step: 3, total: 30, itPerSecond: 2, etaSeconds: 13, phase: 'denoise',
    };
    const running = run(
      init(),
      { type: 'queue', items: [{ jobId: 'j1', prompt: 'fox', seed: 1, state: 'running' }] },
      progress,
      { type: 'preview', jobId: 'j1', dataUrl: 'data:image/png;base64,AAAA' },
    );
    assert.equal(running.progress?.step, 3);
    assert.equal(running.preview?.src, 'data:image/png;base64,AAAA');

    const done = reducePanelState(running, { type: 'jobDone', jobId: 'j1', item: item('fox', 10, 1234) });
    assert.equal(done.progress, undefined);
    assert.equal(done.preview?.src, 'https://webview/fox.png');
    assert.equal(done.lastSeed, 1234);
    assert.equal(done.gallery[0]?.relativePath, 'assets/fox.png');

    const tiled = item('wall', 11, 5);
    const doneTiled = reducePanelState(running, { type: 'jobDone', jobId: 'j1', item: { ...tiled, recipe: { ...tiled.recipe!, tiling: 'x' } } });
    assert.equal(doneTiled.preview?.tiling, 'x', 'a seamless image is shown beside copies of itself');
    assert.equal(done.preview?.tiling, undefined);

    const emptied = reducePanelState(running, { type: 'queue', items: [] });
    assert.equal(emptied.progress, undefined);
  });

  test('a failure shows until the next Generate; a cancel clears the preview', () => {
    const failed = run(
      init(),
      { type: 'preview', jobId: 'j1', dataUrl: 'data:x' },
      { type: 'jobFailed', jobId: 'j1', message: 'Out of memory' },
    );
    assert.equal(failed.error, 'Out of memory');
    assert.equal(failed.preview, undefined);
    assert.equal(reducePanelState(failed, { type: 'generateRequested' }).error, undefined);

    const cancelled = run(
      init(),
      { type: 'preview', jobId: 'j2', dataUrl: 'data:x' },
      { type: 'jobCancelled', jobId: 'j2' },
    );
    assert.equal(cancelled.preview, undefined);
  });

  test('only the newest token count request is shown', () => {
    const counts = [{ tokenizer: 'tokenizer', count: 5, limit: 75, chunks: 1 }];
    const state = run(init(), { type: 'tokenCountRequested', requestId: 1 }, { type: 'tokenCountRequested', requestId: 2 });
    const stale = reducePanelState(state, { type: 'tokenCounts', requestId: 1, weighting: true, prompt: counts, negativePrompt: [] });
    assert.deepEqual(stale.tokens.prompt, []);
    const fresh = reducePanelState(state, { type: 'tokenCounts', requestId: 2, weighting: true, prompt: counts, negativePrompt: [] });
    assert.deepEqual(fresh.tokens, { prompt: counts, negativePrompt: [], weighting: true });
  });

  test('typing a prompt or switching model asks for new counts; other edits do not', () => {
    assert.equal(needsTokenCount({ type: 'edit', settings: { prompt: 'x' } }), true);
    assert.equal(needsTokenCount({ type: 'edit', settings: { modelDir: 'x' } }), true);
    assert.equal(needsTokenCount({ type: 'edit', settings: { steps: 4 } }), false);
    assert.equal(needsTokenCount({ type: 'edit', settings: { promptWeighting: false } }), true);
    assert.equal(needsTokenCount({ type: 'applySettings', settings: {} }), true);
  });

  test('a refused number keeps the last good value and blocks Generate', () => {
    const state = run(
      init(),
      { type: 'numberField', field: 'steps', value: 12 },
      { type: 'numberField', field: 'steps', value: undefined },
    );
    assert.equal(state.settings.steps, 12);
    assert.deepEqual(state.invalidFields, ['steps']);
    assert.equal(generateBlocker(state), 'Check steps.');
    const fixed = reducePanelState(state, { type: 'numberField', field: 'steps', value: 20 });
    assert.deepEqual(fixed.invalidFields, []);
    assert.equal(generateBlocker(fixed), undefined);
  });

  test('a bad seed or custom size only blocks while it is used', () => {
    const state = run(
      init(),
      { type: 'numberField', field: 'seed', value: undefined },
      { type: 'numberField', field: 'width', value: undefined },
    );
    assert.equal(generateBlocker(state), undefined);
    const fixedSeed = reducePanelState(state, { type: 'edit', settings: { seedMode: 'fixed' } });
    assert.equal(generateBlocker(fixedSeed), 'Check seed.');
    const custom = reducePanelState(fixedSeed, { type: 'customSize', custom: true });
    assert.equal(generateBlocker(custom), 'Check seed, width.');
  });

  test('Generate waits for the host and needs a usable model', () => {
    assert.equal(generateBlocker(initialPanelState()), 'Connecting to the extension…');
    assert.match(generateBlocker(run(init({ models: [] }))) ?? '', /choose a model folder/);
    const brokenChosen = run(init({ models: [broken], defaults: { ...defaults, modelDir: broken.dir } }));
    assert.equal(generateBlocker(brokenChosen), 'This model folder cannot be used: unet/model.onnx is missing');
  });

  test('settings from the host rewrite the form and pick the custom size when it is no bucket', () => {
    const state = run(init(), {
      type: 'applySettings',
      settings: { width: 1000, height: 600, seedMode: 'fixed', seed: 9 },
    });
    assert.equal(state.customSize, true);
    assert.equal(state.settings.seed, 9);
    const bucket = reducePanelState(state, { type: 'applySettings', settings: { width: 1216, height: 832 } });
    assert.equal(bucket.customSize, false);
  });

  test('Karras only reaches the host with a sampler that uses it', () => {
    const settings = { ...defaults, karras: true };
    assert.equal(settingsToGenerate({ ...settings, sampler: 'dpmpp-2m' }).karras, true);
    assert.equal(settingsToGenerate({ ...settings, sampler: 'ddim' }).karras, false);
  });
});
