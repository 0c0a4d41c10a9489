import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { InitImage, ModelChoice } from '../../src/protocol/panelProtocol';
import { generateBlocker } from '../../webview/generateReadiness';
import { DEFAULT_INPAINT_OPTIONS, parseOutpaintMargin } from '../../webview/inpaintOptions';
import { encodeMask } from '../../webview/maskPainter/maskCodec';
import { PLACEHOLDER_SETTINGS, reducePanelState, type PanelAction, type PanelState } from '../../webview/panelState';
import { persistPanelState, restorePanelState } from '../../webview/persistedState';
import { run } from '../support/panelReducer';

const defaults = { width: 1024, height: 1024, steps: 30, guidance: 5, sampler: 'euler' as const, imageToImage: { steps: 30, guidance: 5, strength: 0.6 } };
const models: ModelChoice[] = [
  { dir: '/sdxl', label: 'SDXL', family: 'sdxl', sizeMultiple: 8, defaults },
  { dir: '/coarse', label: 'Coarse', family: 'sdxl', sizeMultiple: 64, defaults },
];
const init: PanelAction = { type: 'init', models, defaults: { ...PLACEHOLDER_SETTINGS, modelDir: '/sdxl', prompt: 'a knight' }, gallery: [] };
const picture: InitImage = { path: '/ws/art/hero.png', src: 'webview://hero.png', label: 'art/hero.png', width: 200, height: 136 };
const inpaint = (image: InitImage = picture): PanelAction => ({ type: 'imageToImage', image, settings: {}, inpaint: true });
const painted: PanelAction = { type: 'maskChanged', painted: true };

describe('inpainting mode', () => {
  test('Inpaint… keeps the picture’s own size and brings the default options', () => {
    const state = run(init, inpaint());
    assert.equal(state.settings.initImage, picture.path);
    assert.deepEqual(state.settings.inpaint, DEFAULT_INPAINT_OPTIONS);
    assert.deepEqual([state.settings.width, state.settings.height], [200, 136]);
    assert.deepEqual(state.mask, { path: picture.path, painted: false });
  });

  test('outpaint margins grow the size, and a model switch does not fit it away', () => {
    const grown = run(init, inpaint(), {
      type: 'edit',
      settings: { inpaint: { ...DEFAULT_INPAINT_OPTIONS, outpaint: { left: 64, top: 0, right: 8, bottom: 16 } } },
    });
    assert.deepEqual([grown.settings.width, grown.settings.height], [272, 152]);
    const switched = reducePanelState(grown, { type: 'edit', settings: { modelDir: '/coarse' } });
    assert.deepEqual([switched.settings.width, switched.settings.height], [272, 152]);
  });

  test('Image to image leaves inpainting with the picture fitted as image to image fits it', () => {
    const state = run(init, { type: 'edit', settings: { modelDir: '/coarse' } }, inpaint(), { type: 'leaveInpaint' });
    assert.equal(state.settings.inpaint, undefined);
    assert.equal(state.settings.initImage, picture.path);
    assert.deepEqual([state.settings.width, state.settings.height], [192, 128]);
  });

  test('Text to image and applied settings leave it too; plain image to image has no options', () => {
    assert.equal(run(init, inpaint(), { type: 'leaveImageToImage' }).settings.inpaint, undefined);
    assert.equal(run(init, inpaint(), { type: 'applySettings', settings: {} }).settings.inpaint, undefined);
    assert.equal(run(init, inpaint(), { type: 'imageToImage', image: picture, settings: {} }).settings.inpaint, undefined);
  });

  test('the same picture again keeps its mask and margins; another starts with neither', () => {
    const margins = { ...DEFAULT_INPAINT_OPTIONS, maskBlur: 9, outpaint: { left: 8, top: 8, right: 8, bottom: 8 } };
    const before = run(init, inpaint(), painted, { type: 'edit', settings: { inpaint: margins } });
    const again = reducePanelState(before, inpaint());
    assert.equal(again.mask?.painted, true);
    assert.deepEqual(again.settings.inpaint, margins);
    const other = reducePanelState(before, inpaint({ ...picture, path: '/ws/art/other.png' }));
    assert.deepEqual(other.mask, { path: '/ws/art/other.png', painted: false });
    assert.deepEqual(other.settings.inpaint, { ...margins, outpaint: DEFAULT_INPAINT_OPTIONS.outpaint }, 'the blur carries over');
  });

  test('a reused inpainting recipe brings its options and its mask to load', () => {
    const options = { maskBlur: 2, inpaintArea: 'masked' as const, maskPadding: 16, outpaint: { left: 0, top: 8, right: 0, bottom: 0 } };
    const state = run(init, inpaint(), {
      type: 'imageToImage', image: picture, inpaint: true, mask: 'data:image/png;base64,AAAA',
      settings: { prompt: 'a lantern', width: 200, height: 144, inpaint: options },
    });
    assert.deepEqual(state.settings.inpaint, options);
    assert.deepEqual([state.settings.width, state.settings.height], [200, 144]);
    assert.deepEqual(state.mask, { path: picture.path, painted: true, load: 'data:image/png;base64,AAAA' });
    const loaded = reducePanelState(state, { type: 'maskChanged', painted: true });
    assert.equal(loaded.mask?.load, undefined, 'the painter has made it its own');
  });

  test('a finished edit of the picture shows beside it', () => {
    const item = { path: '/ws/art/hero-inpaint-5.png', relativePath: 'art/hero-inpaint-5.png', src: 'webview://r.png', modifiedMs: 1, recipe: { initImage: picture.path } as never };
    const state = reducePanelState(run(init, inpaint(), painted), { type: 'jobDone', jobId: 'j', item });
    assert.deepEqual(state.comparison, { before: picture, after: item });
    const elsewhere = reducePanelState(run(init), { type: 'jobDone', jobId: 'j', item });
    assert.equal(elsewhere.comparison, undefined);
  });
});

