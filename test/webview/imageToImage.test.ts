import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { InitImage, ModelChoice, PanelSettings } from '../../src/protocol/panelProtocol';
import { generateBlocker } from '../../webview/generateReadiness';
import { denoisingSteps } from '../../src/protocol/denoisingSteps';
import { fittedSize, strengthHint, strengthText } from '../../webview/imageToImage';
import { PLACEHOLDER_SETTINGS, reducePanelState, rewritesForm, type PanelAction } from '../../webview/panelState';
import { persistPanelState, restorePanelState } from '../../webview/persistedState';
import { settingsToGenerate } from '../../webview/samplers';
import { run } from '../support/panelReducer';

const base: ModelChoice = { dir: '/models/base', label: 'sdxl-base', sizeMultiple: 32 };
const sd15: ModelChoice = { dir: '/models/sd15', label: 'sd15', sizeMultiple: 64 };
const defaults: PanelSettings = { ...PLACEHOLDER_SETTINGS, modelDir: base.dir };
const photo: InitImage = {
  path: '/ws/art/My Photo.jpg',
  src: 'https://file+.vscode-resource.vscode-cdn.net/ws/art/My%20Photo.jpg',
  label: 'art/My Photo.jpg',
  width: 1000,
  height: 750,
};

const init: PanelAction = { type: 'init', models: [base, sd15], defaults, gallery: [] };

describe('image-to-image: form logic', () => {
  test('the size is the picture\'s own, rounded down to the model\'s multiple', () => {
    assert.deepEqual(fittedSize({ width: 1000, height: 750 }, 32), { width: 992, height: 736 });
    assert.deepEqual(fittedSize({ width: 1000, height: 750 }, 64), { width: 960, height: 704 });
    assert.deepEqual(fittedSize({ width: 20, height: 1030 }, 32), { width: 32, height: 1024 });
    assert.deepEqual(fittedSize({ width: 1001, height: 7 }, undefined), { width: 1000, height: 8 });
  });

  test('a picture larger than the size fields allow is scaled down first, keeping its shape', () => {
    assert.deepEqual(fittedSize({ width: 8192, height: 4096 }, 32), { width: 4096, height: 2048 });
  });

  test('the strength decides how many steps run, as diffusers counts them', () => {
    assert.equal(denoisingSteps(30, 0.5), 15);
    assert.equal(denoisingSteps(30, 1), 30);
    assert.equal(denoisingSteps(30, 0.01), 0);
    assert.equal(denoisingSteps(10, 0.3), 3);
    assert.equal(strengthText(0.5), '0.50');
    assert.match(strengthHint(30, 0.5), /^Runs 15 of 30 steps\./);
    assert.match(strengthHint(30, 0.01), /^No step would run/);
  });
});

describe('image-to-image: panel state', () => {
  test('a picture from the host enters the mode with its size fitted to the chosen model', () => {
    const state = run(init, { type: 'imageToImage', image: photo, settings: { prompt: 'a watercolor fox' } });
    assert.equal(state.initImage, photo);
    assert.equal(state.settings.initImage, photo.path);
    assert.equal(state.settings.prompt, 'a watercolor fox');
    assert.deepEqual([state.settings.width, state.settings.height], [992, 736]);
    assert.equal(state.customSize, true);
    assert.equal(state.settings.strength, 0.5);
    assert.equal(rewritesForm({ type: 'imageToImage', image: photo, settings: {} }), true);
  });

  test('the multiple is that of the model the host picked for the picture', () => {
    const state = run(init, { type: 'imageToImage', image: photo, settings: { modelDir: sd15.dir } });
    assert.deepEqual([state.settings.width, state.settings.height], [960, 704]);
  });

  test('a recipe\'s own size and strength win over the picture\'s', () => {
    const state = run(init, {
      type: 'imageToImage',
      image: photo,
      settings: { width: 1024, height: 768, strength: 0.35, seedMode: 'fixed', seed: 4 },
    });
    assert.deepEqual([state.settings.width, state.settings.height, state.settings.strength], [1024, 768, 0.35]);
    assert.equal(state.settings.seed, 4);
  });

  test('the slider edits the strength; Generate sends the picture and the strength', () => {
    const state = run(init, { type: 'imageToImage', image: photo, settings: {} }, { type: 'edit', settings: { strength: 0.8 } });
    const sent = settingsToGenerate(state.settings);
    assert.equal(sent.initImage, photo.path);
    assert.equal(sent.strength, 0.8);
  });

  test('leaving the mode drops the picture and keeps the rest of the form', () => {
    const inMode = run(init, { type: 'imageToImage', image: photo, settings: { prompt: 'fox' } }, { type: 'edit', settings: { strength: 0.7 } });
    const left = reducePanelState(inMode, { type: 'leaveImageToImage' });
    assert.equal(left.initImage, undefined);
    assert.equal('initImage' in left.settings, false);
    assert.equal(left.settings.prompt, 'fox');
    assert.equal(left.settings.strength, 0.7);
  });

  test('text-to-image settings from the host (Reuse settings) end the mode', () => {
    const inMode = run(init, { type: 'imageToImage', image: photo, settings: {} });
    const reused = reducePanelState(inMode, { type: 'applySettings', settings: { prompt: 'a cabin' } });
    assert.equal(reused.initImage, undefined);
    assert.equal('initImage' in reused.settings, false);
  });

  test('Generate is blocked while no step would run', () => {
    const inMode = run(init, { type: 'imageToImage', image: photo, settings: {} });
    assert.equal(generateBlocker(inMode), undefined);
    const tooWeak = reducePanelState(inMode, { type: 'edit', settings: { strength: 0.01 } });
    assert.match(generateBlocker(tooWeak) ?? '', /No step would run/);
    // The same strength means nothing in text-to-image mode.
    assert.equal(generateBlocker(reducePanelState(tooWeak, { type: 'leaveImageToImage' })), undefined);
  });

  test('the mode and its picture survive a reload', () => {
    const inMode = run(init, { type: 'imageToImage', image: photo, settings: {} }, { type: 'edit', settings: { strength: 0.6 } });
    const restored = restorePanelState(JSON.parse(JSON.stringify(persistPanelState(inMode))));
    assert.deepEqual(restored.initImage, photo);
    assert.equal(restored.settings.initImage, photo.path);
    assert.equal(restored.settings.strength, 0.6);
    const reloaded = reducePanelState(restored, init);
    assert.equal(reloaded.settings.initImage, photo.path);
    assert.equal(reloaded.initImage, restored.initImage);
  });

  test('a saved mode without its picture, or a state from before the mode, restores as text-to-image', () => {
    const saved = JSON.parse(JSON.stringify(persistPanelState(run(init, { type: 'imageToImage', image: photo, settings: {} }))));
    const broken = restorePanelState({ ...saved, initImage: { path: '/elsewhere.png' } });
    assert.equal(broken.initImage, undefined);
    assert.equal('initImage' in broken.settings, false);

    const { strength: _strength, initImage: _initImage, ...older } = saved.settings;
    const fromOlder = restorePanelState({ ...saved, settings: older, initImage: undefined });
    assert.equal(fromOlder.settings.strength, 0.5);
    assert.equal(fromOlder.initImage, undefined);
  });
});
