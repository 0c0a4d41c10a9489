import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { maskCommandFor, nextBrushSize, type KeyPress } from '../../webview/maskPainter/maskShortcuts';
import { fitTransform, MAX_SCALE, panBy, toImage, wheelZoomFactor, zoomAt } from '../../webview/maskPainter/viewTransform';

const press = (key: string, modifiers: Partial<KeyPress> = {}): KeyPress => ({
  key,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...modifiers,
});

describe('mask painter: keys', () => {
  test('each shortcut names its command', () => {
    assert.equal(maskCommandFor(press('[')), 'smaller');
    assert.equal(maskCommandFor(press(']')), 'larger');
    assert.equal(maskCommandFor(press('e')), 'eraser');
    assert.equal(maskCommandFor(press('E', { shiftKey: true })), 'eraser');
    assert.equal(maskCommandFor(press('b')), 'brush');
    assert.equal(maskCommandFor(press('x')), 'invert');
    assert.equal(maskCommandFor(press('i')), 'invert');
    assert.equal(maskCommandFor(press('0')), 'fit');
    assert.equal(maskCommandFor(press('z', { ctrlKey: true })), 'undo');
    assert.equal(maskCommandFor(press('z', { metaKey: true })), 'undo');
    assert.equal(maskCommandFor(press('Z', { ctrlKey: true, shiftKey: true })), 'redo');
    assert.equal(maskCommandFor(press('y', { ctrlKey: true })), 'redo');
  });

  test('letters with a modifier, and other keys, stay with the workbench', () => {
    assert.equal(maskCommandFor(press('e', { ctrlKey: true })), undefined);
    assert.equal(maskCommandFor(press('b', { altKey: true })), undefined);
    assert.equal(maskCommandFor(press('Enter')), undefined);
    assert.equal(maskCommandFor(press('q')), undefined);
  });

  test('[ and ] step the brush size within its limits', () => {
    assert.equal(nextBrushSize(40, 1), 46);
    assert.equal(nextBrushSize(40, -1), 34);
    assert.equal(nextBrushSize(2, -1), 1);
    assert.equal(nextBrushSize(1, -1), 1);
    assert.equal(nextBrushSize(1024, 1), 1024);
  });
});

describe('mask painter: zoom and pan', () => {
  test('fit centres the picture and its outpaint margins in the view', () => {
    const view = fitTransform(416, 216, { x: 0, y: 0, width: 200, height: 100 });
    assert.equal(view.scale, 2);
    assert.deepEqual(toImage(view, 8, 8), { x: 0, y: 0 });
    assert.deepEqual(toImage(view, 408, 208), { x: 200, y: 100 });
    const margins = fitTransform(416, 216, { x: -100, y: 0, width: 300, height: 100 });
    const centre = toImage(margins, 208, 108);
    assert.ok(Math.abs(centre.x - 50) < 1e-9 && Math.abs(centre.y - 50) < 1e-9, JSON.stringify(centre));
  });

  test('zooming keeps the pixel under the pointer in place', () => {
    const view = { scale: 1.5, offsetX: 30, offsetY: -12 };
    const before = toImage(view, 120, 80);
    const zoomed = zoomAt(view, 120, 80, 2);
    assert.equal(zoomed.scale, 3);
    const after = toImage(zoomed, 120, 80);
    assert.ok(Math.abs(after.x - before.x) < 1e-9 && Math.abs(after.y - before.y) < 1e-9);
    assert.equal(zoomAt({ scale: MAX_SCALE, offsetX: 0, offsetY: 0 }, 0, 0, 4).scale, MAX_SCALE);
  });

  test('panning moves the picture with the pointer; wheel notches zoom in and out', () => {
    assert.deepEqual(toImage(panBy({ scale: 2, offsetX: 0, offsetY: 0 }, 10, 20), 10, 20), { x: 0, y: 0 });
    assert.ok(wheelZoomFactor(-100) > 1);
    assert.ok(wheelZoomFactor(100) < 1);
    assert.equal(wheelZoomFactor(-1000), wheelZoomFactor(-100));
  });
});
