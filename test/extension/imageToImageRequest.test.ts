import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import sharp from 'sharp';
import { insertPngTextChunks } from '../../src/engine/image/pngText';
import { writeImage } from '../../src/engine/image/writeImage';
import type { Recipe } from '../../src/protocol/recipe';
import { imageToImageRequest, prefillFromMetadata } from '../../src/extension/jobs/imageToImageRequest';
import { jobSettings, usesRefiner } from '../../src/extension/jobs/jobSettings';
import { locateInitImage, modelDirForRecipe, settingsFromRecipe } from '../../src/extension/jobs/recipeSettings';
import { thumbnailDataUrl } from '../../src/extension/panel/imageThumbnail';
import type { ModelChoice, PanelSettings } from '../../src/protocol/panelProtocol';
import { tempFolder } from '../support/tempFolder';

const recipe: Recipe = {
  version: 1, model: 'sdxl-base-1.0', prompt: 'a fox in snow', negativePrompt: 'blurry', width: 64, height: 48,
  steps: 20, guidance: 6, sampler: 'dpmpp-2m', karras: true, timestepSpacing: null, seed: 77,
};
const models: ModelChoice[] = [
  { dir: '/models/broken', label: 'sdxl-base-1.0', problem: 'unet/model.onnx is missing' },
  { dir: '/models/base', label: 'sdxl-base-1.0', sizeMultiple: 32 },
  { dir: '/models/turbo', label: 'sdxl-turbo', sizeMultiple: 32 },
  { dir: '/models/refiner', label: 'sdxl-refiner-1.0', sizeMultiple: 32 },
];

const ws = tempFolder('sdxl-img2img');
before(() => {
  mkdirSync(join(ws, 'art'));
});

const pixels = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 20 } } });

describe('image-to-image input from a file', () => {
  test('our own picture: its recipe fills the form, but not its seed or size', async () => {
    const path = join(ws, 'art', 'fox.png');
    await writeImage(path, new Uint8Array(64 * 48 * 3).fill(128), 64, 48, { format: 'png', recipe });
    const before = readFileSync(path);
    const request = await imageToImageRequest(path, ws, models);
    assert.deepEqual(request.image, { path, label: 'art/fox.png', width: 64, height: 48 });
    assert.deepEqual(request.settings, {
      modelDir: '/models/base',
      prompt: 'a fox in snow',
      negativePrompt: 'blurry',
      steps: 20,
      guidance: 6,
      sampler: 'dpmpp-2m',
      karras: true,
      promptWeighting: false,
      refinerDir: '',
      tiling: 'off',
    });
    assert.deepEqual(readFileSync(path), before, 'the input is only read');
  });

  test('an AUTOMATIC1111 picture: its parameters fill the form', async () => {
    const path = join(ws, 'art', 'a1111.png');
    const text = 'castle on a hill\nNegative prompt: lowres\nSteps: 25, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7.5, Seed: 5, Size: 512x512, Model: juggernautXL';
    writeFileSync(path, insertPngTextChunks(await pixels(40, 24).png().toBuffer(), [{ keyword: 'parameters', text }]));
    const request = await imageToImageRequest(path, ws, models);
    assert.deepEqual(request.image, { path, label: 'art/a1111.png', width: 40, height: 24 });
    assert.deepEqual(request.settings, {
      promptWeighting: true, prompt: 'castle on a hill', negativePrompt: 'lowres', steps: 25, guidance: 7.5, sampler: 'euler-a', karras: false,
      tiling: 'off',
    });
    const tiled = join(ws, 'art', 'a1111-tiled.png');
    writeFileSync(tiled, insertPngTextChunks(await pixels(40, 24).png().toBuffer(), [{ keyword: 'parameters', text: `${text}, Tiling: True` }]));
    assert.equal((await imageToImageRequest(tiled, ws, models)).settings.tiling, 'both');
  });

  test('a plain photo outside the workspace, turned by EXIF: its displayed size and file name, nothing prefilled', async () => {
    const outside = tempFolder('sdxl-outside');
    const path = join(outside, 'holiday photo.jpg');
    writeFileSync(path, await pixels(30, 20).jpeg().withMetadata({ orientation: 6 }).toBuffer());
    const request = await imageToImageRequest(path, ws, models);
    assert.deepEqual(request.image, { path, label: 'holiday photo.jpg', width: 20, height: 30 });
    assert.deepEqual(request.settings, {});

    const thumbnail = await thumbnailDataUrl(path, 16);
    assert.match(thumbnail, /^data:image\/webp;base64,/);
    const decoded = await sharp(Buffer.from(thumbnail.split(',')[1]!, 'base64')).metadata();
    assert.deepEqual([decoded.width, decoded.height], [11, 16]);
  });

  test('a file that is no picture is refused with its name', async () => {
    const path = join(ws, 'art', 'notes.png');
    writeFileSync(path, 'not a picture');
    await assert.rejects(imageToImageRequest(path, ws, models), /Cannot read the input image .*notes\.png/);
  });

  test('a broken recipe chunk still lets the picture be used', async () => {
    const path = join(ws, 'art', 'odd.png');
    writeFileSync(path, insertPngTextChunks(await pixels(8, 8).png().toBuffer(), [{ keyword: 'sdxl-assets-recipe', text: '{"version":9}' }]));
    assert.deepEqual((await imageToImageRequest(path, ws, models)).settings, {});
  });
});

