// The host's side of Inpaint…'s Generate: the mask the panel painted arrives as a PNG, is
// checked, and lands next to the result, whose name is free next to the picture it edits.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { decodePaintedMask, inpaintOutputPath, maskPathFor, writeMaskFile } from '../../src/extension/jobs/inpaintFiles';
import { jobSettings } from '../../src/extension/jobs/jobSettings';
import type { PanelSettings } from '../../src/protocol/panelProtocol';
import { DEFAULT_INPAINT_OPTIONS } from '../../webview/inpaintOptions';
import { MaskModel } from '../../webview/maskPainter/maskModel';
import { maskToRgba } from '../../webview/maskPainter/maskPixels';
import { PLACEHOLDER_SETTINGS } from '../../webview/panelState';
import { tempFolder } from '../support/tempFolder';

/** What the panel sends: the painter's mask as an RGBA PNG, base64 (a canvas's toDataURL, here made by sharp). */
async function paintedPng(mask: MaskModel): Promise<string> {
  const png = await sharp(Buffer.from(maskToRgba(mask.data).buffer), { raw: { width: mask.width, height: mask.height, channels: 4 } })
    .png()
    .toBuffer();
  return png.toString('base64');
}

describe('inpainting files', () => {
  const values = { prompt: 'a knight', seed: 42, model: 'tiny', date: new Date(0) };

  test('the result goes next to the picture, named after it, and its mask beside it', () => {
    const folder = tempFolder('sdxl-inpaint-names');
    const source = join(folder, 'art', 'Hero Sketch.png');
    mkdirSync(join(folder, 'art'));
    writeFileSync(source, 'picture');
    const path = inpaintOutputPath({ ...values, source }, 'png', new Set());
    assert.equal(path, join(folder, 'art', 'hero-sketch-inpaint-42.png'));
    assert.equal(maskPathFor(path), join(folder, 'art', 'hero-sketch-inpaint-42.mask.png'));
    assert.equal(inpaintOutputPath({ ...values, source }, 'webp', new Set()), join(folder, 'art', 'hero-sketch-inpaint-42.webp'));
  });

  test('a name whose result, mask or reservation is taken moves on to the next', () => {
    const folder = tempFolder('sdxl-inpaint-taken');
    const source = join(folder, 'hero.png');
    writeFileSync(source, 'picture');
    writeFileSync(join(folder, 'hero-inpaint-42.png'), 'an earlier edit');
    writeFileSync(join(folder, 'hero-inpaint-42-2.mask.png'), 'a stray mask');
    const reserved = new Set([join(folder, 'hero-inpaint-42-3.png')]);
    assert.equal(inpaintOutputPath({ ...values, source }, 'png', reserved), join(folder, 'hero-inpaint-42-4.png'));
  });

  test('a painted mask arrives whole, with its values, and never over another file', async () => {
    const folder = tempFolder('sdxl-inpaint-mask');
    const mask = new MaskModel(40, 24);
    mask.beginStroke('brush', 0.5, { x: 10, y: 12, radius: 6 });
    mask.strokeTo({ x: 30, y: 12, radius: 6 });
    mask.endStroke();
    const png = await decodePaintedMask(await paintedPng(mask), { width: 40, height: 24 });
    const path = join(folder, 'hero-inpaint-1.mask.png');
    writeMaskFile(path, png);
    const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [40, 24]);
    for (let i = 0; i < mask.data.length; i++) assert.equal(data[i * info.channels], mask.data[i], `pixel ${i}`);
    assert.throws(() => writeMaskFile(path, new Uint8Array([1, 2, 3])), /EEXIST/);
    assert.deepEqual(readFileSync(path), Buffer.from(png), 'the first mask is untouched');
    assert.deepEqual(readdirSync(folder), ['hero-inpaint-1.mask.png'], 'no temporary file is left');
  });

  test('a mask that is not a PNG, or not the picture’s size, is refused', async () => {
    await assert.rejects(decodePaintedMask(Buffer.from('GIF89a').toString('base64'), { width: 4, height: 4 }), /did not arrive as a PNG/);
    const png = await paintedPng(new MaskModel(8, 8));
    await assert.rejects(decodePaintedMask(png, { width: 8, height: 16 }), /is 8 × 8 but the picture is 8 × 16.*Inpaint… on it again/);
  });
});

describe('inpainting job settings', () => {
  const form: PanelSettings = { ...PLACEHOLDER_SETTINGS, initImage: '/ws/hero.png', width: 64, height: 48, strength: 0.7, inpaintStrength: 0.9, inpaint: DEFAULT_INPAINT_OPTIONS };

  test('the mask, blur and inpainting’s strength go to the engine; the defaults that mean nothing are left out', () => {
    const settings = jobSettings(form, 3, '/ws/hero-inpaint-3.mask.png');
    assert.equal(settings.mask, '/ws/hero-inpaint-3.mask.png');
    assert.equal(settings.maskBlur, 4);
    assert.equal(settings.strength, 0.9, 'inpainting’s own, not image to image’s');
    assert.equal(settings.initImage, '/ws/hero.png');
    assert.deepEqual([settings.width, settings.height], [64, 48]);
    for (const absent of ['inpaintArea', 'maskPadding', 'outpaint'] as const) assert.equal(settings[absent], undefined, absent);
  });

  test('only masked carries its padding and its working size, and margins their four sides', () => {
    const outpaint = { left: 8, top: 0, right: 0, bottom: 16 };
    const settings = jobSettings({ ...form, width: 1024, height: 768, inpaint: { maskBlur: 0, inpaintArea: 'masked', maskPadding: 24, outpaint } }, 3);
    assert.deepEqual(
      [settings.mask, settings.maskBlur, settings.inpaintArea, settings.maskPadding, settings.outpaint],
      [undefined, undefined, 'masked', 24, outpaint],
    );
    assert.deepEqual([settings.width, settings.height], [1024, 768]);
  });

  test('image to image sends none of it', () => {
    const { inpaint: _inpaint, ...imageToImage } = form;
    const settings = jobSettings(imageToImage, 3, '/ignored.png');
    assert.equal(settings.mask, undefined);
    assert.equal(settings.maskBlur, undefined);
    assert.equal(settings.strength, 0.7);
  });
});