describe('inpainting: when Generate may run', () => {
  const blocker = (...actions: PanelAction[]) => generateBlocker(run(init, ...actions));

  test('a mask or outpaint margins are needed', () => {
    assert.match(blocker(inpaint()) ?? '', /Paint over the part to repaint/);
    assert.equal(blocker(inpaint(), painted), undefined);
    assert.equal(blocker(inpaint(), painted, { type: 'maskChanged', painted: false }), blocker(inpaint()));
    const outpaint = { ...DEFAULT_INPAINT_OPTIONS, outpaint: { left: 0, top: 0, right: 64, bottom: 0 } };
    assert.equal(blocker(inpaint(), { type: 'edit', settings: { inpaint: outpaint } }), undefined);
  });

  test('a picture the model cannot take at its own size is refused with what to do', () => {
    assert.match(blocker({ type: 'edit', settings: { modelDir: '/coarse' } }, inpaint(), painted) ?? '', /200 × 136 is not a multiple of 64.*crop or resize/);
  });

  test('the hidden size fields do not block inpainting', () => {
    const state = run(init, { type: 'customSize', custom: true }, { type: 'numberField', field: 'width', value: undefined }, inpaint(), painted);
    assert.equal(generateBlocker(state), undefined);
  });

  test('outpaint margins are whole multiples of 8', () => {
    assert.equal(parseOutpaintMargin('64'), 64);
    assert.equal(parseOutpaintMargin('0'), 0);
    for (const text of ['', '12', '-8', '8.5', 'x', '8192']) assert.equal(parseOutpaintMargin(text), undefined, text);
  });
});

describe('inpainting: saved state', () => {
  const withMask = (state: PanelState) => {
    const data = new Uint8Array(picture.width * picture.height).fill(255, 0, 400);
    return reducePanelState(state, { type: 'maskChanged', painted: true, saved: encodeMask(picture.width, picture.height, data) });
  };

  test('the options and the mask come back with the picture', () => {
    const state = withMask(run(init, inpaint()));
    const restored = restorePanelState(JSON.parse(JSON.stringify(persistPanelState(state))));
    assert.deepEqual(restored.settings.inpaint, DEFAULT_INPAINT_OPTIONS);
    assert.deepEqual(restored.mask, state.mask);
  });

  test('without the picture, neither the options nor the mask come back', () => {
    const saved = JSON.parse(JSON.stringify(persistPanelState(withMask(run(init, inpaint())))));
    const restored = restorePanelState({ ...saved, initImage: undefined });
    assert.equal(restored.settings.inpaint, undefined);
    assert.equal(restored.mask, undefined);
    const otherMask = restorePanelState({ ...saved, mask: { ...saved.mask, path: '/elsewhere.png' } });
    assert.equal(otherMask.mask, undefined);
  });
});
