// The mask painter's pixels on screen and in and out of images: the overlay, the drawn scene, the
// PNG the engine gets and a mask image read back. The painter's state and events are maskPainter.ts.
import type { Outpaint } from '../../src/protocol/recipe';
import { h } from '../dom';
import type { MaskModel } from '../maskPainter/maskModel';
import { maskToRgba, maskValuesFromRgba, overlayPixels, parseCssColor, type Rgb } from '../maskPainter/maskPixels';
import type { Rect } from '../maskPainter/rect';
import type { ViewTransform } from '../maskPainter/viewTransform';

/** The overlay shows repainted pixels at this opacity, so the picture stays visible under it. */
const OVERLAY_OPACITY = 0.5;
/** Where the theme has no chart colour: a red that reads on light and dark pictures. */
const FALLBACK_OVERLAY: Rgb = [229, 20, 0];
/** Enlarged pixels are drawn sharp from this zoom on, so the edge of a mask can be placed exactly. */
const SHARP_FROM_SCALE = 2;

function themeColor(name: string): string {
  return getComputedStyle(document.body).getPropertyValue(name);
}

function overlayColor(): Rgb {
  return parseCssColor(themeColor('--vscode-charts-red')) ?? FALLBACK_OVERLAY;
}

/** The overlay canvas (the picture's size) brought up to date over `rect`. */
export function paintOverlay(overlay: HTMLCanvasElement, mask: MaskModel, rect: Rect): void {
  const pixels = overlayPixels(mask.data, mask.width, rect, overlayColor(), OVERLAY_OPACITY);
  overlay.getContext('2d')!.putImageData(new ImageData(pixels, rect.width, rect.height), rect.x, rect.y);
}

export interface MaskScene {
  picture: HTMLImageElement;
  overlay: HTMLCanvasElement;
  width: number;
  height: number;
  outpaint: Outpaint;
  view: ViewTransform;
  /** The brush's outline under the pointer, in canvas CSS pixels. */
  cursor?: { x: number; y: number; radius: number };
}

/**
 * Draws the picture, the outpaint border (repainted whole, so in the mask's colour), the mask's
 * overlay, the picture's outline and the brush's, at the device's pixel ratio.
 */
export function drawMaskScene(canvas: HTMLCanvasElement, scene: MaskScene | undefined): void {
  const ratio = window.devicePixelRatio || 1;
  const bounds = canvas.getBoundingClientRect();
  const pixelWidth = Math.max(1, Math.round(bounds.width * ratio));
  const pixelHeight = Math.max(1, Math.round(bounds.height * ratio));
  if (canvas.width !== pixelWidth || canvas.height !== pixelHeight) {
    canvas.width = pixelWidth;
    canvas.height = pixelHeight;
  }
  const g = canvas.getContext('2d')!;
  g.setTransform(1, 0, 0, 1, 0, 0);
  g.clearRect(0, 0, canvas.width, canvas.height);
  if (!scene) return;
  const { picture, overlay, width, height, outpaint, view } = scene;
  g.setTransform(ratio * view.scale, 0, 0, ratio * view.scale, ratio * view.offsetX, ratio * view.offsetY);
  g.imageSmoothingEnabled = view.scale < SHARP_FROM_SCALE;
  if (outpaint.left + outpaint.top + outpaint.right + outpaint.bottom > 0) {
    g.fillStyle = `rgba(${overlayColor().join(', ')}, ${OVERLAY_OPACITY})`;
    g.fillRect(-outpaint.left, -outpaint.top, width + outpaint.left + outpaint.right, height + outpaint.top + outpaint.bottom);
    g.clearRect(0, 0, width, height);
  }
  if (picture.complete && picture.naturalWidth > 0) g.drawImage(picture, 0, 0, width, height);
  g.drawImage(overlay, 0, 0);

  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.strokeStyle = themeColor('--vscode-focusBorder') || '#007fd4';
  g.lineWidth = 1;
  g.setLineDash([4, 3]);
  g.strokeRect(view.offsetX, view.offsetY, width * view.scale, height * view.scale);
  g.setLineDash([]);
  if (scene.cursor) {
    // Light inside dark, so the outline shows on any picture.
    const { x, y, radius } = scene.cursor;
    for (const [offset, colour] of [[0, 'rgba(255, 255, 255, 0.9)'], [1, 'rgba(0, 0, 0, 0.7)']] as const) {
      g.beginPath();
      g.arc(x, y, Math.max(1, radius) + offset, 0, 2 * Math.PI);
      g.strokeStyle = colour;
      g.stroke();
    }
  }
}

/** The mask as the engine reads it: a grey PNG at the picture's size, base64. */
export function maskPngBase64(mask: MaskModel): string {
  const exported = h('canvas');
  exported.width = mask.width;
  exported.height = mask.height;
  exported.getContext('2d')!.putImageData(new ImageData(maskToRgba(mask.data), mask.width, mask.height), 0, 0);
  return exported.toDataURL('image/png').replace(/^data:image\/png;base64,/, '');
}

/** A mask image (a data: URL, so its pixels may be read) drawn at width × height and read back as mask values. */
export function readMaskImage(src: string, width: number, height: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const source = new Image();
    source.addEventListener('load', () => {
      const scratch = h('canvas');
      scratch.width = width;
      scratch.height = height;
      const g = scratch.getContext('2d', { willReadFrequently: true })!;
      g.drawImage(source, 0, 0, width, height);
      resolve(maskValuesFromRgba(g.getImageData(0, 0, width, height).data));
    });
    source.addEventListener('error', () => reject(new Error('The mask image did not load.')));
    source.src = src;
  });
}
