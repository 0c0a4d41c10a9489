// The form when the model changes: each family's own settings, refiners only where they fit,
// and Generate held back for a refiner without a picture.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_REFINER_START } from '../../src/protocol/refiner';
import type { InitImage, ModelChoice, ModelDefaults, PanelSettings } from '../../src/protocol/panelProtocol';
import { generateBlocker, REFINER_NEEDS_AN_IMAGE } from '../../webview/generateReadiness';
import { modelLabel } from '../../webview/modelLabel';
import { PLACEHOLDER_SETTINGS, reducePanelState, rewritesForm, type PanelAction, type PanelState } from '../../webview/panelState';
import { persistPanelState, restorePanelState } from '../../webview/persistedState';
import { refinerChoices, refinerStartHint } from '../../webview/refiner';
import { run } from '../support/panelReducer';

const sdxlDefaults: ModelDefaults = {
  width: 1024, height: 1024, steps: 30, guidance: 5, sampler: 'euler', imageToImage: { steps: 30, guidance: 5, strength: 0.5 },
};
const base: ModelChoice = { dir: '/m/base', label: 'base', family: 'sdxl', familyLabel: 'SDXL', sizeMultiple: 32, defaults: sdxlDefaults };
const turbo: ModelChoice = {
  dir: '/m/turbo', label: 'turbo', family: 'sdxl', familyLabel: 'SDXL Turbo', sizeMultiple: 32,
  defaults: { width: 512, height: 512, steps: 1, guidance: 0, sampler: 'euler-a', imageToImage: { steps: 2, guidance: 0, strength: 0.5 } },
};
const sd: ModelChoice = {
  dir: '/m/sd', label: 'sd15', family: 'sd', familyLabel: 'SD 1.x', sizeMultiple: 64,
  defaults: { width: 512, height: 512, steps: 30, guidance: 7.5, sampler: 'ddim', imageToImage: { steps: 30, guidance: 7.5, strength: 0.5 } },
};
const refiner: ModelChoice = {
  dir: '/m/refiner', label: 'refiner', family: 'sdxl-refiner', familyLabel: 'SDXL refiner', sizeMultiple: 32,
  defaults: { ...sdxlDefaults, imageToImage: { steps: 30, guidance: 5, strength: 0.3 } },
};
const broken: ModelChoice = { dir: '/m/broken', label: 'broken', problem: 'unet/model.onnx is missing' };
const models = [base, turbo, sd, refiner, broken];
const defaults: PanelSettings = { ...PLACEHOLDER_SETTINGS, modelDir: base.dir };
const picture: InitImage = { path: '/ws/fox.png', src: 'https://webview/fox.png', label: 'fox.png', width: 700, height: 500 };

const init: PanelAction = { type: 'init', models, defaults, gallery: [] };
const typed: PanelAction = { type: 'edit', settings: { prompt: 'a fox', negativePrompt: 'blurry', seedMode: 'fixed', seed: 42 } };
const choose = (modelDir: string): PanelAction => ({ type: 'edit', settings: { modelDir } });

/** The fields a model brings, in one array for short assertions. */
const modelFields = ({ settings }: PanelState) =>
  [settings.width, settings.height, settings.steps, settings.guidance, settings.sampler, settings.strength];

