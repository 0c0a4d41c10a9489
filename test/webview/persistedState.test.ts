import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { initialPanelState, PLACEHOLDER_SETTINGS, reducePanelState } from '../../webview/panelState';
import { persistPanelState, restorePanelState } from '../../webview/persistedState';

describe('persisted panel state', () => {
  const state = reducePanelState(
    reducePanelState(initialPanelState(), {
      type: 'init',
      models: [{ dir: '/m', label: 'm' }],
      defaults: { ...PLACEHOLDER_SETTINGS, modelDir: '/m' },
      gallery: [],
      lastSeed: 3,
    }),
    { type: 'preview', jobId: 'j', dataUrl: 'data:image/png;base64,AAAA' },
  );

  test('keeps the form and the last UI state, without the preview', () => {
    const saved = JSON.parse(JSON.stringify(persistPanelState(state)));
    assert.equal(saved.preview, undefined);
    const restored = restorePanelState(saved);
    assert.equal(restored.settingsKnown, true);
    assert.deepEqual(restored.settings, state.settings);
    assert.equal(restored.lastSeed, 3);
    assert.equal(restored.preview, undefined);
    assert.deepEqual(restored.queue, []);
  });

  test('a panel that never got its settings saves nothing', () => {
    assert.equal(persistPanelState(initialPanelState()), undefined);
  });

  test('anything unrecognised starts fresh', () => {
    for (const saved of [undefined, null, 'x', { version: 2, settings: {} }, { version: 1 }]) {
      assert.equal(restorePanelState(saved).settingsKnown, false);
    }
  });
});
