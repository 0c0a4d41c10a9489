import { h, setText } from '../dom';
import type { MaskTool } from '../maskPainter/maskModel';
import { MIN_BRUSH_SIZE, SHORTCUT_HELP, type MaskCommand } from '../maskPainter/maskShortcuts';

/** The slider's end; [ and ] go on to the brush's own limit for large pictures. */
const SLIDER_MAX_SIZE = 256;

export interface ToolState {
  tool: MaskTool;
  brushSize: number;
  hardness: number;
  canUndo: boolean;
  canRedo: boolean;
  /** The view's zoom, 1 for one screen pixel a picture pixel. */
  scale: number;
}

export interface MaskToolbarActions {
  run(command: MaskCommand): void;
  clear(): void;
  setBrushSize(size: number): void;
  setHardness(hardness: number): void;
}

/** The painter's buttons (tools, invert, clear, undo, redo, zoom) and its size and hardness sliders. */
export function createMaskToolbar(actions: MaskToolbarActions) {
  const button = (icon: string, label: string, command: MaskCommand | undefined, testId: string) => {
    const shortcut = command ? ` (${SHORTCUT_HELP[command]})` : '';
    const element = h('vscode-button', { secondary: true, 'icon-only': true, icon, title: `${label}${shortcut}`, 'aria-label': label, 'data-testid': testId });
    if (command) element.addEventListener('click', () => actions.run(command));
    return element;
  };
  const brush = button('edit', 'Brush: paint what to repaint', 'brush', 'mask-brush');
  const eraser = button('eraser', 'Eraser: keep what is painted over', 'eraser', 'mask-eraser');
  const invert = button('arrow-swap', 'Invert the mask', 'invert', 'mask-invert');
  const clear = button('clear-all', 'Clear the mask', undefined, 'mask-clear');
  clear.addEventListener('click', actions.clear);
  const undo = button('discard', 'Undo', 'undo', 'mask-undo');
  const redo = button('redo', 'Redo', 'redo', 'mask-redo');
  const zoomOut = button('zoom-out', 'Zoom out', 'zoomOut', 'mask-zoom-out');
  const zoomIn = button('zoom-in', 'Zoom in', 'zoomIn', 'mask-zoom-in');
  const fit = button('screen-full', 'Fit the picture in view', 'fit', 'mask-fit');
  const zoom = h('output', { class: 'slider-value', 'data-testid': 'mask-zoom' });

  const size = slider('mask-size', 'Brush size', MIN_BRUSH_SIZE, SLIDER_MAX_SIZE, `Brush size in picture pixels (${SHORTCUT_HELP.smaller} and ${SHORTCUT_HELP.larger})`);
  size.input.addEventListener('input', () => actions.setBrushSize(Number(size.input.value)));
  const hardness = slider('mask-hardness', 'Hardness', 0, 100, 'Hardness: 100 % paints a sharp edge, less a soft one that blends in');
  hardness.input.addEventListener('input', () => actions.setHardness(Number(hardness.input.value) / 100));

  return {
    toolbar: h('div', { class: 'mask-toolbar', role: 'toolbar', 'aria-label': 'Mask tools' }, [
      h('div', { class: 'inline' }, [brush, eraser, invert, clear, undo, redo]),
      h('div', { class: 'inline' }, [zoomOut, zoomIn, fit, zoom]),
    ]),
    sliders: h('div', { class: 'row mask-sliders' }, [size.element, hardness.element]),
    show(state: ToolState): void {
      for (const [element, tool] of [[brush, 'brush'], [eraser, 'eraser']] as const) {
        // The chosen tool is the one drawn as a primary button.
        element.secondary = state.tool !== tool;
        element.setAttribute('aria-pressed', String(state.tool === tool));
      }
      size.show(state.brushSize, `${state.brushSize} px`);
      const percent = Math.round(state.hardness * 100);
      hardness.show(percent, `${percent} %`);
      setText(zoom, `${Math.round(state.scale * 100)} %`);
      undo.disabled = !state.canUndo;
      redo.disabled = !state.canRedo;
    },
  };
}

/** A labelled native range input with its value beside the label (vscode-elements has no slider). */
function slider(id: string, label: string, min: number, max: number, title: string) {
  const value = h('output', { class: 'slider-value', 'data-testid': `${id}-value` });
  const input = h('input', { type: 'range', class: 'slider', id, 'data-testid': id, min, max, step: 1, title });
  return {
    input,
    element: h('div', { class: 'field' }, [h('div', { class: 'field-head' }, [h('vscode-label', { for: id }, [label]), value]), input]),
    show(current: number, text: string): void {
      if (Number(input.value) !== current) input.value = String(current);
      setText(value, text);
    },
  };
}
