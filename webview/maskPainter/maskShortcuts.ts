/** What a key does in the painter. */
export type MaskCommand = 'smaller' | 'larger' | 'brush' | 'eraser' | 'invert' | 'undo' | 'redo' | 'fit' | 'zoomIn' | 'zoomOut';

export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** The painter's keys, as its toolbar's titles name them. */
export const SHORTCUT_HELP: Record<MaskCommand, string> = {
  smaller: '[',
  larger: ']',
  brush: 'B',
  eraser: 'E',
  invert: 'X or I',
  undo: 'Ctrl+Z',
  redo: 'Ctrl+Shift+Z',
  fit: '0',
  zoomIn: '+',
  zoomOut: '-',
};

/**
 * The command for a key press, or undefined. Ctrl and ⌘ both count as the modifier (undo is
 * ⌘Z on a Mac); Ctrl+Y is redo too, as on Windows. Plain letters only without modifiers, so
 * that the workbench's own shortcuts still reach it.
 */
export function maskCommandFor(press: KeyPress): MaskCommand | undefined {
  const key = press.key.length === 1 ? press.key.toLowerCase() : press.key;
  const modifier = press.ctrlKey || press.metaKey;
  if (press.altKey) return undefined;
  if (modifier) {
    if (key === 'z') return press.shiftKey ? 'redo' : 'undo';
    if (key === 'y' && !press.shiftKey) return 'redo';
    return undefined;
  }
  switch (key) {
    case '[':
      return 'smaller';
    case ']':
      return 'larger';
    case 'b':
      return 'brush';
    case 'e':
      return 'eraser';
    case 'x':
    case 'i':
      return 'invert';
    case '0':
      return 'fit';
    case '+':
    case '=':
      return 'zoomIn';
    case '-':
      return 'zoomOut';
    default:
      return undefined;
  }
}

export const MIN_BRUSH_SIZE = 1;
export const MAX_BRUSH_SIZE = 1024;

/** The next brush size for [ and ]: steps of about 15 %, at least one pixel, within the limits. */
export function nextBrushSize(size: number, direction: 1 | -1): number {
  const step = Math.max(1, Math.round(size * 0.15));
  return Math.min(MAX_BRUSH_SIZE, Math.max(MIN_BRUSH_SIZE, size + direction * step));
}
