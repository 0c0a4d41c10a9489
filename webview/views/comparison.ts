import { h, setText } from '../dom';
import type { View } from './view';

/** Inpainting's latest result beside the picture it edited, at the same scale, so the change shows. */
export function createComparison(): View {
  const before = h('img', { 'data-testid': 'comparison-before', alt: '' });
  const after = h('img', { 'data-testid': 'comparison-after', alt: '' });
  const beforeCaption = h('figcaption', { class: 'hint' });
  const afterCaption = h('figcaption', { class: 'hint' });
  const element = h('section', { class: 'comparison', 'data-testid': 'comparison', 'aria-labelledby': 'comparison-heading', hidden: true }, [
    h('h2', { id: 'comparison-heading' }, ['Before and after']),
    h('div', { class: 'comparison-pair' }, [h('figure', {}, [before, beforeCaption]), h('figure', {}, [after, afterCaption])]),
  ]);
  return {
    element,
    update(state) {
      // Shown while inpainting goes on; the gallery keeps the result for the other modes.
      const pair = state.settings.inpaint ? state.comparison : undefined;
      element.hidden = pair === undefined;
      if (!pair) return;
      if (before.getAttribute('src') !== pair.before.src) before.src = pair.before.src;
      if (after.getAttribute('src') !== pair.after.src) after.src = pair.after.src;
      before.alt = `Before: ${pair.before.label}`;
      after.alt = `After: ${pair.after.relativePath}`;
      setText(beforeCaption, `Before · ${pair.before.label}`);
      setText(afterCaption, `After · ${pair.after.relativePath}`);
    },
  };
}
