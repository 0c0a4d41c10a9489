import type { ModelChoice } from '../../src/protocol/panelProtocol';
import { h, setText } from '../dom';
import { modelLabel } from '../modelLabel';
import type { PanelState } from '../panelState';
import {
  REFINER_START_MAX,
  REFINER_START_MIN,
  REFINER_START_STEP,
  refinerChoices,
  refinerStartHint,
} from '../refiner';
import type { View, ViewContext } from './view';

/**
 * Options are valued by their index in the list shown: an empty value would leave the select
 * blank (it means "nothing chosen" to vscode-single-select), and any text could be a folder.
 */
const NONE = 'none';

/**
 * An SDXL base's refiner and where it takes over: the base denoises the start of the schedule
 * and hands its latents to the refiner for the rest. Hidden for models that take no refiner, when
 * no other model could be one, and in image to image; the start only shows once a refiner is chosen.
 */
export function createRefinerFields(context: ViewContext): View {
  const select = h('vscode-single-select', { id: 'refiner', 'data-testid': 'refiner-select' });
  let shown: ModelChoice[] = [];
  select.addEventListener('change', () =>
    context.dispatch({ type: 'edit', settings: { refinerDir: shown[Number(select.value)]?.dir ?? '' } }),
  );

  const startValue = h('output', { class: 'slider-value', 'data-testid': 'refiner-start-value', for: 'refiner-start' });
  const hint = h('p', { class: 'hint', id: 'refiner-start-hint', 'data-testid': 'refiner-start-hint' });
  const slider = h('input', {
    type: 'range',
    id: 'refiner-start',
    class: 'slider',
    'data-testid': 'refiner-start',
    min: REFINER_START_MIN,
    max: REFINER_START_MAX,
    step: REFINER_START_STEP,
    'aria-labelledby': 'refiner-start-label',
    'aria-describedby': 'refiner-start-hint',
  });
  slider.addEventListener('input', () => context.dispatch({ type: 'edit', settings: { refinerStart: Number(slider.value) } }));
  const start = h('div', { class: 'field', hidden: true }, [
    h('div', { class: 'field-head' }, [h('vscode-label', { id: 'refiner-start-label', for: 'refiner-start' }, ['Refiner start']), startValue]),
    slider,
    hint,
  ]);

  const element = h('div', { 'data-testid': 'refiner', hidden: true }, [
    h('div', { class: 'field' }, [h('vscode-label', { for: 'refiner' }, ['Refiner']), select]),
    start,
  ]);

  return {
    element,
    update(state: PanelState) {
      const { modelDir, refinerDir, refinerStart } = state.settings;
      const choices = refinerChoices(state.models, modelDir);
      // The hand-off starts from noise, so image to image has no refiner.
      element.hidden = state.initImage !== undefined || choices.length === 0;
      if (element.hidden) return;
      // The options are rebuilt only when the list changes, so an open dropdown is not torn down.
      if (!sameChoices(choices, shown)) {
        shown = choices;
        select.replaceChildren(h('vscode-option', { value: NONE }, ['None']), ...choices.map(refinerOption));
      }
      const index = shown.findIndex((m) => m.dir === refinerDir);
      const selected = index < 0 ? NONE : String(index);
      if (select.value !== selected) select.value = selected;
      start.hidden = index < 0;
      if (Number(slider.value) !== refinerStart) slider.value = String(refinerStart);
      slider.setAttribute('aria-valuetext', refinerStart.toFixed(2));
      setText(startValue, refinerStart.toFixed(2));
      setText(hint, refinerStartHint(refinerStart));
    },
  };
}

function refinerOption(model: ModelChoice, index: number): HTMLElement {
  return h('vscode-option', { value: String(index), description: model.dir }, [modelLabel(model)]);
}

function sameChoices(a: readonly ModelChoice[], b: readonly ModelChoice[]): boolean {
  return a.length === b.length && a.every((m, i) => m.dir === b[i].dir && modelLabel(m) === modelLabel(b[i]));
}
