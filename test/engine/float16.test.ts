import assert from 'node:assert/strict';
import { test } from 'node:test';
import { float32ToFloat16Bits, fromFloat16, toFloat16 } from '../../src/engine/runtime/float16';

test('float16 conversion rounds to nearest even and keeps specials', () => {
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff],
    [65520, 0x7c00],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -24, 0x0001],
    [2 ** -25, 0x0000],
    [3 * 2 ** -25, 0x0002],
    [1 + 2 ** -11, 0x3c00],
    [1 + 3 * 2 ** -11, 0x3c02],
    [0.1, 0x2e66],
  ];
  for (const [value, bits] of cases) assert.equal(float32ToFloat16Bits(value), bits, `${value}`);
  assert.ok(Number.isNaN(fromFloat16(toFloat16(new Float32Array([NaN])))[0]));
});

test('every float16 value survives a round trip', () => {
  const all = new Uint16Array(65536).map((_, i) => i);
  const back = toFloat16(fromFloat16(all));
  for (let i = 0; i < all.length; i++) {
    const isNaN16 = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
    if (!isNaN16) assert.equal(back[i], all[i], `bits ${i.toString(16)}`);
  }
});
