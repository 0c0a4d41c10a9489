import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { outputTurnedOn, paddingColor, wholeNumberIn, withColorCount, withDensity, withFit, withTransparency } from '../../webview/finishSettings';
import { backgroundRequest, densityRequest, finishSteps } from '../../src/extension/jobs/jobSettings';
import { initialPanelState, PLACEHOLDER_SETTINGS, reducePanelState } from '../../webview/panelState';
import { densitiesProblem, finishProblem } from '../../src/protocol/finishSteps';
import { settingsFromRecipe } from '../../src/extension/jobs/recipeSettings';
import type { Recipe } from '../../src/protocol/recipe';

describe('the panel’s finishing settings', () => {
  test('the exact size starts at the generated size, and each fit carries only its own extra', () => {
    const output = outputTurnedOn({ ...PLACEHOLDER_SETTINGS, width: 832, height: 1216 });
    assert.deepEqual(output, { width: 832, height: 1216, fit: 'cover', focus: [0.5, 0.5] });
    assert.deepEqual(withFit(output, 'contain'), { width: 832, height: 1216, fit: 'contain', background: '#ffffff' });
    assert.deepEqual(withFit(withFit(output, 'contain'), 'crop'), { width: 832, height: 1216, fit: 'crop', focus: [0.5, 0.5] });
  });

  test('fields take whole numbers in range only; the host refuses what the engine would', () => {
    assert.equal(wholeNumberIn(' 48 ', 1, 4096), 48);
    for (const text of ['0', '4097', '4.5', '', '1e3']) assert.equal(wholeNumberIn(text, 1, 4096), undefined, text);
    assert.equal(finishProblem({ width: 48, height: 32, fit: 'cover' }, { factor: 2, colors: 8 }), undefined);
    assert.match(finishProblem({ width: 5000, height: 32, fit: 'cover' }, undefined) ?? '', /1 to 4096/);
    assert.match(finishProblem(undefined, { factor: 2, colors: 300 }) ?? '', /1 to 256 colours/);
  });

  test('a recipe’s finishing steps come back into the form as they were, a palette included', () => {
    const recipe: Recipe = {
      version: 1, model: 'tiny', prompt: 'a fox', negativePrompt: null, width: 64, height: 64, steps: 2, guidance: 5,
      sampler: 'euler', karras: false, timestepSpacing: null, seed: 3,
      output: { width: 48, height: 32, fit: 'contain', background: '#112233' },
      pixelArt: { factor: 2, palette: ['#000000', '#ffffff'] },
    };
    const form = settingsFromRecipe(recipe);
    assert.deepEqual([form.output, form.pixelArt], [recipe.output, recipe.pixelArt]);
  });

  test('reusing a recipe without finishing steps clears the form’s', () => {
    const finished = { ...initialPanelState(), settingsKnown: true, settings: { ...PLACEHOLDER_SETTINGS, output: outputTurnedOn(PLACEHOLDER_SETTINGS), pixelArt: { factor: 2, colors: 4 } } };
    const next = reducePanelState(finished, { type: 'applySettings', settings: { prompt: 'plain', seed: 9 } });
    assert.deepEqual([next.settings.output, next.settings.pixelArt, next.settings.prompt], [undefined, undefined, 'plain']);
  });

  test('the transparent background: contain pads clear while it is on, white again when it is off', () => {
    const contained = { ...PLACEHOLDER_SETTINGS, output: withFit(outputTurnedOn(PLACEHOLDER_SETTINGS), 'contain') };
    const on = withTransparency(contained, true);
    assert.deepEqual(on.transparentBackground, { isolateSubject: false });
    assert.equal(on.output?.fit, 'contain');
    assert.equal(on.output?.background, undefined);
    assert.equal(withFit(outputTurnedOn(PLACEHOLDER_SETTINGS), 'contain', true).background, undefined);
    const off = withTransparency({ ...contained, ...on }, false);
    assert.deepEqual([off.transparentBackground, off.output?.background], [undefined, '#ffffff']);
    const kept = withTransparency({ ...PLACEHOLDER_SETTINGS, transparentBackground: { isolateSubject: true } }, true);
    assert.deepEqual(kept, { transparentBackground: { isolateSubject: true } });
  });

  test('a transparent recipe comes back as the toggle with its isolate-subject choice; one without clears it', () => {
    const recipe: Recipe = {
      version: 1, model: 'tiny', prompt: 'a fox', negativePrompt: null, width: 64, height: 64, steps: 2, guidance: 5,
      sampler: 'euler', karras: false, timestepSpacing: null, seed: 3,
      background: { mode: 'transparent', matting: 'birefnet-lite', isolateSubject: true },
    };
    assert.deepEqual(settingsFromRecipe(recipe).transparentBackground, { isolateSubject: true });
    const { background: _background, ...opaque } = recipe;
    assert.equal(settingsFromRecipe(opaque).transparentBackground, undefined);
    const transparent = { ...initialPanelState(), settingsKnown: true, settings: { ...PLACEHOLDER_SETTINGS, transparentBackground: { isolateSubject: false } } };
    const next = reducePanelState(transparent, { type: 'applySettings', settings: settingsFromRecipe(opaque) });
    assert.equal(next.settings.transparentBackground, undefined);
  });

  test('the job carries the matting folder; without one the form is refused before any job', () => {
    const form = { ...PLACEHOLDER_SETTINGS, transparentBackground: { isolateSubject: true } };
    assert.deepEqual(backgroundRequest(form, '/models/birefnet-lite'), { transparentBackground: { mattingDir: '/models/birefnet-lite', isolateSubject: true } });
    assert.deepEqual(backgroundRequest(PLACEHOLDER_SETTINGS, '/models/birefnet-lite'), {});
    assert.throws(() => backgroundRequest(form, undefined), /Download Model/);
  });

  test('density checkboxes: 1× alone is one file, the last one stays on, and the job gets them in order', () => {
    assert.deepEqual(withDensity(undefined, 2, true), [1, 2]);
    assert.deepEqual(withDensity([1, 2], 3, true), [1, 2, 3]);
    assert.equal(withDensity([1, 2], 2, false), undefined);
    assert.deepEqual(withDensity([1, 3], 1, false), [3]);
    assert.deepEqual(withDensity([3], 3, false), [3], 'no density at all is refused');
    assert.equal(withDensity(undefined, 1, false), undefined);
    const output = outputTurnedOn({ ...PLACEHOLDER_SETTINGS, width: 48, height: 32 });
    const form = { ...PLACEHOLDER_SETTINGS, output, densities: [3, 1, 2] };
    assert.deepEqual(densityRequest(form), { densities: [1, 2, 3] });
    assert.deepEqual(densityRequest({ ...form, densities: [1] }), {});
    assert.deepEqual(densityRequest({ ...form, output: undefined }), {}, 'kept for later while the exact size is off');
    assert.deepEqual(densityRequest({ ...form, iconSet: true }), {}, 'the icon set makes its own sizes');
    assert.equal(densitiesProblem([1, 2], output, false), undefined);
    assert.match(densitiesProblem([2, 2], output, false) ?? '', /distinct/);
    assert.match(densitiesProblem([5], output, false) ?? '', /1 to 4/);
    assert.match(densitiesProblem([2], undefined, false) ?? '', /Exact size/);
    const edited = reducePanelState({ ...initialPanelState(), settingsKnown: true }, { type: 'edit', settings: { output, densities: [1, 2] } });
    assert.deepEqual(edited.settings.densities, [1, 2]);
    const reused = reducePanelState(edited, { type: 'applySettings', settings: { prompt: 'plain' } });
    assert.equal(reused.settings.densities, undefined, 'a recipe records its own size, not a set');
  });

  test('the contain padding colour: the colour input’s value goes to the job as the recipe records it, and survives a fit change', () => {
    assert.equal(paddingColor('#12AB5F'), '#12ab5f');
    for (const text of ['', '#fff', 'red', '#12345g']) assert.equal(paddingColor(text), undefined, text);
    const contained = withFit(outputTurnedOn(PLACEHOLDER_SETTINGS), 'contain');
    const state = reducePanelState({ ...initialPanelState(), settingsKnown: true }, { type: 'edit', settings: { output: { ...contained, background: paddingColor('#12AB5F') } } });
    assert.equal(finishSteps(state.settings).output?.background, '#12ab5f');
    assert.equal(withFit(withFit(state.settings.output!, 'cover'), 'contain').background, '#ffffff', 'cover carries no padding');
    assert.equal(withFit(state.settings.output!, 'contain').background, '#12ab5f');
    assert.equal(withTransparency(state.settings, true).output?.background, undefined, 'transparent padding has no colour');
  });

  test('a palette file’s colours: pixel art takes them (turned on at the default factor if it was off), the job carries them, a colour count replaces them', () => {
    const known = { ...initialPanelState(), settingsKnown: true };
    const palette = ['#000000', '#ff0044', '#ffffff'];
    const off = reducePanelState(known, { type: 'paletteChosen', colors: palette });
    assert.deepEqual(off.settings.pixelArt, { factor: 8, palette });
    const on = reducePanelState({ ...known, settings: { ...known.settings, pixelArt: { factor: 3, colors: 5 } } }, { type: 'paletteChosen', colors: palette });
    assert.deepEqual(on.settings.pixelArt, { factor: 3, palette });
    assert.deepEqual(finishSteps(on.settings).pixelArt, { factor: 3, palette });
    assert.equal(finishProblem(undefined, on.settings.pixelArt), undefined, 'the host accepts what the engine would');
    assert.deepEqual(withColorCount(on.settings.pixelArt!), { factor: 3, colors: 16 });
  });
});
