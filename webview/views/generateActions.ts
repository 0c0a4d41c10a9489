import { h, isMac, setText } from '../dom';
import { generateBlocker } from '../generateReadiness';
import type { View, ViewContext } from './view';

const GENERATE_SHORTCUT = isMac ? '⌘Enter' : 'Ctrl+Enter';

/** Generate and Cancel, with the reason when Generate cannot run. */
export function createGenerateActions(context: ViewContext, generate: () => void): View {
  const generateButton = h('vscode-button', { 'data-testid': 'generate-button', title: `Generate (${GENERATE_SHORTCUT})` }, [
    'Generate',
  ]);
  const cancelButton = h('vscode-button', { secondary: true, 'data-testid': 'cancel-button', disabled: true }, [
    'Cancel',
  ]);
  const hint = h('p', { class: 'hint', 'data-testid': 'generate-hint' });
  generateButton.addEventListener('click', generate);
  cancelButton.addEventListener('click', () => context.post({ type: 'cancel' }));

  return {
    element: h('div', { class: 'actions' }, [h('div', { class: 'inline' }, [generateButton, cancelButton]), hint]),
    update(state) {
      const blocker = generateBlocker(state);
      generateButton.disabled = blocker !== undefined;
      cancelButton.disabled = state.queue.length === 0;
      cancelButton.title = state.queue.length > 1 ? 'Cancel the running image and empty the queue' : 'Cancel';
      setText(hint, blocker ?? `${GENERATE_SHORTCUT} generates from anywhere in the panel.`);
      hint.classList.toggle('warning', blocker !== undefined);
    },
  };
}
