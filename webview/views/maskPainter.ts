import type { InitImage } from '../../src/protocol/panelProtocol';
import type { Outpaint } from '../../src/protocol/recipe';
import { h, setText } from '../dom';
import { OUTPAINT_SIDES } from '../inpaintOptions';
import { pointerRadius } from '../maskPainter/brushDab';
import { decodeMask, encodeMask } from '../maskPainter/maskCodec';
import { MaskModel, type MaskTool } from '../maskPainter/maskModel';
import { maskCommandFor, MAX_BRUSH_SIZE, MIN_BRUSH_SIZE, nextBrushSize, SHORTCUT_HELP, type MaskCommand } from '../maskPainter/maskShortcuts';
import type { Rect } from '../maskPainter/rect';
import { fitTransform, panBy, toImage, wheelZoomFactor, zoomAt, ZOOM_STEP, type ViewTransform } from '../maskPainter/viewTransform';
import type { PanelState } from '../panelState';
import { drawMaskScene, maskPngBase64, paintOverlay, readMaskImage } from './maskCanvas';
import { createMaskToolbar } from './maskToolbar';
import type { View, ViewContext } from './view';

const DEFAULT_BRUSH_SIZE = 48;
const DEFAULT_HARDNESS = 0.6;
const NO_MARGINS: Outpaint = { left: 0, top: 0, right: 0, bottom: 0 };

export interface MaskPainterView extends View {
  /** The mask as a base64 PNG at the picture's size, or undefined when nothing is painted. */
  maskPng(): string | undefined;
}

interface Painting {
  image: InitImage;
  mask: MaskModel;
  /** The mask's overlay at the picture's size, updated where strokes change it. */
  overlay: HTMLCanvasElement;
  picture: HTMLImageElement;
  /** The mask image being loaded into it, if any (a reused recipe's). */
  loading?: string;
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
  let outpaint = NO_MARGINS;
  let painting: Painting | undefined;
  let hover: { x: number; y: number } | undefined;
  let gesture: { kind: 'paint' | 'pan'; pointerId: number; lastX: number; lastY: number } | undefined;
  let frame = 0;
  let spaceHeld = false;

