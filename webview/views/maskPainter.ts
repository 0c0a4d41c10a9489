import type { InitImage } from '../../src/protocol/panelProtocol';
import type { Outpaint } from '../../src/protocol/recipe';
import { h, setText } from '../dom';
import { pointerRadius } from '../maskPainter/brushDab';
import { decodeMask, encodeMask } from '../maskPainter/maskCodec';
import { MaskModel, type MaskTool } from '../maskPainter/maskModel';
import { maskToRgba, maskValuesFromRgba, overlayPixels, parseCssColor, type Rgb } from '../maskPainter/maskPixels';
import { maskCommandFor, nextBrushSize, SHORTCUT_HELP, type MaskCommand, MAX_BRUSH_SIZE, MIN_BRUSH_SIZE } from '../maskPainter/maskShortcuts';
import type { Rect } from '../maskPainter/rect';
import { fitTransform, panBy, toImage, wheelZoomFactor, zoomAt, ZOOM_STEP, type ViewTransform } from '../maskPainter/viewTransform';
import type { PanelState } from '../panelState';
import type { View, ViewContext } from './view';

/** The overlay shows repainted pixels at this opacity, so the picture stays visible under it. */
const OVERLAY_OPACITY = 0.5;
/** Where the theme has no chart colour: a red that reads on light and dark pictures. */
const FALLBACK_OVERLAY: Rgb = [229, 20, 0];
const DEFAULT_BRUSH_SIZE = 48;
const DEFAULT_HARDNESS = 0.6;

export interface MaskPainterView extends View {
  /** The mask as a base64 PNG at the picture's size, or undefined when nothing is painted. */
  maskPng(): string | undefined;
}

interface Painting {
  image: InitImage;
  /** The mask image being loaded into it, if any (a reused recipe's). */
  loading?: string;
  mask: MaskModel;
  overlay: HTMLCanvasElement;
  picture: HTMLImageElement;
}

/**
 * Inpainting's mask painter: the picture with the mask over it as a coloured overlay, brush
 * and eraser with size and hardness, invert, clear, undo and redo, zoom and pan. Pointer Events
 * with capture, so a mouse and a pen both paint and a stroke that leaves the canvas goes on;
 * a pen's pressure scales the brush. The mask itself (MaskModel) is kept at the picture's own
 * resolution whatever the zoom. Hidden outside inpainting mode.
 */
