/**
 * The mask in the webview's saved state (getState/setState, which VS Code keeps as JSON and
 * serialises on every change of the form): run lengths of equal values in one string,
 * `value.count` pairs in base 36 joined by commas, since a long string costs the serialiser a
 * copy where an array of numbers costs it a conversion each. A painted mask is long runs of 0
 * and 255 with short soft edges, so this is small; a mask whose runs are too many to be worth it
 * (noise, a very soft brush on a large picture) is not saved and the painter starts empty after
 * a reload.
 */
export interface SavedMask {
  width: number;
  height: number;
  runs: string;
}

/** Runs past which a mask is not saved: about 1 MB of text. */
export const MAX_SAVED_RUNS = 150_000;

export function encodeMask(width: number, height: number, data: Uint8Array): SavedMask | undefined {
  const runs: string[] = [];
  let i = 0;
  while (i < data.length) {
    const value = data[i]!;
    let end = i + 1;
    while (end < data.length && data[end] === value) end++;
    runs.push(`${value.toString(36)}.${(end - i).toString(36)}`);
    if (runs.length > MAX_SAVED_RUNS) return undefined;
    i = end;
  }
  return { width, height, runs: runs.join(',') };
}

/** The mask's values, or undefined when `saved` is not a whole mask of that size. */
export function decodeMask(saved: unknown, width: number, height: number): Uint8Array | undefined {
  if (typeof saved !== 'object' || saved === null) return undefined;
  const { width: w, height: h, runs } = saved as Partial<SavedMask>;
  if (w !== width || h !== height || typeof runs !== 'string') return undefined;
  const data = new Uint8Array(width * height);
  let offset = 0;
  for (const run of runs === '' ? [] : runs.split(',')) {
    const match = /^([0-9a-z]+)\.([0-9a-z]+)$/.exec(run);
    if (!match) return undefined;
    const value = parseInt(match[1]!, 36);
    const count = parseInt(match[2]!, 36);
    if (value > 255 || count < 1 || offset + count > data.length) return undefined;
    data.fill(value, offset, offset + count);
    offset += count;
  }
  return offset === data.length ? data : undefined;
}
