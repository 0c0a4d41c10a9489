import type { ModelChoice } from '../../src/protocol/panelProtocol';
import { h, setText } from '../dom';
import { modelLabel } from '../modelLabel';
import type { PanelState } from '../panelState';
import type { FormView, ViewContext } from './view';

/**
 * The model select with its "Choose model folder…" action and the chosen model's family, or the
 * empty state when there is no model.
 */
export function createModelPicker(context: ViewContext): FormView {
  const select = h('vscode-single-select', { id: 'model', 'data-testid': 'model-select' });
  const problem = h('p', { class: 'hint warning', 'data-testid': 'model-problem', hidden: true });
  const family = h('p', { class: 'hint', 'data-testid': 'model-family', hidden: true });
  const picker = h('div', { class: 'field' }, [
    h('vscode-label', { for: 'model' }, ['Model']),
    h('div', { class: 'inline' }, [
      select,
      chooseFolderButton(context, 'pick-model-folder', true),
    ]),
    family,
    problem,
  ]);
  const empty = h('div', { class: 'empty-state', 'data-testid': 'model-empty-state', hidden: true }, [
    h('h2', {}, ['No model is set up']),
    h('p', {}, [
      'Generating needs a Stable Diffusion XL model exported to ONNX in the diffusers/Optimum layout ',
      '(text_encoder/, text_encoder_2/, unet/, vae_decoder/, tokenizer/, scheduler/). ',
      'Choose the folder that holds one; it stays on this machine.',
    ]),
    chooseFolderButton(context, 'model-empty-pick-folder', false),
  ]);
  const element = h('div', { class: 'model-picker' }, [picker, empty]);

  select.addEventListener('change', () => context.dispatch({ type: 'edit', settings: { modelDir: select.value } }));

  let shownModels: readonly ModelChoice[] | undefined;
  const write = (state: PanelState) => {
    if (select.value !== state.settings.modelDir) select.value = state.settings.modelDir;
  };

  return {
    element,
    write,
    update(state) {
      const noModels = state.settingsKnown && state.models.length === 0;
      picker.hidden = noModels;
      empty.hidden = !noModels;
      if (state.models !== shownModels) {
        shownModels = state.models;
        select.replaceChildren(...state.models.map(modelOption));
      }
      write(state);
      const chosen = state.models.find((m) => m.dir === state.settings.modelDir);
      family.hidden = chosen?.familyLabel === undefined;
      setText(family, chosen?.familyLabel ? `Family: ${chosen.familyLabel}` : '');
      problem.hidden = !chosen?.problem;
      setText(problem, chosen?.problem ? `This folder cannot be used: ${chosen.problem}` : '');
    },
  };
}

function modelOption(model: ModelChoice): HTMLElement {
  const description = model.problem ? `Cannot be used: ${model.problem}` : model.dir;
  return h('vscode-option', { value: model.dir, description }, [modelLabel(model)]);
}

function chooseFolderButton(context: ViewContext, testId: string, secondary: boolean): HTMLElement {
  const button = h('vscode-button', { secondary, 'data-testid': testId }, ['Choose model folder…']);
  button.addEventListener('click', () => context.post({ type: 'pickModelFolder' }));
  return button;
}
