import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dabCoverage, dabsBetween, pointerRadius, stampDab } from '../../webview/maskPainter/brushDab';
import { decodeMask, encodeMask, MAX_SAVED_RUNS } from '../../webview/maskPainter/maskCodec';
import { MaskHistory } from '../../webview/maskPainter/maskHistory';
import { MaskModel } from '../../webview/maskPainter/maskModel';
import { maskToRgba, maskValuesFromRgba, overlayPixels, parseCssColor } from '../../webview/maskPainter/maskPixels';

const at = (mask: MaskModel, x: number, y: number) => mask.data[y * mask.width + x]!;

describe('mask painter: brush falloff', () => {
  test('a hard brush is a disc: full inside, nothing outside', () => {
    assert.equal(dabCoverage(0, 10, 1), 1);
    assert.equal(dabCoverage(9.99, 10, 1), 1);
    assert.equal(dabCoverage(10, 10, 1), 0);
  });

  test('a soft brush is full inside hardness × radius and falls smoothly to zero at the radius', () => {
    assert.equal(dabCoverage(4, 10, 0.5), 1);
    assert.equal(dabCoverage(5, 10, 0.5), 1);
    // Halfway through the falloff the smoothstep is at one half.
    assert.equal(dabCoverage(7.5, 10, 0.5), 0.5);
    assert.ok(Math.abs(dabCoverage(6, 10, 0.5) - (1 - (0.2 * 0.2 * (3 - 0.4)))) < 1e-12);
    let previous = 1;
    for (let d = 5; d <= 10; d += 0.25) {
      const value = dabCoverage(d, 10, 0.5);
      assert.ok(value <= previous, `not falling at ${d}`);
      previous = value;
    }
    assert.equal(dabCoverage(10, 10, 0.5), 0);
    assert.equal(dabCoverage(0, 10, 0), 1);
    assert.ok(dabCoverage(1, 10, 0) < 1);
  });

  test('a stamp keeps each pixel’s highest coverage and samples at pixel centres', () => {
    const coverage = new Uint8Array(16 * 16);
    const rect = stampDab(coverage, 16, 16, { x: 8, y: 8, radius: 4 }, 0);
    assert.deepEqual(rect, { x: 4, y: 4, width: 8, height: 8 });
    const centre = coverage[7 * 16 + 7]!;
    assert.equal(centre, Math.round(255 * dabCoverage(Math.hypot(0.5, 0.5), 4, 0)));
    assert.equal(coverage[0], 0);
    coverage[7 * 16 + 7] = 255;
    stampDab(coverage, 16, 16, { x: 8, y: 8, radius: 4 }, 0);
    assert.equal(coverage[7 * 16 + 7], 255);
  });

  test('a stamp off the picture touches nothing', () => {
    const coverage = new Uint8Array(4 * 4);
    assert.equal(stampDab(coverage, 4, 4, { x: -10, y: 2, radius: 3 }, 1), undefined);
    assert.ok(coverage.every((v) => v === 0));
  });

  test('dabs along a segment are spaced a quarter radius apart and end on the target', () => {
    const dabs = dabsBetween({ x: 0, y: 0, radius: 4 }, { x: 10, y: 0, radius: 8 });
    assert.equal(dabs.length, 10);
    assert.deepEqual(dabs.at(-1), { x: 10, y: 0, radius: 8 });
    assert.equal(dabs[0]!.x, 1);
    assert.equal(dabs[4]!.radius, 6);
  });

  test('pen pressure scales the radius; a mouse draws at full size', () => {
    assert.equal(pointerRadius(40, 'mouse', 0.5), 20);
    assert.equal(pointerRadius(40, 'pen', 0.5), 10);
    assert.equal(pointerRadius(40, 'pen', 1), 20);
    assert.equal(pointerRadius(40, 'pen', 0.01), 2);
    assert.equal(pointerRadius(40, 'pen', 0), 20);
    assert.equal(pointerRadius(40, 'touch', 0.3), 20);
  });
});

