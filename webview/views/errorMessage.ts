import { h, setText } from '../dom';
import type { View, ViewContext } from './view';

/** The last failure, announced to screen readers as it appears, until dismissed or the next Generate. */
export function createErrorMessage(context: ViewContext): View {
  const message = h('p', { role: 'alert', 'data-testid': 'error' });
  const dismiss = h('vscode-button', { secondary: true, 'data-testid': 'dismiss-error', 'aria-label': 'Dismiss the error' }, [
    'Dismiss',
  ]);
  dismiss.addEventListener('click', () => context.dispatch({ type: 'dismissError' }));
  const element = h('div', { class: 'error-box', hidden: true }, [message, dismiss]);
  return {
    element,
    update(state) {
      element.hidden = state.error === undefined;
      setText(message, state.error ?? '');
    },
  };
}