describe('recipes back into the form', () => {
  test('the model is the configured folder of the same name that loads', () => {
    assert.equal(modelDirForRecipe(models, 'sdxl-base-1.0'), '/models/base');
    assert.equal(modelDirForRecipe(models, 'unknown'), undefined);
    assert.equal(settingsFromRecipe(recipe).modelDir, undefined);
    assert.equal(settingsFromRecipe(recipe, models).modelDir, '/models/base');
  });

  test('a recipe brings its refiner folder and start, and its weighting, absent meaning off', () => {
    const refined = settingsFromRecipe({ ...recipe, refiner: 'sdxl-refiner-1.0', refinerStart: 0.7, promptWeighting: true }, models);
    assert.deepEqual([refined.refinerDir, refined.refinerStart, refined.promptWeighting], ['/models/refiner', 0.7, true]);
    const unknownRefiner = settingsFromRecipe({ ...recipe, refiner: 'elsewhere', refinerStart: 0.7 }, models);
    assert.equal(unknownRefiner.refinerDir, '');
    const plain = settingsFromRecipe(recipe, models);
    assert.deepEqual([plain.refinerDir, plain.refinerStart, plain.promptWeighting], ['', undefined, false]);
  });

  test('an image-to-image recipe brings its strength', () => {
    const settings = settingsFromRecipe({ ...recipe, initImage: '/ws/a.png', strength: 0.3 }, models);
    assert.equal(settings.strength, 0.3);
    assert.equal('initImage' in settings, false);
    assert.deepEqual(prefillFromMetadata({ recipe: { ...recipe, strength: 0.3, initImage: 'x.png' }, parameters: null }, []).strength, 0.3);
  });

  test('the input of a recipe is found where it was, or relative to the picture or the workspace', () => {
    const input = join(ws, 'art', 'sketch.png');
    writeFileSync(input, 'x');
    assert.equal(locateInitImage(input, []), input);
    assert.equal(locateInitImage('sketch.png', [join(ws, 'elsewhere'), join(ws, 'art')]), input);
    assert.equal(locateInitImage('art/sketch.png', [join(ws, 'art'), ws]), input);
    assert.equal(locateInitImage(join(ws, 'gone.png'), [ws]), undefined);
  });
});

describe('the job a form asks for', () => {
  const form: PanelSettings = {
    modelDir: '/models/base', prompt: 'fox', negativePrompt: '  ', width: 992, height: 736, steps: 30, guidance: 5,
    sampler: 'euler', karras: false, seedMode: 'random', seed: 0, batch: 1, strength: 0.4, inpaintStrength: 1,
    promptWeighting: true, refinerDir: '', refinerStart: 0.8, tiling: 'off',
  };

  test('text-to-image sends no strength nor refiner start; an empty negative prompt is none', () => {
    assert.deepEqual(jobSettings(form, 9), {
      prompt: 'fox', negativePrompt: null, width: 992, height: 736, steps: 30, guidance: 5, sampler: 'euler', karras: false, seed: 9,
      promptWeighting: true,
    });
    assert.equal(jobSettings({ ...form, promptWeighting: false }, 9).promptWeighting, false);
  });

  test('a refiner brings its start, in text to image only: the hand-off starts from noise', () => {
    const refined = { ...form, refinerDir: '/models/refiner', refinerStart: 0.75 };
    assert.equal(usesRefiner(refined), true);
    assert.equal(jobSettings(refined, 9).refinerStart, 0.75);
    const fromPicture = { ...refined, initImage: '/ws/art/fox.png' };
    assert.equal(usesRefiner(fromPicture), false);
    assert.equal(jobSettings(fromPicture, 9).refinerStart, undefined);
  });

  test('seamless tiles go along when on, and nothing when off', () => {
    assert.equal(jobSettings({ ...form, tiling: 'x' }, 9).tiling, 'x');
    assert.equal('tiling' in jobSettings(form, 9), false);
    assert.equal(settingsFromRecipe({ ...recipe, tiling: 'both' }, models).tiling, 'both');
    assert.equal(settingsFromRecipe(recipe, models).tiling, 'off');
  });

  test('image-to-image sends the input path and the strength', () => {
    const settings = jobSettings({ ...form, initImage: '/ws/art/fox.png' }, 9);
    assert.equal(settings.initImage, '/ws/art/fox.png');
    assert.equal(settings.strength, 0.4);
  });
});
