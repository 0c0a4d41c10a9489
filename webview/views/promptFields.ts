import type { TokenCount } from '../../src/protocol/engineProtocol';
import { h, setText } from '../dom';
import { tokenCountDisplay } from '../tokenCountText';
import type { FormView, ViewContext } from './view';

/** Prompt and negative prompt, each with its live token count against CLIP's 77. */
export function createPromptFields(context: ViewContext): FormView {
  const prompt = promptField('prompt', 'Prompt', 4, 'What to draw, e.g. a cozy log cabin in a pine forest at sunset, low poly');
  const negative = promptField('negative-prompt', 'Negative prompt', 2, 'What to avoid, e.g. text, watermark, blurry');
  prompt.textarea.addEventListener('input', () =>
    context.dispatch({ type: 'edit', settings: { prompt: prompt.textarea.value } }),
  );
  negative.textarea.addEventListener('input', () =>
    context.dispatch({ type: 'edit', settings: { negativePrompt: negative.textarea.value } }),
  );

  return {
    element: h('div', { class: 'prompts' }, [prompt.element, negative.element]),
    update(state) {
      showCount(prompt.count, state.tokens.prompt);
      showCount(negative.count, state.tokens.negativePrompt);
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

function showCount(element: HTMLElement, counts: readonly TokenCount[]): void {
  const display = tokenCountDisplay(counts);
  setText(element, display.text);
  element.title = display.description;
  element.classList.toggle('over', display.over);
}