describe('mask painter: strokes', () => {
  test('a hard stroke paints the pixels under it white and nothing else', () => {
    const mask = new MaskModel(32, 16);
    mask.beginStroke('brush', 1, { x: 4, y: 8, radius: 2 });
    mask.strokeTo({ x: 28, y: 8, radius: 2 });
    mask.endStroke();
    for (let x = 4; x < 28; x++) assert.equal(at(mask, x, 8), 255, `x ${x}`);
    assert.equal(at(mask, 16, 2), 0);
    assert.equal(at(mask, 16, 13), 0);
    assert.equal(at(mask, 0, 8), 0);
    assert.equal(at(mask, 31, 8), 0);
  });

  test('overlapping dabs of one soft stroke do not build up; a second stroke does', () => {
    const mask = new MaskModel(40, 40);
    const edge = { x: 20, y: 20 + 9 };
    mask.beginStroke('brush', 0.2, { x: 20, y: 20, radius: 12 });
    for (let i = 0; i < 20; i++) mask.strokeTo({ x: 20 + (i % 2) * 0.5, y: 20, radius: 12 });
    mask.endStroke();
    const once = at(mask, edge.x, edge.y);
    const expected = Math.round(255 * dabCoverage(Math.hypot(0.5, 9.5), 12, 0.2));
    assert.ok(Math.abs(once - expected) <= 1, `${once} vs ${expected}`);
    mask.beginStroke('brush', 0.2, { x: 20, y: 20, radius: 12 });
    mask.endStroke();
    const twice = at(mask, edge.x, edge.y);
    // "Over": a + (1 − a)·a.
    assert.ok(Math.abs(twice - (once + Math.round(((255 - once) * once) / 255))) <= 1, `${twice}`);
  });

  test('the eraser takes away by its coverage', () => {
    const mask = new MaskModel(20, 20);
    mask.invert();
    mask.beginStroke('eraser', 1, { x: 10, y: 10, radius: 3 });
    mask.endStroke();
    assert.equal(at(mask, 10, 10), 0);
    assert.equal(at(mask, 0, 0), 255);
    mask.beginStroke('eraser', 0, { x: 3, y: 3, radius: 4 });
    mask.endStroke();
    const partial = at(mask, 4, 4);
    assert.ok(partial > 0 && partial < 255, `${partial}`);
  });

  test('invert swaps repaint and keep, grey included', () => {
    const mask = new MaskModel(8, 8);
    mask.beginStroke('brush', 0, { x: 4, y: 4, radius: 4 });
    mask.endStroke();
    const before = mask.data.slice();
    mask.invert();
    mask.data.forEach((value, i) => assert.equal(value, 255 - before[i]!));
  });

  test('clear keeps everything, and an empty mask has nothing to clear', () => {
    const mask = new MaskModel(8, 8);
    assert.equal(mask.clear(), undefined);
    assert.ok(!mask.canUndo);
    mask.invert();
    assert.deepEqual(mask.clear(), { x: 0, y: 0, width: 8, height: 8 });
    assert.ok(mask.isEmpty());
  });

  test('a size that is not whole and positive is refused', () => {
    assert.throws(() => new MaskModel(0, 4), /whole positive size/);
    assert.throws(() => new MaskModel(2.5, 4), /whole positive size/);
  });
});

describe('mask painter: undo and redo', () => {
  test('undo and redo step through strokes, invert and clear', () => {
    const mask = new MaskModel(24, 24);
    const states: Uint8Array[] = [mask.data.slice()];
    mask.beginStroke('brush', 1, { x: 6, y: 6, radius: 4 });
    mask.strokeTo({ x: 18, y: 6, radius: 4 });
    mask.endStroke();
    states.push(mask.data.slice());
    mask.invert();
    states.push(mask.data.slice());
    mask.beginStroke('eraser', 0.5, { x: 12, y: 12, radius: 6 });
    mask.endStroke();
    states.push(mask.data.slice());
    mask.clear();
    states.push(mask.data.slice());

    for (let i = states.length - 2; i >= 0; i--) {
      assert.ok(mask.undo());
      assert.deepEqual(mask.data, states[i], `undo to state ${i}`);
    }
    assert.ok(!mask.canUndo);
    assert.equal(mask.undo(), undefined);
    for (let i = 1; i < states.length; i++) {
      assert.ok(mask.redo());
      assert.deepEqual(mask.data, states[i], `redo to state ${i}`);
    }
    assert.ok(!mask.canRedo);
  });

  test('a stroke only records the rectangle it touched', () => {
    const mask = new MaskModel(100, 100);
    const rect = mask.beginStroke('brush', 1, { x: 50, y: 50, radius: 5 });
    mask.endStroke();
    assert.deepEqual(rect, { x: 45, y: 45, width: 10, height: 10 });
    assert.deepEqual(mask.undo(), rect);
  });

  test('a new change drops what could be redone', () => {
    const mask = new MaskModel(10, 10);
    mask.invert();
    mask.undo();
    assert.ok(mask.canRedo);
    mask.beginStroke('brush', 1, { x: 5, y: 5, radius: 2 });
    mask.endStroke();
    assert.ok(!mask.canRedo);
  });

  test('a stroke off the picture is no change', () => {
    const mask = new MaskModel(10, 10);
    mask.beginStroke('brush', 1, { x: -50, y: -50, radius: 2 });
    mask.endStroke();
    assert.ok(!mask.canUndo);
  });

  test('the history keeps at most its limits of entries and bytes, the newest first', () => {
    const history = new MaskHistory({ entries: 3, bytes: 1000 });
    const patch = (bytes: number) => ({ kind: 'patch' as const, rect: { x: 0, y: 0, width: bytes, height: 1 }, before: new Uint8Array(bytes) });
    for (let i = 0; i < 5; i++) history.push(patch(10));
    assert.equal(history.size, 3);
    history.push(patch(600));
    history.push(patch(600));
    assert.equal(history.size, 1);
    // One change above the byte limit still stays, alone: the last action can be undone.
    history.push(patch(5000));
    assert.equal(history.size, 1);
    assert.equal(history.undo()?.kind, 'patch');
    assert.ok(!history.canUndo);
  });

  test('undo waits while a stroke is open', () => {
    const mask = new MaskModel(10, 10);
    mask.invert();
    mask.beginStroke('eraser', 1, { x: 5, y: 5, radius: 2 });
    assert.equal(mask.undo(), undefined);
    mask.endStroke();
    assert.ok(mask.undo());
  });
});

