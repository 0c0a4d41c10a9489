// Inpainting's mask steps against Pillow and diffusers' VaeImageProcessor
// (test/fixtures/inpaintMask/make_reference.py): PIL's GaussianBlur, convert("L"),
// get_crop_region and apply_overlay, exactly. Then, by construction, what has no Python run
// behind it here: reading a mask file (alpha or luma), binarizing, the latent mask, the
// outpaint canvas.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { gaussianBlurMask } from '../../src/engine/image/maskBlur';
import { binarizeMask, latentMask, luma, readMaskImage } from '../../src/engine/image/maskImage';
import { cropRegion, overlayInpainted, resizeFill, resizePixels } from '../../src/engine/image/inpaintCrop';
import { outpaintCanvas } from '../../src/engine/image/outpaintCanvas';
import { tempFolder } from '../support/tempFolder';

interface Reference {
  blur: { width: number; height: number; kind: string; radius: number; mask: number[]; blurred: number[] }[];
  luma: { rgb: number[]; l: number[] };
  crops: { width: number; height: number; kind: string; processWidth: number; processHeight: number; pad: number; crop: number[] }[];
  overlays: { width: number; height: number; crop: number[]; mask: number[]; init: number[]; generated: number[]; result: number[] }[];
  resizes: { width: number; height: number; toWidth: number; toHeight: number; mode: 'default' | 'fill' | 'crop'; channels: 1 | 3; pixels: number[]; result: number[] }[];
}

const reference = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'inpaintMask', 'mask_reference.json'), 'utf8')) as Reference;

function maskOf(kind: string, width: number, height: number) {
  const found = reference.blur.find((b) => b.kind === kind && b.width === width && b.height === height);
  assert.ok(found, `no ${kind} mask of ${width}x${height}`);
  return { data: Uint8Array.from(found.mask), width, height };
}

describe('mask steps against Pillow and diffusers', () => {
  test('GaussianBlur(radius) gives PIL bytes exactly, small images and radii wider than the image included', () => {
    for (const c of reference.blur) {
      const out = gaussianBlurMask({ data: Uint8Array.from(c.mask), width: c.width, height: c.height }, c.radius);
      const off = c.blurred.filter((v, i) => v !== out.data[i]).length;
      assert.equal(off, 0, `${c.kind} ${c.width}x${c.height} radius ${c.radius}: ${off} bytes differ from PIL`);
    }
  });

  test('a blur changes the mask, so the comparison above can fail', () => {
    const c = reference.blur.find((b) => b.radius === 4 && b.kind === 'rect');
    assert.ok(c);
    const unblurred = c.blurred.filter((v, i) => v !== c.mask[i]).length;
    assert.ok(unblurred > 50, `only ${unblurred} bytes change under the blur`);
  });

  test('luma is PIL convert("L")', () => {
    const { rgb, l } = reference.luma;
    for (let i = 0; i < l.length; i++) assert.equal(luma(rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2]), l[i], `pixel ${i}`);
  });

  test('cropRegion is get_crop_region', () => {
    for (const c of reference.crops) {
      const box = cropRegion(maskOf(c.kind, c.width, c.height), c.processWidth, c.processHeight, c.pad);
      assert.deepEqual([box.x1, box.y1, box.x2, box.y2], c.crop, `${c.kind} for ${c.processWidth}x${c.processHeight} pad ${c.pad}`);
    }
  });

  test('resizePixels, resizeFill and the paste-back resize are VaeImageProcessor.resize with PIL LANCZOS, byte for byte', async () => {
    for (const c of reference.resizes) {
      const image = { data: Uint8Array.from(c.pixels), width: c.width, height: c.height };
      let out: Uint8Array;
      if (c.mode === 'crop') {
        // apply_overlay's resize of the generated picture into the crop box, seen through a mask that keeps nothing.
        const box = { x1: 0, y1: 0, x2: c.toWidth, y2: c.toHeight };
        const blank = { data: new Uint8Array(c.toWidth * c.toHeight * 3), width: c.toWidth, height: c.toHeight };
        out = (await overlayInpainted(blank, { data: new Uint8Array(c.toWidth * c.toHeight).fill(255), width: c.toWidth, height: c.toHeight }, image, box)).data;
      } else {
        out = (c.mode === 'fill' ? await resizeFill(image, c.toWidth, c.toHeight) : await resizePixels(image, c.toWidth, c.toHeight)).data;
      }
      const off = c.result.filter((v, i) => v !== out[i]).length;
      assert.equal(off, 0, `${c.mode} ${c.width}x${c.height}→${c.toWidth}x${c.toHeight} (${c.channels} channels): ${off} bytes differ from PIL`);
    }
  });

  test('overlayInpainted is apply_overlay, byte for byte', async () => {
    for (const c of reference.overlays) {
      const [x1, y1, x2, y2] = c.crop;
      const out = await overlayInpainted(
        { data: Uint8Array.from(c.init), width: c.width, height: c.height },
        { data: Uint8Array.from(c.mask), width: c.width, height: c.height },
        { data: Uint8Array.from(c.generated), width: x2 - x1, height: y2 - y1 },
        { x1, y1, x2, y2 },
      );
      const off = c.result.filter((v, i) => v !== out.data[i]).length;
      assert.equal(off, 0, `${off} of ${c.result.length} bytes differ from apply_overlay`);
    }
  });
});

