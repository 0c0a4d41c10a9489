import { h, setText } from '../dom';
import { progressFraction, progressText } from '../progressText';
import type { Tiling } from '../../src/protocol/recipe';
import type { View } from './view';

/** The running job's progress bar and step text, and its live preview or finished image. */
export function createProgressPreview(): View {
  const bar = h('vscode-progress-bar', { 'data-testid': 'progress-bar', 'aria-label': 'Generation progress' });
  const text = h('p', { class: 'progress-text', 'data-testid': 'progress-text' });
  const progress = h('div', { class: 'progress', 'data-testid': 'progress', hidden: true }, [bar, text]);

  const image = h('img', { 'data-testid': 'preview-image', alt: '' });
  const caption = h('figcaption', { class: 'hint' });
  // A seamless image beside copies of itself, so that the joins can be judged.
  const tiles = h('div', { class: 'tile-preview', 'data-testid': 'tile-preview', hidden: true });
  const preview = h('figure', { class: 'preview', 'data-testid': 'preview', hidden: true }, [image, tiles, caption]);

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
        const tiling = live ? undefined : state.preview.tiling;
        const transparent = !live && state.preview.transparent === true;
        showTiles(tiles, state.preview.src, tiling);
        image.hidden = tiling !== undefined;
        // A checkerboard behind a cut-out shows which pixels are transparent.
        for (const img of [image, ...tiles.querySelectorAll('img')]) img.classList.toggle('checkerboard', transparent);
        setText(caption, live ? 'Live preview' : tiling ? tileCaption(tiling) : transparent ? 'Latest image, transparent background' : 'Latest image');
      }
    },
  };
}

/** Copies per row and per column: two along each tiled axis. */
function tileGrid(tiling: Tiling): { columns: number; rows: number } {
  return { columns: tiling === 'y' ? 1 : 2, rows: tiling === 'x' ? 1 : 2 };
}

function showTiles(tiles: HTMLElement, src: string, tiling: Tiling | undefined): void {
  tiles.hidden = tiling === undefined;
  if (tiling === undefined) return;
  const { columns, rows } = tileGrid(tiling);
  const key = `${columns}x${rows} ${src}`;
  if (tiles.dataset.key === key) return;
  tiles.dataset.key = key;
  tiles.style.gridTemplateColumns = `repeat(${columns}, 1fr)`;
  tiles.replaceChildren(
    ...Array.from({ length: columns * rows }, (_, i) =>
      h('img', { src, alt: i === 0 ? `The latest image, ${columns} by ${rows} copies side by side` : '' }),
    ),
  );
}

function tileCaption(tiling: Tiling): string {
  const { columns, rows } = tileGrid(tiling);
  return `Latest image, ${columns}×${rows} copies: the joins should not show`;
}