describe('mask painter: export and saved state', () => {
  test('the exported mask is opaque grey: white repaints, black keeps', () => {
    const mask = new MaskModel(4, 1);
    mask.data.set([0, 255, 128, 3]);
    assert.deepEqual([...maskToRgba(mask.data)], [0, 0, 0, 255, 255, 255, 255, 255, 128, 128, 128, 255, 3, 3, 3, 255]);
  });

  test('the overlay is the colour at the mask’s share of the opacity', () => {
    const data = new Uint8Array([0, 255, 100, 50]);
    const pixels = overlayPixels(data, 2, { x: 1, y: 0, width: 1, height: 2 }, [10, 20, 30], 0.5);
    assert.deepEqual([...pixels], [10, 20, 30, 128, 10, 20, 30, 25]);
  });

  test('a mask image reads back as its grey level, or as its alpha when it has transparency', () => {
    const values = new Uint8Array([0, 255, 128, 3]);
    assert.deepEqual(maskValuesFromRgba(maskToRgba(values)), values);
    const transparent = new Uint8ClampedArray([255, 255, 255, 0, 0, 0, 0, 255, 9, 9, 9, 200]);
    assert.deepEqual([...maskValuesFromRgba(transparent)], [0, 255, 200]);
  });

  test('theme colours parse from hex and rgb()', () => {
    assert.deepEqual(parseCssColor('#f80'), [255, 136, 0]);
    assert.deepEqual(parseCssColor(' #0078d4cc'), [0, 120, 212]);
    assert.deepEqual(parseCssColor('rgba(1, 2, 3, 0.5)'), [1, 2, 3]);
    assert.equal(parseCssColor('red'), undefined);
  });

  test('a mask survives the saved state as run lengths', () => {
    const mask = new MaskModel(64, 48);
    mask.beginStroke('brush', 0.3, { x: 20, y: 20, radius: 10 });
    mask.strokeTo({ x: 40, y: 30, radius: 14 });
    mask.endStroke();
    const saved = JSON.parse(JSON.stringify(encodeMask(64, 48, mask.data)));
    assert.deepEqual(decodeMask(saved, 64, 48), mask.data);
    assert.equal(decodeMask(saved, 48, 64), undefined, 'another picture’s size');
    assert.equal(decodeMask({ ...saved, runs: saved.runs.slice(saved.runs.indexOf(',') + 1) }, 64, 48), undefined, 'short');
    assert.equal(decodeMask({ ...saved, runs: `${(300).toString(36)}.${(64 * 48).toString(36)}` }, 64, 48), undefined, 'not a byte');
    assert.equal(decodeMask({ ...saved, runs: 'ff.zz,x' }, 64, 48), undefined, 'not a run');
    assert.equal(decodeMask(null, 64, 48), undefined);
    assert.deepEqual(encodeMask(4, 2, new Uint8Array([0, 0, 0, 255, 255, 255, 255, 9])), { width: 4, height: 2, runs: '0.3,73.4,9.1' });
  });

  test('a mask of too many runs is not saved', () => {
    const noisy = new Uint8Array(MAX_SAVED_RUNS + 1).map((_, i) => i % 2);
    assert.equal(encodeMask(MAX_SAVED_RUNS + 1, 1, noisy), undefined);
    assert.ok(encodeMask(MAX_SAVED_RUNS, 1, noisy.subarray(0, MAX_SAVED_RUNS)));
  });
});
