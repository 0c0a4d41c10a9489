import type { Rect } from './rect';

/**
 * One undoable change of the mask: the pixels of `rect` before and after it. Invert carries no
 * pixels (it undoes itself); `after` absent means all zero (Clear).
 */
export type MaskChange = { kind: 'invert' } | { kind: 'patch'; rect: Rect; before: Uint8Array; after?: Uint8Array };

export interface HistoryLimits {
  /** Most changes kept. */
  entries: number;
  /** Most bytes of pixels kept across all changes; the oldest go first. */
  bytes: number;
}

export const DEFAULT_HISTORY_LIMITS: HistoryLimits = { entries: 100, bytes: 64 * 1024 * 1024 };

function sizeOf(change: MaskChange): number {
  return change.kind === 'invert' ? 0 : change.before.length + (change.after?.length ?? 0);
}

/**
 * Stroke-level undo and redo with a bound: a painting session of hundreds of strokes on a 4K
 * picture must not keep every patch, so the oldest changes are dropped past the limits (a
 * single change larger than the byte limit is still kept, alone, so the last action can always
 * be undone).
 */
export class MaskHistory {
  private readonly done: MaskChange[] = [];
  private readonly undone: MaskChange[] = [];
  private bytes = 0;

  constructor(private readonly limits: HistoryLimits = DEFAULT_HISTORY_LIMITS) {}

  get canUndo(): boolean {
    return this.done.length > 0;
  }

  get canRedo(): boolean {
    return this.undone.length > 0;
  }

  get size(): number {
    return this.done.length;
  }

  /** A new change clears what could be redone. */
  push(change: MaskChange): void {
    for (const dropped of this.undone.splice(0)) this.bytes -= sizeOf(dropped);
    this.done.push(change);
    this.bytes += sizeOf(change);
    while (this.done.length > 1 && (this.done.length > this.limits.entries || this.bytes > this.limits.bytes)) {
      this.bytes -= sizeOf(this.done.shift()!);
    }
  }

  /** The change to revert, moved to the redo side. */
  undo(): MaskChange | undefined {
    const change = this.done.pop();
    if (change) this.undone.push(change);
    return change;
  }

  /** The change to apply again, moved back to the undo side. */
  redo(): MaskChange | undefined {
    const change = this.undone.pop();
    if (change) this.done.push(change);
    return change;
  }

  clear(): void {
    this.done.length = 0;
    this.undone.length = 0;
    this.bytes = 0;
  }
}
