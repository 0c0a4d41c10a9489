// Image-to-image input files: every format and pixel layout sharp reads becomes the VAE
// encoder's [1,3,H,W] input in [-1,1], as diffusers' VaeImageProcessor makes it from 8-bit RGB.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { EngineError } from '../../src/engine/errors';
import { rgbToModelInput } from '../../src/engine/image/postprocess';
import { readImageSize, readInputImage } from '../../src/engine/image/readInputImage';
import { tempFolder } from '../support/tempFolder';

const work = tempFolder('sdxl-input-image');

const width = 24;
const height = 16;
const rgb = new Uint8Array(width * height * 3).map((_, i) => (i * 37 + (i >> 4) * 13) & 255);
const raw = (channels: 1 | 2 | 3 | 4) => ({ raw: { width, height, channels } });

async function writePng(name: string, pixels: Uint8Array | Uint16Array, channels: 1 | 2 | 3 | 4, space?: string): Promise<string> {
  const path = join(work, name);
  let image = sharp(pixels, raw(channels));
  if (space) image = image.toColourspace(space);
  await image.png().toFile(path);
  return path;
}

/** The model input [1,3,H,W] as u8 / 255 · 2 − 1 of interleaved RGB, the reference every layout must reach. */
const expected = (pixels: Uint8Array) => rgbToModelInput(pixels, width, height, 3);

function plane(data: Float32Array, channel: number): Float32Array {
  return data.subarray(channel * width * height, (channel + 1) * width * height);
}

describe('readInputImage', () => {
  test('an 8-bit RGB PNG at the asked size is 2·u8/255 − 1 exactly, untouched by resampling', async () => {
    const path = await writePng('rgb.png', rgb, 3);
    assert.deepEqual(await readImageSize(path), { width, height });
    const input = await readInputImage(path, width, height);
    assert.equal(input.length, 3 * width * height);
    assert.deepEqual(input, expected(rgb));
    assert.equal(input[0], Math.fround(2 * Math.fround(rgb[0] / 255) - 1));
  });

  test('grayscale becomes three equal channels', async () => {
    const gray = rgb.filter((_, i) => i % 3 === 0);
    const input = await readInputImage(await writePng('gray.png', gray, 1), width, height);
    const triple = new Uint8Array(width * height * 3).map((_, i) => gray[Math.floor(i / 3)]);
    assert.deepEqual(input, expected(triple));
    assert.deepEqual(plane(input, 0), plane(input, 2));
  });

  test('RGBA is laid on white: transparent pixels are white, opaque ones keep their colour', async () => {
    const rgba = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      rgba.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
      rgba[i * 4 + 3] = i % 3 === 0 ? 0 : i % 3 === 1 ? 255 : 128;
    }
    const input = await readInputImage(await writePng('rgba.png', rgba, 4), width, height);
    const flattened = await sharp(rgba, raw(4)).flatten({ background: '#ffffff' }).raw().toBuffer();
    assert.deepEqual(input, expected(flattened));
    assert.equal(plane(input, 1)[0], 1, 'a transparent pixel is white');
    assert.equal(plane(input, 1)[1], expected(rgb)[width * height + 1], 'an opaque pixel keeps its colour');
  });

  test('grayscale with alpha is laid on white too', async () => {
    const la = new Uint8Array(width * height * 2).map((_, i) => (i % 2 === 1 ? (i % 4 === 1 ? 0 : 255) : rgb[i]));
    const input = await readInputImage(await writePng('gray-alpha.png', la, 2), width, height);
    assert.equal(input[0], 1);
    assert.equal(input[1], Math.fround(2 * Math.fround(la[2] / 255) - 1));
  });

  test('a 16-bit PNG reads as its high bytes, as PIL opens it in RGB mode', async () => {
    const deep = Uint16Array.from(rgb, (v, i) => v * 256 + ((i * 97) & 255));
    const path = await writePng('rgb16.png', deep, 3, 'rgb16');
    assert.equal((await sharp(path).metadata()).depth, 'ushort');
    assert.deepEqual(await readInputImage(path, width, height), expected(rgb));
  });

  test('a 16-bit grayscale PNG reads too', async () => {
    const deep = Uint16Array.from({ length: width * height }, (_, i) => rgb[i * 3] * 257);
    const input = await readInputImage(await writePng('gray16.png', deep, 1, 'grey16'), width, height);
    const triple = new Uint8Array(width * height * 3).map((_, i) => rgb[Math.floor(i / 3) * 3]);
    assert.deepEqual(input, expected(triple));
  });

  test('JPEG and WebP read; lossy, so only close to a smooth source', async () => {
    const smooth = new Uint8Array(width * height * 3).map((_, i) => {
      const pixel = Math.floor(i / 3);
      return [(pixel % width) * 10, Math.floor(pixel / width) * 15, 128][i % 3];
    });
    for (const format of ['jpeg', 'webp'] as const) {
      const path = join(work, `image.${format}`);
      await sharp(smooth, raw(3)).toFormat(format, { quality: 100 }).toFile(path);
      const input = await readInputImage(path, width, height);
      const reference = expected(smooth);
      let sum = 0;
      for (let i = 0; i < input.length; i++) sum += Math.abs(input[i] - reference[i]);
      assert.ok(sum / input.length < 0.02, `${format}: mean difference ${sum / input.length}`);
    }
  });

  test('an odd size is resized to exactly the asked size, without cropping', async () => {
    const odd = new Uint8Array(33 * 17 * 3).fill(200);
    const path = join(work, 'odd.png');
    await sharp(odd, { raw: { width: 33, height: 17, channels: 3 } }).png().toFile(path);
    assert.deepEqual(await readImageSize(path), { width: 33, height: 17 });
    const input = await readInputImage(path, 32, 16);
    assert.equal(input.length, 3 * 32 * 16);
    // A flat colour stays flat through any resampling filter.
    assert.ok(input.every((v) => Math.abs(v - Math.fround(2 * Math.fround(200 / 255) - 1)) < 1e-6));
  });

  test('EXIF orientation is applied, as diffusers.utils.load_image does', async () => {
    const path = join(work, 'rotated.jpg');
    await sharp(rgb, raw(3)).jpeg().withMetadata({ orientation: 6 }).toFile(path);
    assert.deepEqual(await readImageSize(path), { width: height, height: width });
    assert.equal((await readInputImage(path, height, width)).length, 3 * width * height);
  });

  test('a missing file and a file that is no image fail with one line naming the file', async () => {
    const missing = join(work, 'nope.png');
    await assert.rejects(readImageSize(missing), (error: unknown) => {
      assert.ok(error instanceof EngineError);
      assert.equal(error.code, 'image-input');
      assert.equal(error.message, `Input image not found: ${missing}`);
      return true;
    });
    const text = join(work, 'notes.png');
    writeFileSync(text, 'not an image\n');
    // Each read starts only when awaited: a rejection nobody awaits yet fails the run as unhandled.
    for (const attempt of [() => readImageSize(text), () => readInputImage(text, 16, 16)]) {
      await assert.rejects(attempt, (error: unknown) => {
        assert.ok(error instanceof EngineError);
        assert.equal(error.code, 'image-input');
        assert.ok(error.message.startsWith(`Cannot read the input image ${text}: `), error.message);
        assert.ok(!error.message.includes('\n'));
        return true;
      });
    }
  });
});
