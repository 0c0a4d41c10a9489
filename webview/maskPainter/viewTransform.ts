/** Where the picture sits on the painter's canvas: screen = image × scale + offset, in CSS pixels. */
export interface ViewTransform {
  scale: number;
  offsetX: number;
  offsetY: number;
}

/** The area to show, in image pixels: the picture, and outpaint margins around it (negative x, y). */
export interface ContentBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const MIN_SCALE = 1 / 32;
export const MAX_SCALE = 32;
/** One wheel notch or zoom button press. */
export const ZOOM_STEP = 1.25;
/** Room left around the picture when it is fitted. */
const FIT_MARGIN = 8;

function clampScale(scale: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
}

/** The whole content box in view and centred, as large as the view allows. */
export function fitTransform(viewWidth: number, viewHeight: number, content: ContentBox): ViewTransform {
  const room = (side: number) => Math.max(1, side - 2 * FIT_MARGIN);
  const scale = clampScale(Math.min(room(viewWidth) / content.width, room(viewHeight) / content.height));
  return {
    scale,
    offsetX: (viewWidth - content.width * scale) / 2 - content.x * scale,
    offsetY: (viewHeight - content.height * scale) / 2 - content.y * scale,
  };
}

/** Zoomed by `factor` around the screen point (sx, sy), which stays over the same image pixel. */
export function zoomAt(view: ViewTransform, sx: number, sy: number, factor: number): ViewTransform {
  const scale = clampScale(view.scale * factor);
  const ratio = scale / view.scale;
  return { scale, offsetX: sx - (sx - view.offsetX) * ratio, offsetY: sy - (sy - view.offsetY) * ratio };
}

export function panBy(view: ViewTransform, dx: number, dy: number): ViewTransform {
  return { ...view, offsetX: view.offsetX + dx, offsetY: view.offsetY + dy };
}

/** The image point under the screen point. */
export function toImage(view: ViewTransform, sx: number, sy: number): { x: number; y: number } {
  return { x: (sx - view.offsetX) / view.scale, y: (sy - view.offsetY) / view.scale };
}

/** A wheel event's zoom factor: one step per notch, finer for a touchpad's small deltas. */
export function wheelZoomFactor(deltaY: number): number {
  return Math.pow(ZOOM_STEP, -Math.max(-1, Math.min(1, deltaY / 100)));
}
