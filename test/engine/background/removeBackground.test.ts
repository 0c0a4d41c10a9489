// The matting step through real ONNX Runtime on a tiny model with the real one's interface:
// the matte follows the subject, the file written is RGBA with that matte, and the edge
// pixels carry the subject's colour rather than the background's.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { writeImage } from '../../../src/engine/image/writeImage';
import { readMattingFolder } from '../../../src/engine/models/mattingFolder';
import { removeBackground } from '../../../src/engine/pipelines/removeBackground';
import { tempFolder } from '../../support/tempFolder';
import { tinyModelFolders } from '../../support/tinyModelFolders';
import { writeTinyMatting } from '../../support/tinyMatting';

const work = tempFolder('sdxl-background');
const models = tinyModelFolders(work, {
  'tiny-matting': (dir) => writeTinyMatting(dir),
  'bare-matting': (dir) => writeTinyMatting(dir, { layout: 'bare', size: 48 }),
});

const WIDTH = 64;
const HEIGHT = 48;
const RED = [230, 30, 20];
const GREEN = [20, 200, 60];

/** A red disc on green whose rim mixes the two over 4 pixels, as a decoded image's edge does. */
function redDiscOnGreen(): { rgb: Uint8Array; coverage: Float32Array } {
  const rgb = new Uint8Array(WIDTH * HEIGHT * 3);
  const coverage = new Float32Array(WIDTH * HEIGHT);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const i = y * WIDTH + x;
      const a = Math.min(1, Math.max(0, (16 - Math.hypot(x - 32, y - 24)) / 4));
      coverage[i] = a;
      for (let c = 0; c < 3; c++) rgb[i * 3 + c] = Math.round(a * RED[c] + (1 - a) * GREEN[c]);
    }
  }
  return { rgb, coverage };
}

describe('removeBackground', () => {
  test('reads the folder: model under onnx/ or bare, size and normalisation from preprocessor_config.json', () => {
    const folder = readMattingFolder(models['tiny-matting']);
    assert.equal(folder.modelPath, join(models['tiny-matting'], 'onnx', 'model.onnx'));
    assert.deepEqual([folder.width, folder.height, folder.rescale], [32, 32, 1 / 255]);
    assert.deepEqual(folder.mean, [0.485, 0.456, 0.406]);
    assert.deepEqual(folder.std, [0.229, 0.224, 0.225]);
    const bare = readMattingFolder(models['bare-matting']);
    assert.equal(bare.modelPath, join(models['bare-matting'], 'model.onnx'));
    assert.equal(bare.width, 48);
    assert.throws(() => readMattingFolder(work), /not a matting model folder: it has no onnx\/model.onnx or model.onnx/);
  });

  test('the matte covers the subject, and the PNG read back holds it as its alpha channel', async () => {
    const { rgb } = redDiscOnGreen();
    const result = await removeBackground(rgb, WIDTH, HEIGHT, readMattingFolder(models['tiny-matting']), ['cpu']);
    assert.equal(result.provider, 'cpu');
    const at = (x: number, y: number) => result.rgba[(y * WIDTH + x) * 4 + 3];
    assert.ok(at(32, 24) >= 250, `centre alpha ${at(32, 24)}`);
    assert.ok(at(2, 2) <= 5, `corner alpha ${at(2, 2)}`);
    assert.ok(at(60, 24) <= 5, `background alpha ${at(60, 24)}`);

    const path = await writeImage(join(work, 'disc.png'), result.rgba, WIDTH, HEIGHT, { format: 'png', channels: 4 });
    const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.channels, 4);
    assert.deepEqual(new Uint8Array(data), result.rgba, 'PNG is lossless: the file holds exactly the RGBA computed');
  });

  test('semi-transparent edge pixels carry the subject colour, not the green background', async () => {
    const { rgb } = redDiscOnGreen();
    const result = await removeBackground(rgb, WIDTH, HEIGHT, readMattingFolder(models['tiny-matting']), ['cpu']);
    let edges = 0;
    let visibleGreen = 0;
    let naiveVisibleGreen = 0;
    for (let i = 0; i < WIDTH * HEIGHT; i++) {
      const a = result.rgba[i * 4 + 3] / 255;
      if (a < 0.05 || a > 0.95) continue;
      edges++;
      // Over black, the pixel shows a × its green; the subject alone would show a × 30.
      visibleGreen += a * (result.rgba[i * 4 + 1] - RED[1]);
      naiveVisibleGreen += a * (rgb[i * 3 + 1] - RED[1]);
    }
    // The tiny model's matte is steeper than the rim's true coverage, so part of the rim stays
    // mixed whatever the estimate (measured: 10.4 levels of excess green on average, 36.4 as
    // decoded); the exact-matte case is foregroundEstimate.test.ts's.
    assert.ok(edges > 20, `${edges} semi-transparent pixels`);
    assert.ok(naiveVisibleGreen / edges > 20, `the image's own edge colour shows ${naiveVisibleGreen / edges} levels of green on average`);
    assert.ok(visibleGreen < naiveVisibleGreen / 2, `decontaminated edge shows ${visibleGreen / edges} levels of excess green on average`);
  });

  test('WebP keeps the alpha channel; JPEG is refused', async () => {
    const { rgb } = redDiscOnGreen();
    const result = await removeBackground(rgb, WIDTH, HEIGHT, readMattingFolder(models['tiny-matting']), ['cpu']);
    const webp = await writeImage(join(work, 'disc.webp'), result.rgba, WIDTH, HEIGHT, { format: 'webp', channels: 4 });
    const meta = await sharp(webp).metadata();
    assert.equal(meta.hasAlpha, true);
    const { data } = await sharp(webp).raw().toBuffer({ resolveWithObject: true });
    assert.ok(Math.abs(data[(24 * WIDTH + 32) * 4 + 3] - 255) <= 2 && data[3] <= 5, 'the matte survives WebP');
    await assert.rejects(
      writeImage(join(work, 'disc.jpg'), result.rgba, WIDTH, HEIGHT, { format: 'jpeg', channels: 4 }),
      /JPEG has no alpha channel/,
    );
  });
});
