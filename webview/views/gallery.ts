import type { GalleryItem } from '../../src/protocol/panelProtocol';
import { finishedSize } from '../../src/protocol/finishSteps';
import { h, reconcileChildren, setText } from '../dom';
import {
  GALLERY_ACTIONS,
  galleryActionLabel,
  galleryItemAlt,
  galleryItemDetails,
  isGalleryAction,
} from '../galleryActions';
import type { View, ViewContext } from './view';

/** The generated images, newest first, each with its row of actions. */
export function createGallery(context: ViewContext): View {
  const heading = h('h2', { id: 'gallery-heading', tabindex: -1 }, ['Gallery']);
  const count = h('vscode-badge', { 'data-testid': 'gallery-count' });
  const empty = h('p', { class: 'hint', 'data-testid': 'gallery-empty' }, ['Generated images appear here.']);
  const list = h('ul', { class: 'gallery', 'data-testid': 'gallery' });
  const element = h('section', { class: 'gallery-section', 'aria-labelledby': 'gallery-heading' }, [
    h('div', { class: 'section-head' }, [heading, count]),
    empty,
    list,
  ]);

  // One listener for every button: items come and go with each update.
  list.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const entry = target?.closest<HTMLElement>('[data-path]');
    const button = target?.closest<HTMLElement>('[data-action]');
    const action = button ? button.dataset.action : target?.closest('img') ? 'open' : undefined;
    if (!entry?.dataset.path || !isGalleryAction(action) || button?.hasAttribute('disabled')) return;
    context.post({ type: 'galleryAction', action, path: entry.dataset.path });
  });

  const entries = new Map<string, { item: GalleryItem; node: HTMLElement }>();
  let shown: readonly GalleryItem[] | undefined;

  return {
    element,
    update(state) {
      if (state.gallery === shown) return;
      shown = state.gallery;
      setText(count, String(state.gallery.length));
      empty.hidden = state.gallery.length > 0;

      const focusedIndex = indexOfFocus(list);
      const nodes = state.gallery.map((item) => {
        const known = entries.get(item.path);
        if (known && sameItem(known.item, item)) return known.node;
        const node = galleryEntry(item);
        entries.set(item.path, { item, node });
        return node;
      });
      const paths = new Set(state.gallery.map((i) => i.path));
      for (const path of entries.keys()) if (!paths.has(path)) entries.delete(path);
      reconcileChildren(list, nodes);
      restoreFocus(list, heading, focusedIndex);
    },
  };
}

/**
 * A cut-out shows over a checkerboard, in a box of the image's own shape so that the board marks
 * its transparent pixels and nothing around it.
 */
function galleryImage(item: GalleryItem): HTMLImageElement {
  const transparent = item.recipe?.background !== undefined;
  const img = h('img', {
    src: item.src,
    alt: galleryItemAlt(item),
    loading: 'lazy',
    class: transparent ? 'checkerboard' : undefined,
    'data-testid': 'gallery-image',
  });
  if (transparent && item.recipe) {
    const { width, height } = finishedSize(item.recipe);
    img.style.aspectRatio = `${width} / ${height}`;
  }
  return img;
}

function galleryEntry(item: GalleryItem): HTMLElement {
  const buttons = GALLERY_ACTIONS.map((info) =>
    h('vscode-button', {
      secondary: true,
      'icon-only': true,
      icon: info.icon,
      title: info.label,
      'aria-label': galleryActionLabel(info, item),
      'data-action': info.action,
      'data-testid': `gallery-action-${info.action}`,
    }),
  );
  return h('li', { class: 'gallery-item', 'data-testid': 'gallery-item', 'data-path': item.path }, [
    h('figure', {}, [
      galleryImage(item),
      h('figcaption', {}, [
        h('span', { class: 'file', title: item.relativePath }, [item.relativePath]),
        h('span', { class: 'hint' }, [galleryItemDetails(item)]),
      ]),
    ]),
    h('div', { class: 'item-actions', role: 'group', 'aria-label': `Actions for ${item.relativePath}` }, buttons),
  ]);
}

function sameItem(a: GalleryItem, b: GalleryItem): boolean {
  return a.src === b.src && a.modifiedMs === b.modifiedMs && a.relativePath === b.relativePath;
}

/** Which item holds keyboard focus, so that focus can land on a neighbour if that item goes. */
function indexOfFocus(list: HTMLElement): number | undefined {
  const focused = document.activeElement?.closest('.gallery-item');
  if (!focused || !list.contains(focused)) return undefined;
  return [...list.children].indexOf(focused);
}

function restoreFocus(list: HTMLElement, fallback: HTMLElement, index: number | undefined): void {
  if (index === undefined || list.contains(document.activeElement)) return;
  const neighbour = list.children[Math.min(index, list.children.length - 1)];
  const target = neighbour?.querySelector<HTMLElement>('[data-action]') ?? fallback;
  target.focus();
}
