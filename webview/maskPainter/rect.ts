/** A pixel rectangle of the mask: x and y inclusive, x + width and y + height exclusive. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The smallest rectangle holding both; undefined stands for nothing. */
export function unionRect(a: Rect | undefined, b: Rect | undefined): Rect | undefined {
  if (!a) return b;
  if (!b) return a;
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
}

/** The part of `rect` inside a width × height image, or undefined when none is. */
export function clipRect(rect: Rect, width: number, height: number): Rect | undefined {
  const x0 = Math.max(0, Math.floor(rect.x));
  const y0 = Math.max(0, Math.floor(rect.y));
  const x1 = Math.min(width, Math.ceil(rect.x + rect.width));
  const y1 = Math.min(height, Math.ceil(rect.y + rect.height));
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : undefined;
}

/** The pixels of `rect` copied out of a row-major image `width` pixels wide. */
export function copyRect(data: Uint8Array, width: number, rect: Rect): Uint8Array {
  const out = new Uint8Array(rect.width * rect.height);
  for (let row = 0; row < rect.height; row++) {
    const start = (rect.y + row) * width + rect.x;
    out.set(data.subarray(start, start + rect.width), row * rect.width);
  }
  return out;
}

/** The inverse of copyRect: `patch` written back over `rect`. */
export function pasteRect(data: Uint8Array, width: number, rect: Rect, patch: Uint8Array): void {
  for (let row = 0; row < rect.height; row++) {
    data.set(patch.subarray(row * rect.width, (row + 1) * rect.width), (rect.y + row) * width + rect.x);
  }
}