  const tools = createMaskToolbar({
    run,
    clear: () => changed(painting?.mask.clear()),
    setBrushSize,
    setHardness(value) {
      hardness = value;
      showTools();
    },
  });
  const help = h('p', { class: 'hint' }, [
    'Paint over what to repaint. Wheel zooms; drag with the middle button, or with Space held, to pan. ' +
      `Keys: ${SHORTCUT_HELP.brush} brush, ${SHORTCUT_HELP.eraser} eraser, ${SHORTCUT_HELP.smaller} ${SHORTCUT_HELP.larger} size, ` +
      `${SHORTCUT_HELP.invert} invert, ${SHORTCUT_HELP.undo} undo, ${SHORTCUT_HELP.redo} redo, ${SHORTCUT_HELP.fit} fit.`,
  ]);
  const element = h('section', { class: 'mask-painter', 'data-testid': 'mask-painter', 'aria-labelledby': 'mask-heading', hidden: true }, [
    h('div', { class: 'section-head' }, [h('h2', { id: 'mask-heading' }, ['Mask'])]),
    tools.toolbar,
    tools.sliders,
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
        setView(zoomAt(view, width / 2, height / 2, command === 'zoomIn' ? ZOOM_STEP : 1 / ZOOM_STEP));
        return;
      }
    }
  }

  function showTools(): void {
    const mask = painting?.mask;
    tools.show({ tool, brushSize, hardness, canUndo: mask?.canUndo === true, canRedo: mask?.canRedo === true, scale: view.scale });
  }

  function setView(next: ViewTransform): void {
    view = next;
    showTools();
    scheduleDraw();
  }

  /** After every change of the mask: the overlay where it changed, the buttons, and (between strokes) the panel's state. */
  function changed(rect: Rect | undefined): void {
    if (!painting || !rect) return;
    paintOverlay(painting.overlay, painting.mask, rect);
    showTools();
    scheduleDraw();
    if (!painting.mask.painting) report(painting.mask);
  }

  function report(mask: MaskModel): void {
    context.dispatch({ type: 'maskChanged', painted: !mask.isEmpty(), saved: encodeMask(mask.width, mask.height, mask.data) });
  }

  function fit(): void {
    if (!painting) return;
    const { width, height } = canvas.getBoundingClientRect();
    const { image } = painting;
    setView(
      fitTransform(width, height, {
        x: -outpaint.left,
        y: -outpaint.top,
        width: image.width + outpaint.left + outpaint.right,
        height: image.height + outpaint.top + outpaint.bottom,
      }),
    );
  }

  function scheduleDraw(): void {
    if (frame !== 0) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      const cursor = hover && gesture?.kind !== 'pan' ? { ...hover, radius: (brushSize / 2) * view.scale } : undefined;
      drawMaskScene(
        canvas,
        painting && {
          picture: painting.picture,
          overlay: painting.overlay,
          width: painting.image.width,
          height: painting.image.height,
          outpaint,
          view,
          ...(cursor ? { cursor } : {}),
        },
      );
    });
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
        // Every sample since the last event, so a quick pen stroke keeps its curve.
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
      setView(zoomAt(view, x, y, wheelZoomFactor(event.deltaY)));
    },
    { passive: false },
  );

  // Keys act while the painter has focus, or nothing else does; never while typing in a field.
  document.addEventListener('keydown', (event) => {
    if (element.hidden || !painting) return;
    const target = event.target instanceof Element ? event.target : null;
    if (target !== document.body && !element.contains(target)) return;
    if (target && /^(INPUT|TEXTAREA|VSCODE-TEXTFIELD|VSCODE-TEXTAREA)$/.test(target.tagName)) return;
    if (event.key === ' ') {
      spaceHeld = true;
      event.preventDefault();
      return;
    }
    const command = maskCommandFor(event);
    if (!command) return;
    // Consumed here: passed on, VS Code would run its own undo for Ctrl+Z and move the focus out of the page.
    event.preventDefault();
    event.stopPropagation();
    run(command);
  });
  document.addEventListener('keyup', (event) => {
    if (event.key === ' ') spaceHeld = false;
  });

  // Shown, or the panel resized: the picture fitted again (not mid-gesture, which it would jolt).
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
    paintOverlay(overlay, mask, mask.full);
    fit();
    if (own?.load !== undefined) {
      void loadInto(current, own.load);
    } else if (state.mask?.painted !== !mask.isEmpty()) {
      // The state may say "painted" for a mask too large to have been saved; it is empty now.
      queueMicrotask(() => report(mask));
    }
  }

  /** A reused recipe's mask into the painter; one that does not load leaves the mask empty. */
  async function loadInto(target: Painting, src: string): Promise<void> {
    const values = await readMaskImage(src, target.mask.width, target.mask.height).catch(() => undefined);
    if (painting !== target) return;
    target.loading = undefined;
    if (values) {
      target.mask.load(values);
      paintOverlay(target.overlay, target.mask, target.mask.full);
      showTools();
      scheduleDraw();
    }
    report(target.mask);
  }

  return {
    element,
    update(state) {
      const image = state.settings.inpaint ? state.initImage : undefined;
      element.hidden = image === undefined;
      if (!image) return;
      const toLoad = state.mask?.path === image.path ? state.mask.load : undefined;
      const shown = painting?.image;
      const samePicture = shown?.path === image.path && shown.src === image.src && shown.width === image.width && shown.height === image.height;
      if (!samePicture || (toLoad !== undefined && toLoad !== painting?.loading)) start(state, image);
      const margins = state.settings.inpaint!.outpaint;
      if (OUTPAINT_SIDES.some((side) => margins[side] !== outpaint[side])) {
        outpaint = margins;
        fit();
      }
      setText(status, `${image.label} · mask ${image.width} × ${image.height}` + (state.mask?.painted ? '' : ' · nothing painted yet'));
      showTools();
    },
    maskPng() {
      return painting && !painting.mask.isEmpty() ? maskPngBase64(painting.mask) : undefined;
    },
  };
}