describe('mask steps by construction', () => {
  const dir = tempFolder('inpaint-mask');

  test('an opaque mask file is read by its luma, one with transparency by its alpha', async () => {
    const rgba = Buffer.from([255, 255, 255, 255, 0, 0, 0, 255, 10, 20, 30, 255, 128, 128, 128, 255]);
    await sharp(rgba, { raw: { width: 2, height: 2, channels: 4 } }).png().toFile(join(dir, 'opaque.png'));
    assert.deepEqual([...(await readMaskImage(join(dir, 'opaque.png'))).data], [255, 0, luma(10, 20, 30), 128]);
    // A painted stroke: black paint where it repaints, nothing elsewhere; the colour does not matter.
    const stroke = Buffer.from([0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 0, 0, 0, 0, 100]);
    await sharp(stroke, { raw: { width: 2, height: 2, channels: 4 } }).png().toFile(join(dir, 'stroke.png'));
    assert.deepEqual([...(await readMaskImage(join(dir, 'stroke.png'))).data], [255, 0, 0, 100]);
    const gray = Buffer.from([0, 200, 127, 128]);
    await sharp(gray, { raw: { width: 2, height: 2, channels: 1 } }).png().toFile(join(dir, 'gray.png'));
    const mask = await readMaskImage(join(dir, 'gray.png'));
    assert.deepEqual([...mask.data], [0, 200, 127, 128]);
    assert.deepEqual([...binarizeMask(mask)], [0, 1, 0, 1]);
  });

  test('any image mode: grey with alpha, 16-bit grey, palette, JPEG', async () => {
    const greyAlpha = Buffer.from([255, 255, 0, 0, 90, 128, 200, 0]);
    await sharp(greyAlpha, { raw: { width: 2, height: 2, channels: 2 } }).png().toFile(join(dir, 'grey-alpha.png'));
    assert.deepEqual([...(await readMaskImage(join(dir, 'grey-alpha.png'))).data], [255, 0, 128, 0]);
    const grey = Buffer.from([0, 255, 255, 0]);
    await sharp(grey, { raw: { width: 2, height: 2, channels: 1 } }).toColourspace('grey16').png().toFile(join(dir, 'grey16.png'));
    assert.deepEqual([...(await readMaskImage(join(dir, 'grey16.png'))).data], [0, 255, 255, 0]);
    const rgb = Buffer.from([255, 255, 255, 0, 0, 0, 0, 0, 0, 255, 255, 255]);
    await sharp(rgb, { raw: { width: 2, height: 2, channels: 3 } }).png({ palette: true }).toFile(join(dir, 'palette.png'));
    assert.deepEqual([...(await readMaskImage(join(dir, 'palette.png'))).data], [255, 0, 0, 255]);
    const block = Buffer.alloc(16 * 16 * 3);
    for (let i = 0; i < 16 * 8; i++) block.fill(255, i * 3, i * 3 + 3);
    await sharp(block, { raw: { width: 16, height: 16, channels: 3 } }).jpeg({ quality: 95 }).toFile(join(dir, 'mask.jpg'));
    const jpeg = binarizeMask(await readMaskImage(join(dir, 'mask.jpg')));
    assert.deepEqual([jpeg[0], jpeg[16 * 4], jpeg[16 * 12], jpeg[16 * 16 - 1]], [1, 1, 0, 0], 'the top half repaints');
  });

  test('a missing mask file is a clear input error', async () => {
    await assert.rejects(readMaskImage(join(dir, 'none.png')), /Mask image not found/);
  });

  test('the latent mask is nearest sampling at the VAE factor', () => {
    const mask = new Float32Array(16 * 8);
    // Latent cell (1, 0) samples pixel (8, 0) alone: (9, 3) beside it does not count.
    mask[3 * 16 + 9] = 1;
    assert.deepEqual([...latentMask(mask, 16, 8, 2, 1)], [0, 0]);
    mask[8] = 1;
    assert.deepEqual([...latentMask(mask, 16, 8, 2, 1)], [0, 1]);
  });

  test('outpainting repeats the edge pixels outward (numpy.pad mode="edge") and masks the border plus the given mask', () => {
    const image = { data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), width: 2, height: 2 };
    const mask = { data: Uint8Array.from([0, 0, 0, 200]), width: 2, height: 2 };
    const out = outpaintCanvas(image, mask, { left: 1, top: 0, right: 0, bottom: 1 });
    assert.equal(out.image.width, 3);
    assert.equal(out.image.height, 3);
    const pixel = (x: number, y: number) => [...out.image.data.subarray((y * 3 + x) * 3, (y * 3 + x) * 3 + 3)];
    assert.deepEqual(pixel(0, 0), [1, 2, 3]);
    assert.deepEqual(pixel(2, 1), [10, 11, 12]);
    assert.deepEqual(pixel(0, 2), [7, 8, 9]);
    assert.deepEqual([...out.mask.data], [255, 0, 0, 255, 0, 200, 255, 255, 255]);
  });
});