describe('choosing another model', () => {
  test('brings its size, steps, guidance and sampler, and keeps what the user wrote', () => {
    const state = run(init, typed, { type: 'numberField', field: 'steps', value: 40 }, choose(turbo.dir));
    assert.deepEqual(modelFields(state), [512, 512, 1, 0, 'euler-a', 0.5]);
    assert.deepEqual(
      [state.settings.prompt, state.settings.negativePrompt, state.settings.seedMode, state.settings.seed],
      ['a fox', 'blurry', 'fixed', 42],
    );
    assert.equal(state.customSize, true, '512 × 512 is no SDXL bucket');
    assert.ok(rewritesForm(choose(turbo.dir)), 'the number fields show the new values');

    const back = reducePanelState(state, choose(base.dir));
    assert.deepEqual(modelFields(back), [1024, 1024, 30, 5, 'euler', 0.5]);
    assert.equal(back.customSize, false);
  });

  test('a first open takes the host defaults as they are; a restored form keeps its own values', () => {
    assert.deepEqual(run(init).settings, defaults);
    const restored = restorePanelState(persistPanelState(run(init, typed, { type: 'numberField', field: 'steps', value: 12 })));
    assert.equal(reducePanelState(restored, init).settings.steps, 12);
  });

  test('a restored model that is gone gives way to the default with its settings', () => {
    const onTurbo = run(init, choose(turbo.dir));
    const reloaded = reducePanelState(onTurbo, { ...init, models: [base, sd] } as PanelAction);
    assert.equal(reloaded.settings.modelDir, base.dir);
    assert.deepEqual(modelFields(reloaded), [1024, 1024, 30, 5, 'euler', 0.5]);
  });

  test('a model that arrives selected (a download) brings its settings; a new list alone does not', () => {
    const state = run(init, { type: 'numberField', field: 'steps', value: 12 });
    assert.equal(reducePanelState(state, { type: 'models', models }).settings.steps, 12);
    const selected = reducePanelState(state, { type: 'models', models, selected: turbo.dir });
    assert.deepEqual(modelFields(selected), [512, 512, 1, 0, 'euler-a', 0.5]);
  });

  test('a recipe\'s own values win over its model\'s defaults', () => {
    const state = run(init, { type: 'applySettings', settings: { modelDir: turbo.dir, steps: 4, guidance: 1, width: 768, height: 768 } });
    assert.deepEqual(modelFields(state), [768, 768, 4, 1, 'euler-a', 0.5]);
  });

  test('in image to image the size follows the picture, and steps and strength are the model\'s for that mode', () => {
    const state = run(init, { type: 'imageToImage', image: picture, settings: {} }, choose(refiner.dir));
    assert.deepEqual(modelFields(state), [672, 480, 30, 5, 'euler', 0.3]);
    assert.equal(state.settings.initImage, picture.path);
  });

  test('steps still at a model\'s default follow the mode: Turbo runs 1 step from a prompt, 2 from a picture', () => {
    const onTurbo = run(init, choose(turbo.dir));
    const fromPicture = reducePanelState(onTurbo, { type: 'imageToImage', image: picture, settings: {} });
    assert.equal(fromPicture.settings.steps, 2);
    assert.equal(generateBlocker(fromPicture), undefined, 'int(2 × 0.5) runs one step');
    const back = reducePanelState(fromPicture, { type: 'leaveImageToImage' });
    assert.equal(back.settings.steps, 1);
    assert.ok(rewritesForm({ type: 'leaveImageToImage' }));

    const chosen = run(init, choose(turbo.dir), { type: 'numberField', field: 'steps', value: 4 }, { type: 'imageToImage', image: picture, settings: {} });
    assert.equal(chosen.settings.steps, 4, 'a value the user chose stays');
  });
});

describe('refiner', () => {
  test('an SDXL base offers every other SDXL-family model that loads, refiner folders first', () => {
    assert.deepEqual(refinerChoices(models, base.dir).map((m) => m.dir), [refiner.dir, turbo.dir]);
    assert.deepEqual(refinerChoices(models, sd.dir), [], 'SD takes no refiner');
    assert.deepEqual(refinerChoices(models, refiner.dir), [], 'nor does a refiner on its own');
  });

  test('a refiner is dropped when the model changes to one that cannot have it, or when it is gone', () => {
    const refined = run(init, { type: 'edit', settings: { refinerDir: refiner.dir, refinerStart: 0.7 } });
    assert.equal(refined.settings.refinerDir, refiner.dir);
    assert.equal(reducePanelState(refined, choose(turbo.dir)).settings.refinerDir, refiner.dir, 'Turbo is an SDXL base too');
    assert.equal(reducePanelState(refined, choose(sd.dir)).settings.refinerDir, '');
    assert.equal(reducePanelState(refined, { type: 'models', models: [base, turbo] }).settings.refinerDir, '');
    assert.equal(reducePanelState(refined, { type: 'edit', settings: { refinerDir: base.dir } }).settings.refinerDir, '', 'not itself');
  });

  test('a refiner model cannot draw from a prompt alone, but refines a picture', () => {
    const fromPrompt = run(init, choose(refiner.dir));
    assert.equal(generateBlocker(fromPrompt), REFINER_NEEDS_AN_IMAGE);
    assert.match(REFINER_NEEDS_AN_IMAGE, /Image to Image…/);
    const fromPicture = reducePanelState(fromPrompt, { type: 'imageToImage', image: picture, settings: {} });
    assert.equal(generateBlocker(fromPicture), undefined);
  });

  test('labels and hints', () => {
    assert.equal(modelLabel(turbo), 'turbo — SDXL Turbo');
    assert.equal(modelLabel(broken), 'broken');
    assert.equal(refinerStartHint(0.8), 'The base runs the first 80% of the schedule, the refiner the last 20%.');
  });
});

describe('settings saved by an older panel', () => {
  test('take prompt weighting on, no refiner and the engine\'s refiner start', () => {
    const { promptWeighting: _w, refinerDir: _r, refinerStart: _s, tiling: _t, ...older } = defaults;
    const restored = restorePanelState({ version: 1, settings: older, customSize: false, models: [], gallery: [], tokens: { prompt: [], negativePrompt: [] } });
    assert.equal(restored.settingsKnown, true);
    assert.equal(restored.settings.tiling, 'off');
    assert.deepEqual([restored.settings.promptWeighting, restored.settings.refinerDir, restored.settings.refinerStart], [true, '', DEFAULT_REFINER_START]);
    assert.equal(restored.tokens.weighting, false);
    assert.equal(reducePanelState(restored, init).settings.promptWeighting, true);
  });
});
