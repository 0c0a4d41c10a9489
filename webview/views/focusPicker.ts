import { h } from '../dom';
import { focusAfterKey, focusFromClick, focusPicture, fractionIn, type FocusPoint } from '../focusPoint';
import type { PanelState } from '../panelState';

const PICKER_HELP = 'Click the point that cover and crop keep in view; arrow keys move it. Shown on the newest picture made without an exact size.';

/**
 * The focus point of cover and crop: a click on the newest whole picture (a marker shows the
 * point), arrow keys on it, or two fields for the fractions.
 */
export function createFocusPicker(onFocus: (focus: FocusPoint) => void) {
  let focus: FocusPoint = [0.5, 0.5];
  const picture = h('img', { alt: '', 'data-testid': 'focus-picture', draggable: 'false' });
  const marker = h('span', { class: 'focus-marker', 'data-testid': 'focus-marker' });
  const frame = h('div', { class: 'focus-picker', tabindex: 0, role: 'button', 'data-testid': 'focus-picker', title: PICKER_HELP }, [
    picture,
    marker,
  ]);
  frame.addEventListener('click', (event) => {
    const rect = frame.getBoundingClientRect();
    onFocus(focusFromClick(event.clientX - rect.left, event.clientY - rect.top, rect.width, rect.height));
  });
  frame.addEventListener('keydown', (event) => {
    const next = focusAfterKey(focus, event.key);
    if (!next) return;
    event.preventDefault();
    onFocus(next);
  });
  const fields = (['x', 'y'] as const).map((axis, index) => {
    const id = `focus-${axis}`;
    const input = h('vscode-textfield', { id, 'data-testid': id, type: 'number', min: 0, max: 1, step: 0.05, title: `Focus ${axis}: 0 to 1` });
    input.addEventListener('input', () => {
      const value = fractionIn(input.value);
      input.invalid = value === undefined;
      if (value === undefined) return;
      const next: FocusPoint = [...focus];
      next[index] = value;
      onFocus(next);
    });
    return { input, element: h('div', { class: 'field' }, [h('vscode-label', { for: id }, [`Focus ${axis.toUpperCase()}`]), input]) };
  });
  const element = h('div', { class: 'field', 'data-testid': 'focus-field' }, [
    h('vscode-label', {}, ['Focus point']),
    frame,
    h('div', { class: 'row' }, fields.map((field) => field.element)),
  ]);

  return {
    element,
    update(state: PanelState, point: FocusPoint) {
      focus = point;
      const shown = focusPicture(state.gallery);
      // Fractions are of the picture's own frame, so the box takes its shape (the form's size before any).
      const { width, height } = shown?.recipe ?? state.settings;
      frame.style.aspectRatio = `${width} / ${height}`;
      const source = shown?.src;
      picture.hidden = source === undefined;
      if (source !== undefined && picture.getAttribute('src') !== source) picture.setAttribute('src', source);
      marker.style.left = `${point[0] * 100}%`;
      marker.style.top = `${point[1] * 100}%`;
      frame.setAttribute('aria-label', `Focus point ${point[0]}, ${point[1]}`);
      fields.forEach(({ input }, index) => {
        const typed = fractionIn(input.value);
        if (typed !== point[index] && document.activeElement !== input) {
          input.value = String(point[index]);
          input.invalid = false;
        }
      });
    },
  };
}
