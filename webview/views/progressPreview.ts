import { h, setText } from '../dom';
import { progressFraction, progressText } from '../progressText';
import type { View } from './view';

/** The running job's progress bar and step text, and its live preview or finished image. */
export function createProgressPreview(): View {
  const bar = h('vscode-progress-bar', { 'data-testid': 'progress-bar', 'aria-label': 'Generation progress' });
  const text = h('p', { class: 'progress-text', 'data-testid': 'progress-text' });
  const progress = h('div', { class: 'progress', 'data-testid': 'progress', hidden: true }, [bar, text]);

  const image = h('img', { 'data-testid': 'preview-image', alt: '' });
  const caption = h('figcaption', { class: 'hint' });
  const preview = h('figure', { class: 'preview', 'data-testid': 'preview', hidden: true }, [image, caption]);

  return {
    element: h('div', { class: 'progress-preview' }, [progress, preview]),
    update(state) {
      const p = state.progress;
      progress.hidden = p === undefined;
      if (p) {
        const fraction = progressFraction(p);
        bar.indeterminate = fraction === undefined;
        if (fraction !== undefined) {
          bar.max = p.total;
          bar.value = p.step;
        }
        setText(text, progressText(p));
      }

      preview.hidden = state.preview === undefined;
      if (state.preview) {
        if (image.getAttribute('src') !== state.preview.src) image.src = state.preview.src;
        const live = state.progress?.jobId === state.preview.jobId;
        image.alt = live ? 'Preview of the image being generated' : 'The latest generated image';
        setText(caption, live ? 'Live preview' : 'Latest image');
      }
    },
  };
}
