import type { GalleryItem } from '../src/protocol/panelProtocol';

export type FocusPoint = [number, number];

/** Clicks and fields give hundredths: finer than anyone aims, and short in the recipe. */
function hundredths(value: number): number {
  return Math.round(Math.min(1, Math.max(0, value)) * 100) / 100;
}

/** The point clicked inside a picture of this displayed size, as fractions of its width and height. */
export function focusFromClick(x: number, y: number, width: number, height: number): FocusPoint {
  if (width <= 0 || height <= 0) return [0.5, 0.5];
  return [hundredths(x / width), hundredths(y / height)];
}

/** An arrow key's step: a twentieth of the picture, kept inside it. */
export const FOCUS_KEY_STEP = 0.05;

/** The focus moved by an arrow key, or undefined for any other key. */
export function focusAfterKey(focus: FocusPoint, key: string): FocusPoint | undefined {
  const moves: Record<string, FocusPoint> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  const move = moves[key];
  if (!move) return undefined;
  return [hundredths(focus[0] + move[0] * FOCUS_KEY_STEP), hundredths(focus[1] + move[1] * FOCUS_KEY_STEP)];
}

/** A fraction from 0 to 1 typed into a field, else undefined. */
export function fractionIn(text: string): number | undefined {
  if (!/^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(text)) return undefined;
  const value = Number(text);
  return value >= 0 && value <= 1 ? value : undefined;
}

/**
 * The picture the focus is chosen on: the newest one whose recipe kept the whole generated frame
 * (no exact size), since the focus is a point of that frame, not of a finished crop.
 */
export function focusPicture(gallery: readonly GalleryItem[]): GalleryItem | undefined {
  return gallery.find((item) => item.recipe !== undefined && item.recipe.output === undefined);
}
