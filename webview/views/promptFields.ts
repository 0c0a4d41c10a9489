import type { TokenCount } from '../../src/protocol/engineProtocol';
import { h, setText } from '../dom';
import { tokenCountDisplay } from '../tokenCountText';
import type { FormView, ViewContext } from './view';

const WEIGHTING_HELP =
  'AUTOMATIC1111\'s prompt syntax: (word:1.2) weighs a word up, (word) by 1.1, [word] down by 1.1, and a prompt ' +
  'past 75 tokens is encoded in 77-token chunks instead of being cut. Off: the prompt is read as diffusers reads it.';

/** Prompt and negative prompt, each with its live token count, and whether they are read with weights. */
export function createPromptFields(context: ViewContext): FormView {
  const prompt = promptField('prompt', 'Prompt', 4, 'What to draw, e.g. a cozy log cabin in a pine forest at sunset, low poly');
  const negative = promptField('negative-prompt', 'Negative prompt', 2, 'What to avoid, e.g. text, watermark, blurry');
  prompt.textarea.addEventListener('input', () =>
    context.dispatch({ type: 'edit', settings: { prompt: prompt.textarea.value } }),
  );
  negative.textarea.addEventListener('input', () =>
    context.dispatch({ type: 'edit', settings: { negativePrompt: negative.textarea.value } }),
  );
  const weighting = h('vscode-checkbox', { 'data-testid': 'prompt-weighting', title: WEIGHTING_HELP }, ['Prompt weighting (A1111)']);
  weighting.addEventListener('change', () => context.dispatch({ type: 'edit', settings: { promptWeighting: weighting.checked } }));

  return {
    element: h('div', { class: 'prompts' }, [prompt.element, negative.element, h('div', { class: 'field' }, [weighting])]),
    update(state) {
      showCount(prompt.count, state.tokens.prompt, state.tokens.weighting);
      showCount(negative.count, state.tokens.negativePrompt, state.tokens.weighting);
      if (weighting.checked !== state.settings.promptWeighting) weighting.checked = state.settings.promptWeighting;
    },
    write(state) {
      prompt.textarea.value = state.settings.prompt;
      negative.textarea.value = state.settings.negativePrompt;
    },
  };
}

function promptField(id: string, label: string, rows: number, placeholder: string) {
  const textarea = h('vscode-textarea', { id, 'data-testid': id, rows, resize: 'vertical', placeholder });
  const count = h('span', { class: 'token-count', 'data-testid': `${id}-token-count` });
  const element = h('div', { class: 'field' }, [
    h('div', { class: 'field-head' }, [h('vscode-label', { for: id }, [label]), count]),
    textarea,
  ]);
  return { element, textarea, count };
}

function showCount(element: HTMLElement, counts: readonly TokenCount[], weighting: boolean): void {
  const display = tokenCountDisplay(counts, weighting);
  setText(element, display.text);
  element.title = display.description;
  element.classList.toggle('warning', display.warning);
}
