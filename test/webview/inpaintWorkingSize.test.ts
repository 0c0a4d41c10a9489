// Inpainting's "only masked" works at the model's size (the size fields, as the working size of the
// crop around the mask), and inpainting keeps a strength of its own apart from image to image's.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { InitImage, ModelChoice } from '../../src/protocol/panelProtocol';
import { DEFAULT_INPAINT_STRENGTH } from '../../src/protocol/inpaintStrength';
import { generateBlocker } from '../../webview/generateReadiness';
import { modeStrength, strengthEdit } from '../../webview/imageToImage';
import { DEFAULT_INPAINT_OPTIONS } from '../../webview/inpaintOptions';
import { PLACEHOLDER_SETTINGS, reducePanelState, rewritesForm, type PanelAction, type PanelState } from '../../webview/panelState';
import { persistPanelState, restorePanelState } from '../../webview/persistedState';
import { run } from '../support/panelReducer';

const imageToImage = { steps: 30, guidance: 5, strength: 0.6 };
const models: ModelChoice[] = [
  { dir: '/sdxl', label: 'SDXL', family: 'sdxl', sizeMultiple: 8, defaults: { width: 1024, height: 1024, steps: 30, guidance: 5, sampler: 'euler', imageToImage } },
  { dir: '/wide', label: 'Wide', family: 'sdxl', sizeMultiple: 64, defaults: { width: 1344, height: 768, steps: 30, guidance: 5, sampler: 'euler', imageToImage } },
];
const init: PanelAction = { type: 'init', models, defaults: { ...PLACEHOLDER_SETTINGS, modelDir: '/sdxl', prompt: 'a knight' }, gallery: [] };
const picture: InitImage = { path: '/ws/art/hero.png', src: 'webview://hero.png', label: 'art/hero.png', width: 200, height: 136 };
const inpaint: PanelAction = { type: 'imageToImage', image: picture, settings: {}, inpaint: true };
const painted: PanelAction = { type: 'maskChanged', painted: true };
const area = (value: 'full' | 'masked'): PanelAction => ({ type: 'inpaintArea', area: value });
const size = (state: PanelState) => [state.settings.width, state.settings.height];

describe('inpainting only the masked area: the working size', () => {
  test('only masked works at the model’s size, the whole picture at the picture’s again', () => {
    const masked = run(init, inpaint, area('masked'));
    assert.equal(masked.settings.inpaint?.inpaintArea, 'masked');
    assert.deepEqual(size(masked), [1024, 1024]);
    assert.ok(rewritesForm(area('masked')), 'the size fields show it');
    assert.deepEqual(size(reducePanelState(masked, area('full'))), [200, 136]);
  });

  test('a typed working size stays through other edits; another model brings its own', () => {
    const typed = run(init, inpaint, area('masked'), { type: 'numberField', field: 'width', value: 768 });
    assert.deepEqual(size(typed), [768, 1024]);
    const margins = { ...DEFAULT_INPAINT_OPTIONS, inpaintArea: 'masked' as const, outpaint: { left: 8, top: 0, right: 0, bottom: 0 } };
    assert.deepEqual(size(reducePanelState(typed, { type: 'edit', settings: { inpaint: margins } })), [768, 1024]);
    assert.deepEqual(size(reducePanelState(typed, { type: 'edit', settings: { modelDir: '/wide' } })), [1344, 768]);
  });

  test('Inpaint… again keeps only masked with its size; a recipe brings its own', () => {
    const typed = run(init, inpaint, area('masked'), { type: 'numberField', field: 'height', value: 512 });
    assert.deepEqual(size(reducePanelState(typed, inpaint)), [1024, 512]);
    const options = { ...DEFAULT_INPAINT_OPTIONS, inpaintArea: 'masked' as const };
    const reused = run(init, { type: 'imageToImage', image: picture, inpaint: true, settings: { width: 832, height: 1216, inpaint: options } });
    assert.deepEqual(size(reused), [832, 1216]);
    const wholeRecipe = run(init, { type: 'imageToImage', image: picture, inpaint: true, settings: { width: 832, height: 1216, inpaint: DEFAULT_INPAINT_OPTIONS } });
    assert.deepEqual(size(wholeRecipe), [200, 136], 'an edit of the whole picture is the picture’s size');
  });

  test('the working size comes back after a reload', () => {
    const state = run(init, inpaint, area('masked'), { type: 'numberField', field: 'width', value: 640 });
    const restored = restorePanelState(JSON.parse(JSON.stringify(persistPanelState(state))));
    assert.equal(restored.settings.inpaint?.inpaintArea, 'masked');
    assert.deepEqual(size(restored), [640, 1024]);
  });

  test('any picture size works; the working size must suit the model and its fields count', () => {
    const coarse = (...actions: PanelAction[]) => generateBlocker(run(init, { type: 'edit', settings: { modelDir: '/wide' } }, inpaint, painted, ...actions));
    assert.match(coarse() ?? '', /200 × 136 is not a multiple of 64/);
    assert.equal(coarse(area('masked')), undefined);
    assert.match(coarse(area('masked'), { type: 'numberField', field: 'width', value: 1000 }) ?? '', /multiples of 64.*1000 × 768/);
    assert.match(coarse(area('masked'), { type: 'numberField', field: 'width', value: undefined }) ?? '', /Check width/);
    assert.equal(coarse(area('masked'), { type: 'numberField', field: 'width', value: undefined }, area('full')), coarse(), 'hidden again, it does not count');
  });
});

describe('inpainting’s own strength', () => {
  test('inpainting runs at its own default while image to image keeps its strength', () => {
    const imageToImageMode = run(init, { type: 'imageToImage', image: picture, settings: {} });
    assert.equal(modeStrength(imageToImageMode.settings), 0.5);
    const inpainting = reducePanelState(imageToImageMode, inpaint);
    assert.equal(modeStrength(inpainting.settings), DEFAULT_INPAINT_STRENGTH);
    assert.equal(DEFAULT_INPAINT_STRENGTH, 1);
    const moved = reducePanelState(inpainting, { type: 'edit', settings: strengthEdit(inpainting.settings, 0.75) });
    assert.equal(modeStrength(moved.settings), 0.75);
    const back = reducePanelState(moved, { type: 'leaveInpaint' });
    assert.equal(modeStrength(back.settings), 0.5, 'image to image’s strength is untouched');
    assert.equal(modeStrength(reducePanelState(back, inpaint).settings), 0.75, 'and inpainting’s is kept for next time');
  });

  test('both strengths survive a reload', () => {
    const state = run(init, inpaint, { type: 'edit', settings: { inpaintStrength: 0.8, strength: 0.3 } });
    const restored = restorePanelState(JSON.parse(JSON.stringify(persistPanelState(state))));
    assert.deepEqual([restored.settings.inpaintStrength, restored.settings.strength], [0.8, 0.3]);
  });

  test('the steps that run count inpainting’s strength', () => {
    const state = run(init, { type: 'imageToImage', image: picture, settings: {} }, { type: 'edit', settings: { strength: 0.01 } }, inpaint, painted);
    assert.equal(generateBlocker(state), undefined, 'image to image’s 0.01 would run no step');
    assert.match(generateBlocker(reducePanelState(state, { type: 'edit', settings: { inpaintStrength: 0.01 } })) ?? '', /No step would run/);
  });
});
