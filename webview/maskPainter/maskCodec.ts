/**
 * The mask in the webview's saved state (getState/setState, which VS Code keeps as JSON): run
 * lengths of equal values, as pairs [value, count, value, count, …]. A painted mask is long runs
 * of 0 and 255 with short soft edges, so this is small; a mask whose runs are too many to be
 * worth it (noise, a very soft brush on a large picture) is not saved and the painter starts
 * empty after a reload.
 */
export interface SavedMask {
  width: number;
  height: number;
  runs: number[];
}

/** Numbers in `runs` past which a mask is not saved: about 1 MB of JSON. */
export const MAX_SAVED_RUN_NUMBERS = 250_000;

export function encodeMask(width: number, height: number, data: Uint8Array): SavedMask | undefined {
  const runs: number[] = [];
  let i = 0;
  while (i < data.length) {
    const value = data[i]!;
    let end = i + 1;
    while (end < data.length && data[end] === value) end++;
    runs.push(value, end - i);
    if (runs.length > MAX_SAVED_RUN_NUMBERS) return undefined;
    i = end;
  }
  return { width, height, runs };
}

/** The mask's values, or undefined when `saved` is not a whole mask of that size. */
export function decodeMask(saved: unknown, width: number, height: number): Uint8Array | undefined {
  if (typeof saved !== 'object' || saved === null) return undefined;
  const { width: w, height: h, runs } = saved as Partial<SavedMask>;
  if (w !== width || h !== height || !Array.isArray(runs) || runs.length % 2 !== 0) return undefined;
  const data = new Uint8Array(width * height);
  let offset = 0;
  for (let i = 0; i < runs.length; i += 2) {
    const value = runs[i];
    const count = runs[i + 1];
    if (!Number.isInteger(value) || value! < 0 || value! > 255 || !Number.isInteger(count) || count! < 1) return undefined;
    if (offset + count! > data.length) return undefined;
    data.fill(value!, offset, offset + count!);
    offset += count!;
  }
  return offset === data.length ? data : undefined;
}
