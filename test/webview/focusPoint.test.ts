import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { focusAfterKey, focusFromClick, focusPicture, fractionIn } from '../../webview/focusPoint';
import { outputTurnedOn, withFit } from '../../webview/finishSettings';
import { initialPanelState, PLACEHOLDER_SETTINGS, reducePanelState } from '../../webview/panelState';
import { finishSteps } from '../../src/extension/jobs/jobSettings';
import type { GalleryItem } from '../../src/protocol/panelProtocol';
import type { Recipe } from '../../src/protocol/recipe';

const recipe: Recipe = {
  version: 1, model: 'tiny', prompt: 'a fox', negativePrompt: null, width: 64, height: 32, steps: 2, guidance: 5,
  sampler: 'euler', karras: false, timestepSpacing: null, seed: 3,
};
const item = (name: string, made?: Recipe): GalleryItem => ({ path: `/w/${name}`, relativePath: name, src: `src:${name}`, recipe: made, modifiedMs: 0 });

describe('the focus point of cover and crop', () => {
  test('a click gives the point as fractions of the displayed picture, in hundredths, kept inside it', () => {
    assert.deepEqual(focusFromClick(50, 25, 200, 100), [0.25, 0.25]);
    assert.deepEqual(focusFromClick(133, 71, 200, 100), [0.67, 0.71]);
    assert.deepEqual(focusFromClick(-4, 130, 200, 100), [0, 1], 'a click on the border stays inside');
    assert.deepEqual(focusFromClick(10, 10, 0, 0), [0.5, 0.5]);
  });

  test('arrow keys move it by a twentieth, other keys do nothing', () => {
    assert.deepEqual(focusAfterKey([0.5, 0.5], 'ArrowLeft'), [0.45, 0.5]);
    assert.deepEqual(focusAfterKey([0.5, 0.5], 'ArrowDown'), [0.5, 0.55]);
    assert.deepEqual(focusAfterKey([1, 0], 'ArrowRight'), [1, 0]);
    assert.deepEqual(focusAfterKey([1, 0], 'ArrowUp'), [1, 0]);
    assert.equal(focusAfterKey([0.5, 0.5], 'Enter'), undefined);
  });

  test('the fields take fractions from 0 to 1 only', () => {
    for (const [text, value] of [['0.3', 0.3], [' 1 ', 1], ['0', 0], ['.25', 0.25]] as const) assert.equal(fractionIn(text), value, text);
    for (const text of ['1.01', '-0.1', '', 'abc', '1e-1']) assert.equal(fractionIn(text), undefined, text);
  });

  test('it is chosen on the newest picture that kept the whole frame, not on a finished crop', () => {
    const cropped = item('crop.png', { ...recipe, output: { width: 16, height: 16, fit: 'cover', focus: [0.5, 0.5] } });
    const whole = item('whole.png', recipe);
    assert.equal(focusPicture([cropped, item('plain.png'), whole])?.src, 'src:whole.png');
    assert.equal(focusPicture([cropped]), undefined);
  });

  test('the chosen point goes to the job with the exact size, and a fit change keeps it for cover and crop', () => {
    const output = { ...outputTurnedOn(PLACEHOLDER_SETTINGS), focus: [0.2, 0.9] as [number, number] };
    const state = reducePanelState({ ...initialPanelState(), settingsKnown: true }, { type: 'edit', settings: { output } });
    assert.deepEqual(finishSteps(state.settings).output?.focus, [0.2, 0.9]);
    assert.deepEqual(withFit(output, 'crop').focus, [0.2, 0.9]);
    assert.equal(withFit(output, 'contain').focus, undefined);
  });
});
