// Post-processing must equal diffusers' numpy_to_pil byte for byte: float32 maths and numpy's
// round-half-to-even on the float32 product.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import {
  decodedToFloatHwc,
  decodedToRgb,
  findNonFinite,
  rgbToModelInput,
  unitFloatToBytes,
} from '../../src/engine/image/postprocess';
import { readNpy } from '../support/npy';
import { referenceDir, skipWithoutShared } from '../support/shared';

const f = Math.fround;
/** The decoder value whose `x / 2 + 0.5` is the float32 nearest to `product / 255`. */
const decodedFor = (product: number) => f(2 * f(product / 255) - 1);

describe('decodedToRgb', () => {
  test('rounds the float32 product half to even', () => {
    // 0.5 * 255 = 127.5 exactly. For 128.5…131.5 the float32 product is the tie while the exact
    // (double) product lies just below it, so 129.5 and 131.5 catch double-precision maths.
    const x = [0, decodedFor(128.5), decodedFor(129.5), decodedFor(130.5), decodedFor(131.5)];
    assert.deepEqual([...decodedToRgb(new Float32Array([...x, ...x, ...x]), 5, 1)].filter((_, i) => i % 3 === 0), [
      128, 128, 130, 130, 132,
    ]);
    assert.deepEqual([...unitFloatToBytes(new Float32Array([0.5, 1.5, 2.5, 3.5].map((k) => k / 255)))], [0, 2, 2, 4]);
  });

  test('clamps, and maps NCHW to interleaved HWC (hand computed)', () => {
    // 2x2 image; planes R, G, B, each in row-major pixel order p0 p1 / p2 p3.
    const decoded = new Float32Array([
      -1, 1, 0.2, 1e-9, // R
      0, decodedFor(129.5), -0.2, -1e-9, // G
      3, -2.5, decodedFor(130.5), decodedFor(131.5), // B
    ]);
    // 0.2 → f32 0.6000000238 → 153.0000061 → 153; -0.2 → 0.4000000060 → 102.0000015 → 102;
    // ±1e-9 vanish against 0.5 in float32 → 127.5 → 128.
    assert.deepEqual(
      [...decodedToRgb(decoded, 2, 2)],
      [0, 128, 255, 255, 130, 0, 153, 102, 130, 128, 128, 132],
    );
    const floats = decodedToFloatHwc(decoded, 2, 2);
    assert.deepEqual([...floats.subarray(0, 6)], [0, 0.5, 1, 1, f(129.5 / 255), 0]);
    assert.equal(floats[6], f(0.6));
  });

  test('rejects a tensor of the wrong size', () => {
    assert.throws(() => decodedToRgb(new Float32Array(11), 2, 2), /\[1,3,2,2\]/);
    assert.throws(() => decodedToRgb(new Float32Array(0), 0, 0), /positive/);
  });

  test(
    'rounding image.npy gives image.png exactly in every sdxl-tiny case',
    { skip: skipWithoutShared('reference', 'sdxl-tiny', 'cases', 'euler_negative', 'image.npy') },
    async () => {
      const casesDir = join(referenceDir, 'sdxl-tiny', 'cases');
      let ties = 0;
      for (const id of readdirSync(casesDir)) {
        const { shape, data } = readNpy(join(casesDir, id, 'image.npy'));
        const { data: png, info } = await sharp(join(casesDir, id, 'image.png'))
          .raw()
          .toBuffer({ resolveWithObject: true });
        assert.deepEqual(shape, [1, info.height, info.width, 3], id);
        assert.equal(info.channels, 3, id);
        const ours = unitFloatToBytes(data);
        const differing = ours.reduce((n, value, i) => n + (value === png[i] ? 0 : 1), 0);
        assert.equal(differing, 0, id);
        ties += data.filter((x) => f(x * 255) % 1 === 0.5).length;
      }
      // At least one exact tie (euler_a_trailing_no_cfg has one), so half-to-even was exercised.
      assert.ok(ties > 0);
    },
  );
});

describe('findNonFinite', () => {
  test('finds the first NaN or infinity', () => {
    assert.equal(findNonFinite(new Float32Array([0, -1, 3.4e38])), -1);
    assert.equal(findNonFinite(new Float32Array([0, NaN, Infinity])), 1);
    assert.equal(findNonFinite(new Float32Array([-Infinity])), 0);
    assert.equal(findNonFinite(new Float32Array(0)), -1);
  });
});

describe('rgbToModelInput', () => {
  test('is float32 2 * (u / 255) - 1 in NCHW', () => {
    const rgb = new Uint8Array([0, 128, 255, 10, 20, 30]);
    const out = rgbToModelInput(rgb, 2, 1, 3);
    const expected = [0, 10, 128, 20, 255, 30].map((u) => f(2 * f(u / 255) - 1));
    assert.deepEqual([...out], expected);
    assert.equal(out[0], -1);
    assert.equal(out[4], 1);
    assert.equal(out[2], 0.003921627998352051); // numpy: 2.0 * (np.float32(128) / 255.0) - 1.0
  });

  test('flattens alpha onto white exactly as sharp does', async () => {
    const rgba = new Uint8Array(256 * 256 * 4);
    for (let alpha = 0; alpha < 256; alpha++) {
      for (let value = 0; value < 256; value++) {
        const i = (alpha * 256 + value) * 4;
        rgba.set([value, 255 - value, (value * 7) & 255, alpha], i);
      }
    }
    const flat = await sharp(rgba, { raw: { width: 256, height: 256, channels: 4 } })
      .flatten({ background: '#ffffff' })
      .raw()
      .toBuffer();
    assert.deepEqual(rgbToModelInput(rgba, 256, 256, 4), rgbToModelInput(flat, 256, 256, 3));
    const transparent = rgbToModelInput(new Uint8Array([0, 0, 0, 0]), 1, 1, 4);
    assert.deepEqual([...transparent], [1, 1, 1]);
  });

  test('rejects a buffer of the wrong size', () => {
    assert.throws(() => rgbToModelInput(new Uint8Array(12), 2, 2, 4), /16 bytes/);
  });
});
