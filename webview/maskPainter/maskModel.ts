import { dabsBetween, stampDab, type Dab } from './brushDab';
import { DEFAULT_HISTORY_LIMITS, MaskHistory, type HistoryLimits, type MaskChange } from './maskHistory';
import { copyRect, pasteRect, unionRect, type Rect } from './rect';

export type MaskTool = 'brush' | 'eraser';

interface Stroke {
  tool: MaskTool;
  hardness: number;
  last: Dab;
  dirty: Rect | undefined;
}

/**
 * The inpainting mask at the picture's own resolution, one byte per pixel: 255 repaints, 0
 * keeps, values between blend (a soft brush's edge). Pure data, no DOM, so strokes, undo and
 * export can be tested without a browser; the painter view only turns pointer events into
 * calls and shows the rectangles each call returns.
 */
export class MaskModel {
  readonly data: Uint8Array;
  private readonly history: MaskHistory;
  /** The open stroke's coverage (highest dab value per pixel) and the mask as it was before it. */
  private readonly coverage: Uint8Array;
  private readonly base: Uint8Array;
  private stroke: Stroke | undefined;

  constructor(
    readonly width: number,
    readonly height: number,
    limits: HistoryLimits = DEFAULT_HISTORY_LIMITS,
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new RangeError(`A mask needs a whole positive size, got ${width} × ${height}.`);
    }
    this.data = new Uint8Array(width * height);
    this.coverage = new Uint8Array(width * height);
    this.base = new Uint8Array(width * height);
    this.history = new MaskHistory(limits);
  }

  get canUndo(): boolean {
    return this.stroke === undefined && this.history.canUndo;
  }

  get canRedo(): boolean {
    return this.stroke === undefined && this.history.canRedo;
  }

  get painting(): boolean {
    return this.stroke !== undefined;
  }

  get full(): Rect {
    return { x: 0, y: 0, width: this.width, height: this.height };
  }

  /** Whether nothing would be repainted. */
  isEmpty(): boolean {
    return this.data.every((value) => value === 0);
  }

  /**
   * Starts a stroke at `dab`: the brush adds to the mask, the eraser takes away, each by the
   * stroke's coverage, so a soft edge blends with what is already there. Returns the pixels changed.
   */
  beginStroke(tool: MaskTool, hardness: number, dab: Dab): Rect | undefined {
    this.endStroke();
    this.base.set(this.data);
    this.stroke = { tool, hardness, last: dab, dirty: undefined };
    return this.stamp([dab]);
  }

  /** Continues the open stroke to `dab`; nothing when no stroke is open. */
  strokeTo(dab: Dab): Rect | undefined {
    if (!this.stroke) return undefined;
    const dabs = dabsBetween(this.stroke.last, dab);
    this.stroke.last = dab;
    return this.stamp(dabs);
  }

  /** Closes the open stroke as one undoable change (none when it touched nothing). */
  endStroke(): void {
    const stroke = this.stroke;
    if (!stroke) return;
    this.stroke = undefined;
    const rect = stroke.dirty;
    if (!rect) return;
    const before = copyRect(this.base, this.width, rect);
    const after = copyRect(this.data, this.width, rect);
    for (let row = rect.y; row < rect.y + rect.height; row++) {
      this.coverage.fill(0, row * this.width + rect.x, row * this.width + rect.x + rect.width);
    }
    this.history.push({ kind: 'patch', rect, before, after });
  }

  /** Repaint ↔ keep everywhere. */
  invert(): Rect {
    this.endStroke();
    this.applyInvert();
    this.history.push({ kind: 'invert' });
    return this.full;
  }

  /** Keeps the whole picture; undefined when the mask was empty already (nothing to undo). */
  clear(): Rect | undefined {
    this.endStroke();
    if (this.isEmpty()) return undefined;
    this.history.push({ kind: 'patch', rect: this.full, before: this.data.slice() });
    this.data.fill(0);
    return this.full;
  }

  /** Replaces the whole mask (a restored session), forgetting the history. */
  load(values: Uint8Array): void {
    if (values.length !== this.data.length) {
      throw new RangeError(`A ${this.width} × ${this.height} mask has ${this.data.length} values, got ${values.length}.`);
    }
    this.stroke = undefined;
    this.data.set(values);
    this.history.clear();
  }

  undo(): Rect | undefined {
    if (this.stroke) return undefined;
    const change = this.history.undo();
    return change && this.revert(change);
  }

  redo(): Rect | undefined {
    if (this.stroke) return undefined;
    const change = this.history.redo();
    return change && this.reapply(change);
  }

  private stamp(dabs: readonly Dab[]): Rect | undefined {
    const stroke = this.stroke!;
    let touched: Rect | undefined;
    for (const dab of dabs) touched = unionRect(touched, stampDab(this.coverage, this.width, this.height, dab, stroke.hardness));
    if (!touched) return undefined;
    this.blend(stroke.tool, touched);
    stroke.dirty = unionRect(stroke.dirty, touched);
    return touched;
  }

  /** mask = base ⊕ coverage: "over" compositing for the brush, multiplying by what is left for the eraser. */
  private blend(tool: MaskTool, rect: Rect): void {
    for (let y = rect.y; y < rect.y + rect.height; y++) {
      for (let i = y * this.width + rect.x, end = i + rect.width; i < end; i++) {
        const base = this.base[i]!;
        const cover = this.coverage[i]!;
        this.data[i] = tool === 'brush' ? base + Math.round(((255 - base) * cover) / 255) : base - Math.round((base * cover) / 255);
      }
    }
  }

  private applyInvert(): void {
    for (let i = 0; i < this.data.length; i++) this.data[i] = 255 - this.data[i]!;
  }

  private revert(change: MaskChange): Rect {
    if (change.kind === 'invert') {
      this.applyInvert();
      return this.full;
    }
    pasteRect(this.data, this.width, change.rect, change.before);
    return change.rect;
  }

  private reapply(change: MaskChange): Rect {
    if (change.kind === 'invert') {
      this.applyInvert();
      return this.full;
    }
    pasteRect(this.data, this.width, change.rect, change.after ?? new Uint8Array(change.before.length));
    return change.rect;
  }
}