export function createMaskPainter(context: ViewContext): MaskPainterView {
  const canvas = h('canvas', { class: 'mask-canvas', 'data-testid': 'mask-canvas', tabindex: 0, 'aria-label': 'Mask painter: paint over the part of the picture to repaint' });
  const stage = h('div', { class: 'mask-stage' }, [canvas]);
  const status = h('p', { class: 'hint mask-status', 'data-testid': 'mask-status', 'aria-live': 'polite' });

  let tool: MaskTool = 'brush';
  let brushSize = DEFAULT_BRUSH_SIZE;
  let hardness = DEFAULT_HARDNESS;
  let view: ViewTransform = { scale: 1, offsetX: 0, offsetY: 0 };
  let outpaint: Outpaint = { left: 0, top: 0, right: 0, bottom: 0 };
  let painting: Painting | undefined;
  let hover: { x: number; y: number } | undefined;
  let gesture: { kind: 'paint' | 'pan'; pointerId: number; lastX: number; lastY: number } | undefined;
  let frame = 0;
  let spaceHeld = false;

  const button = (icon: string, label: string, command: MaskCommand | undefined, testId: string) => {
    const shortcut = command ? ` (${SHORTCUT_HELP[command]})` : '';
    const element = h('vscode-button', { secondary: true, 'icon-only': true, icon, title: `${label}${shortcut}`, 'aria-label': label, 'data-testid': testId });
    if (command) element.addEventListener('click', () => run(command));
    return element;
  };
  const brushButton = button('edit', 'Brush: paint what to repaint', 'brush', 'mask-brush');
  const eraserButton = button('eraser', 'Eraser: keep what is painted over', 'eraser', 'mask-eraser');
  const invertButton = button('arrow-swap', 'Invert the mask', 'invert', 'mask-invert');
  const clearButton = button('clear-all', 'Clear the mask', undefined, 'mask-clear');
  clearButton.addEventListener('click', () => changed(painting?.mask.clear()));
  const undoButton = button('discard', 'Undo', 'undo', 'mask-undo');
  const redoButton = button('redo', 'Redo', 'redo', 'mask-redo');
  const zoomOutButton = button('zoom-out', 'Zoom out', 'zoomOut', 'mask-zoom-out');
  const zoomInButton = button('zoom-in', 'Zoom in', 'zoomIn', 'mask-zoom-in');
  const fitButton = button('screen-full', 'Fit the picture in view', 'fit', 'mask-fit');
  const zoomText = h('output', { class: 'slider-value', 'data-testid': 'mask-zoom' });

  const sizeValue = h('output', { class: 'slider-value', 'data-testid': 'mask-size-value' });
  const sizeSlider = h('input', {
    type: 'range', class: 'slider', id: 'mask-size', 'data-testid': 'mask-size', min: MIN_BRUSH_SIZE, max: 256, step: 1,
    title: `Brush size in picture pixels (${SHORTCUT_HELP.smaller} and ${SHORTCUT_HELP.larger})`,
  });
  sizeSlider.addEventListener('input', () => setBrushSize(Number(sizeSlider.value)));
  const hardnessValue = h('output', { class: 'slider-value', 'data-testid': 'mask-hardness-value' });
  const hardnessSlider = h('input', {
    type: 'range', class: 'slider', id: 'mask-hardness', 'data-testid': 'mask-hardness', min: 0, max: 100, step: 1,
    title: 'Hardness: 100 % paints a sharp edge, less a soft one that blends in',
  });
  hardnessSlider.addEventListener('input', () => {
    hardness = Number(hardnessSlider.value) / 100;
    showTools();
  });

  const toolbar = h('div', { class: 'mask-toolbar', role: 'toolbar', 'aria-label': 'Mask tools' }, [
    h('div', { class: 'inline' }, [brushButton, eraserButton, invertButton, clearButton, undoButton, redoButton]),
    h('div', { class: 'inline' }, [zoomOutButton, zoomInButton, fitButton, zoomText]),
  ]);
  const sliders = h('div', { class: 'row mask-sliders' }, [
    h('div', { class: 'field' }, [h('div', { class: 'field-head' }, [h('vscode-label', { for: 'mask-size' }, ['Brush size']), sizeValue]), sizeSlider]),
    h('div', { class: 'field' }, [h('div', { class: 'field-head' }, [h('vscode-label', { for: 'mask-hardness' }, ['Hardness']), hardnessValue]), hardnessSlider]),
  ]);
  const help = h('p', { class: 'hint' }, [
    'Paint over what to repaint. Wheel zooms; drag with the middle button, or with Space held, to pan. ' +
      `Keys: ${SHORTCUT_HELP.brush} brush, ${SHORTCUT_HELP.eraser} eraser, ${SHORTCUT_HELP.smaller} ${SHORTCUT_HELP.larger} size, ` +
      `${SHORTCUT_HELP.invert} invert, ${SHORTCUT_HELP.undo} undo, ${SHORTCUT_HELP.redo} redo, ${SHORTCUT_HELP.fit} fit.`,
  ]);
  const element = h('section', { class: 'mask-painter', 'data-testid': 'mask-painter', 'aria-labelledby': 'mask-heading', hidden: true }, [
    h('div', { class: 'section-head' }, [h('h2', { id: 'mask-heading' }, ['Mask'])]),
    toolbar,
    sliders,
    stage,
    status,
    help,
  ]);

  function setBrushSize(size: number): void {
    brushSize = Math.min(MAX_BRUSH_SIZE, Math.max(MIN_BRUSH_SIZE, Math.round(size)));
    showTools();
    scheduleDraw();
  }

  function run(command: MaskCommand): void {
    const mask = painting?.mask;
    switch (command) {
      case 'smaller':
      case 'larger':
        setBrushSize(nextBrushSize(brushSize, command === 'larger' ? 1 : -1));
        return;
      case 'brush':
      case 'eraser':
        tool = command;
        showTools();
        return;
      case 'invert':
        changed(mask?.invert());
        return;
      case 'undo':
        changed(mask?.undo());
        return;
      case 'redo':
        changed(mask?.redo());
        return;
      case 'fit':
        fit();
        return;
      case 'zoomIn':
      case 'zoomOut': {
        const { width, height } = canvas.getBoundingClientRect();
        view = zoomAt(view, width / 2, height / 2, command === 'zoomIn' ? ZOOM_STEP : 1 / ZOOM_STEP);
        showTools();
        scheduleDraw();
        return;
      }
    }
  }

  function showTools(): void {
    brushButton.secondary = tool !== 'brush';
    eraserButton.secondary = tool !== 'eraser';
    brushButton.setAttribute('aria-pressed', String(tool === 'brush'));
    eraserButton.setAttribute('aria-pressed', String(tool === 'eraser'));
    if (Number(sizeSlider.value) !== brushSize) sizeSlider.value = String(brushSize);
    setText(sizeValue, `${brushSize} px`);
    const percent = Math.round(hardness * 100);
    if (Number(hardnessSlider.value) !== percent) hardnessSlider.value = String(percent);
    setText(hardnessValue, `${percent} %`);
    setText(zoomText, `${Math.round(view.scale * 100)} %`);
    const mask = painting?.mask;
    undoButton.disabled = !mask?.canUndo;
    redoButton.disabled = !mask?.canRedo;
  }

  /** After every change of the mask: the overlay where it changed, the buttons, and (between strokes) the panel's state. */
  function changed(rect: Rect | undefined): void {
    if (!painting || !rect) return;
    refreshOverlay(painting, rect);
    showTools();
    scheduleDraw();
    if (!painting.mask.painting) report(painting.mask);
  }

  function report(mask: MaskModel): void {
    context.dispatch({ type: 'maskChanged', painted: !mask.isEmpty(), saved: encodeMask(mask.width, mask.height, mask.data) });
  }

  function refreshOverlay(target: Painting, rect: Rect): void {
    const color = parseCssColor(getComputedStyle(document.body).getPropertyValue('--vscode-charts-red')) ?? FALLBACK_OVERLAY;
    const pixels = overlayPixels(target.mask.data, target.mask.width, rect, color, OVERLAY_OPACITY);
    target.overlay.getContext('2d')!.putImageData(new ImageData(pixels, rect.width, rect.height), rect.x, rect.y);
  }

  function contentBox(image: InitImage) {
    return {
      x: -outpaint.left,
      y: -outpaint.top,
      width: image.width + outpaint.left + outpaint.right,
      height: image.height + outpaint.top + outpaint.bottom,
    };
  }

  function fit(): void {
    if (!painting) return;
    const { width, height } = canvas.getBoundingClientRect();
    view = fitTransform(width, height, contentBox(painting.image));
    showTools();
    scheduleDraw();
  }

  function scheduleDraw(): void {
    if (frame === 0) frame = requestAnimationFrame(draw);
  }

  function draw(): void {
    frame = 0;
    const ratio = window.devicePixelRatio || 1;
    const { width, height } = canvas.getBoundingClientRect();
    const pixelWidth = Math.max(1, Math.round(width * ratio));
    const pixelHeight = Math.max(1, Math.round(height * ratio));
    if (canvas.width !== pixelWidth || canvas.height !== pixelHeight) {
      canvas.width = pixelWidth;
      canvas.height = pixelHeight;
    }
    const g = canvas.getContext('2d')!;
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, canvas.width, canvas.height);
    if (!painting) return;
    const { image, picture, overlay } = painting;
    g.setTransform(ratio * view.scale, 0, 0, ratio * view.scale, ratio * view.offsetX, ratio * view.offsetY);
    // Enlarged pixels stay sharp, so the edge of a mask can be placed exactly.
    g.imageSmoothingEnabled = view.scale < 2;
    const box = contentBox(image);
    if (box.width !== image.width || box.height !== image.height) {
      // The outpaint border is repainted whole: shown in the mask's colour around the picture.
      const color = parseCssColor(getComputedStyle(document.body).getPropertyValue('--vscode-charts-red')) ?? FALLBACK_OVERLAY;
      g.fillStyle = `rgba(${color.join(', ')}, ${OVERLAY_OPACITY})`;
      g.fillRect(box.x, box.y, box.width, box.height);
      g.clearRect(0, 0, image.width, image.height);
    }
    if (picture.complete && picture.naturalWidth > 0) g.drawImage(picture, 0, 0, image.width, image.height);
    g.drawImage(overlay, 0, 0);
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.strokeStyle = getComputedStyle(document.body).getPropertyValue('--vscode-focusBorder') || '#007fd4';
    g.lineWidth = 1;
    g.setLineDash([4, 3]);
    g.strokeRect(view.offsetX, view.offsetY, image.width * view.scale, image.height * view.scale);
    g.setLineDash([]);
    if (hover && gesture?.kind !== 'pan') {
      g.beginPath();
      g.arc(hover.x, hover.y, Math.max(1, (brushSize / 2) * view.scale), 0, 2 * Math.PI);
      g.strokeStyle = 'rgba(255, 255, 255, 0.9)';
      g.stroke();
      g.beginPath();
      g.arc(hover.x, hover.y, Math.max(1, (brushSize / 2) * view.scale) + 1, 0, 2 * Math.PI);
      g.strokeStyle = 'rgba(0, 0, 0, 0.7)';
      g.stroke();
    }
  }

  function localPoint(event: PointerEvent | WheelEvent): { x: number; y: number } {
    const bounds = canvas.getBoundingClientRect();
    return { x: event.clientX - bounds.left, y: event.clientY - bounds.top };
  }

  function dabAt(event: PointerEvent) {
    const local = localPoint(event);
    return { ...toImage(view, local.x, local.y), radius: pointerRadius(brushSize, event.pointerType, event.pressure) };
  }

  canvas.addEventListener('pointerdown', (event) => {
    if (!painting || gesture) return;
    canvas.focus();
    const pan = event.button === 1 || (event.button === 0 && spaceHeld);
    if (!pan && event.button !== 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    const { x, y } = localPoint(event);
    gesture = { kind: pan ? 'pan' : 'paint', pointerId: event.pointerId, lastX: x, lastY: y };
    if (!pan) changed(painting.mask.beginStroke(tool, hardness, dabAt(event)));
  });

  canvas.addEventListener('pointermove', (event) => {
    hover = localPoint(event);
    if (gesture?.pointerId === event.pointerId && painting) {
      if (gesture.kind === 'pan') {
        view = panBy(view, hover.x - gesture.lastX, hover.y - gesture.lastY);
        gesture.lastX = hover.x;
        gesture.lastY = hover.y;
      } else {
        // Every sample since the last frame, so a quick pen stroke keeps its curve.
        const samples = event.getCoalescedEvents?.() ?? [];
        for (const sample of samples.length > 0 ? samples : [event]) changed(painting.mask.strokeTo(dabAt(sample)));
      }
    }
    scheduleDraw();
  });

  const endGesture = (event: PointerEvent) => {
    if (gesture?.pointerId !== event.pointerId) return;
    const kind = gesture.kind;
    gesture = undefined;
    if (canvas.hasPointerCapture(event.pointerId)) canvas.releasePointerCapture(event.pointerId);
    if (kind === 'paint' && painting) {
      painting.mask.endStroke();
      showTools();
      report(painting.mask);
    }
    scheduleDraw();
  };
  canvas.addEventListener('pointerup', endGesture);
  canvas.addEventListener('pointercancel', endGesture);
  canvas.addEventListener('pointerleave', () => {
    if (!gesture) hover = undefined;
    scheduleDraw();
  });

  canvas.addEventListener(
    'wheel',
    (event) => {
      if (!painting) return;
      event.preventDefault();
      const { x, y } = localPoint(event);
      view = zoomAt(view, x, y, wheelZoomFactor(event.deltaY));
      showTools();
      scheduleDraw();
    },
    { passive: false },
  );

  // Keys act while the painter has focus, or nothing else does; never while typing in a field.
  document.addEventListener('keydown', (event) => {
    if (element.hidden || !painting) return;
    const target = event.target instanceof Element ? event.target : null;
    if (target !== document.body && !element.contains(target)) return;
    if (target && /^(INPUT|TEXTAREA|VSCODE-TEXTFIELD|VSCODE-TEXTAREA)$/.test(target.tagName) && target !== canvas) return;
    if (event.key === ' ') {
      spaceHeld = true;
      event.preventDefault();
      return;
    }
    const command = maskCommandFor(event);
    if (!command) return;
    event.preventDefault();
    run(command);
  });
  document.addEventListener('keyup', (event) => {
    if (event.key === ' ') spaceHeld = false;
  });

  new ResizeObserver(() => {
    if (painting && !gesture) fit();
  }).observe(stage);

  /**
   * A new picture: a fresh mask at its size, then the one to load or the saved one if it
   * belongs to the picture, and the view fitted.
   */
  function start(state: PanelState, image: InitImage): void {
    const mask = new MaskModel(image.width, image.height);
    const own = state.mask?.path === image.path ? state.mask : undefined;
    const saved = own?.load === undefined ? decodeMask(own?.saved, image.width, image.height) : undefined;
    if (saved) mask.load(saved);
    const overlay = h('canvas');
    overlay.width = image.width;
    overlay.height = image.height;
    const picture = new Image();
    picture.addEventListener('load', scheduleDraw);
    picture.src = image.src;
    const current: Painting = { image, mask, overlay, picture, ...(own?.load !== undefined ? { loading: own.load } : {}) };
    painting = current;
    refreshOverlay(current, mask.full);
    fit();
    if (own?.load !== undefined) {
      loadMaskImage(current, own.load);
    } else if (state.mask?.painted !== !mask.isEmpty()) {
      // The state may say "painted" for a mask too large to have been saved; it is empty now.
      queueMicrotask(() => report(mask));
    }
  }

  /** A mask image drawn at the picture's size and read back as mask values. */
  function loadMaskImage(target: Painting, src: string): void {
    const source = new Image();
    source.addEventListener('load', () => {
      if (painting !== target) return;
      target.loading = undefined;
      const { width, height } = target.mask;
      const scratch = h('canvas');
      scratch.width = width;
      scratch.height = height;
      const g = scratch.getContext('2d', { willReadFrequently: true })!;
      g.drawImage(source, 0, 0, width, height);
      target.mask.load(maskValuesFromRgba(g.getImageData(0, 0, width, height).data));
      refreshOverlay(target, target.mask.full);
      showTools();
      scheduleDraw();
      report(target.mask);
    });
    source.addEventListener('error', () => {
      if (painting !== target) return;
      target.loading = undefined;
      report(target.mask);
    });
    source.src = src;
  }

  return {
    element,
    update(state) {
      const image = state.settings.inpaint ? state.initImage : undefined;
      element.hidden = image === undefined;
      if (!image) return;
      const toLoad = state.mask?.path === image.path ? state.mask.load : undefined;
      const samePicture =
        painting?.image.path === image.path && painting.image.src === image.src && painting.image.width === image.width && painting.image.height === image.height;
      if (!samePicture || (toLoad !== undefined && toLoad !== painting?.loading)) start(state, image);
      const next = state.settings.inpaint!.outpaint;
      if (next !== outpaint) {
        const grew = ['left', 'top', 'right', 'bottom'].some((side) => next[side as keyof Outpaint] !== outpaint[side as keyof Outpaint]);
        outpaint = next;
        if (grew) fit();
      }
      setText(status, `${image.label} · mask ${image.width} × ${image.height}` + (state.mask?.painted ? '' : ' · nothing painted yet'));
      showTools();
    },
    maskPng() {
      if (!painting || painting.mask.isEmpty()) return undefined;
      const { mask } = painting;
      const exported = h('canvas');
      exported.width = mask.width;
      exported.height = mask.height;
      exported.getContext('2d')!.putImageData(new ImageData(maskToRgba(mask.data), mask.width, mask.height), 0, 0);
      return exported.toDataURL('image/png').replace(/^data:image\/png;base64,/, '');
    },
  };
}
