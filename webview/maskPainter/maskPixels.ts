import type { Rect } from './rect';

export type Rgb = readonly [number, number, number];

/**
 * The mask as the engine reads it: grey from black (keep) to white (repaint), opaque, RGBA
 * for a canvas to encode as PNG. An opaque alpha matters: the engine takes a mask's
 * transparency as the mask itself.
 */
export function maskToRgba(mask: Uint8Array): Uint8ClampedArray<ArrayBuffer> {
  const pixels = new Uint8ClampedArray(mask.length * 4);
  for (let i = 0; i < mask.length; i++) {
    const value = mask[i]!;
    pixels[4 * i] = value;
    pixels[4 * i + 1] = value;
    pixels[4 * i + 2] = value;
    pixels[4 * i + 3] = 255;
  }
  return pixels;
}

/**
 * The mask's overlay over `rect`: `color` everywhere, transparent where the picture is kept and
 * at `opacity` where it is repainted, as RGBA rows of rect.width pixels.
 */
export function overlayPixels(mask: Uint8Array, maskWidth: number, rect: Rect, color: Rgb, opacity: number): Uint8ClampedArray<ArrayBuffer> {
  const pixels = new Uint8ClampedArray(rect.width * rect.height * 4);
  let o = 0;
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      pixels[o++] = color[0];
      pixels[o++] = color[1];
      pixels[o++] = color[2];
      pixels[o++] = Math.round(mask[y * maskWidth + x]! * opacity);
    }
  }
  return pixels;
}

/** A CSS colour as the theme gives it (`#rgb`, `#rrggbb`, `rgb(…)`), or undefined when it is another form. */
export function parseCssColor(text: string): Rgb | undefined {
  const value = text.trim();
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i.exec(value)?.[1];
  if (hex) {
    const full = hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex.slice(0, 6);
    return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16)) as unknown as Rgb;
  }
  const rgb = /^rgba?\(\s*(\d+)[\s,]+(\d+)[\s,]+(\d+)/i.exec(value);
  return rgb ? [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])] : undefined;
}

/**
 * A mask image's pixels (RGBA, as a canvas reads them) as mask values: the grey level (the red
 * channel; painted masks are grey), or the alpha when any pixel is transparent, since a mask
 * with transparency is read by its alpha (src/protocol/recipe.ts).
 */
export function maskValuesFromRgba(rgba: Uint8ClampedArray): Uint8Array {
  const values = new Uint8Array(rgba.length / 4);
  let transparent = false;
  for (let i = 3; i < rgba.length; i += 4) {
    if (rgba[i]! < 255) {
      transparent = true;
      break;
    }
  }
  const channel = transparent ? 3 : 0;
  for (let i = 0; i < values.length; i++) values[i] = rgba[4 * i + channel]!;
  return values;
}
