// Reuse settings, Vary and Regenerate of an inpainted picture: its recipe's options and mask file
// come back, so the edit is made again as an edit rather than as image to image of the source.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { writeImage } from '../../src/engine/image/writeImage';
import { jobSettings } from '../../src/extension/jobs/jobSettings';
import { recipeForm, reuseForm } from '../../src/extension/jobs/recipeForms';
import type { Recipe } from '../../src/protocol/recipe';
import { tempFolder } from '../support/tempFolder';

describe('inpainted pictures’ recipes', () => {
  const models = [{ dir: '/models/tiny', label: 'tiny', sizeMultiple: 8 }];
  const base: Recipe = {
    version: 1, model: 'tiny', prompt: 'a lantern', negativePrompt: null, width: 64, height: 56, steps: 8,
    guidance: 5, sampler: 'euler', karras: false, timestepSpacing: null, seed: 5, strength: 0.8,
  };

  async function inpainted(folder: string, fields: Partial<Recipe>): Promise<string> {
    const source = join(folder, 'hero.png');
    await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 90, g: 40, b: 10 } } }).png().toFile(source);
    const result = join(folder, 'hero-inpaint-5.png');
    await writeImage(result, new Uint8Array(64 * 56 * 3), 64, 56, { format: 'png', recipe: { ...base, initImage: source, ...fields } });
    return result;
  }

  test('Reuse settings opens Inpaint… again, with the recipe’s options and its mask to start from', async () => {
    const folder = tempFolder('sdxl-inpaint-reuse');
    const mask = join(folder, 'hero-inpaint-5.mask.png');
    writeFileSync(mask, 'mask');
    const outpaint = { left: 0, top: 8, right: 0, bottom: 0 };
    const event = await reuseForm(await inpainted(folder, { mask, maskBlur: 3, inpaintArea: 'masked', maskPadding: 12, outpaint }), folder, models);
    assert.equal(event.type, 'imageToImage');
    if (event.type !== 'imageToImage') return;
    assert.equal(event.inpaint, true);
    assert.equal(event.maskPath, mask);
    assert.deepEqual(event.settings.inpaint, { maskBlur: 3, inpaintArea: 'masked', maskPadding: 12, outpaint });
    assert.deepEqual([event.settings.width, event.settings.height], [64, 56], 'only masked’s working size');
    assert.equal(event.settings.inpaintStrength, 0.8);
    assert.equal(event.settings.strength, undefined, 'image to image’s strength stays the form’s');
  });

  test('Vary takes the recipe’s mask file, and says so when it is gone', async () => {
    const folder = tempFolder('sdxl-inpaint-vary');
    const mask = join(folder, 'hero-inpaint-5.mask.png');
    writeFileSync(mask, 'mask');
    const result = await inpainted(folder, { mask: 'hero-inpaint-5.mask.png' });
    const form = await recipeForm(result, 'vary', folder, models, '/models/tiny');
    assert.deepEqual(form.inpaint, { maskBlur: 0, inpaintArea: 'full', maskPadding: 32, outpaint: { left: 0, top: 0, right: 0, bottom: 0 }, maskFile: mask });
    assert.equal(form.initImage, join(folder, 'hero.png'));
    assert.equal(jobSettings(form, 1).strength, 0.8, 'the edit’s own strength');
    rmSync(mask);
    await assert.rejects(recipeForm(result, 'vary', folder, models, '/models/tiny'), /The mask hero-inpaint-5\.mask\.png of hero-inpaint-5\.png is not there any more/);
  });

  test('an image-to-image recipe stays image to image', async () => {
    const folder = tempFolder('sdxl-inpaint-plain');
    const event = await reuseForm(await inpainted(folder, {}), folder, models);
    assert.equal(event.type === 'imageToImage' && event.inpaint, undefined);
    assert.equal(event.settings.inpaint, undefined);
    assert.deepEqual([event.settings.strength, event.settings.inpaintStrength], [0.8, undefined]);
  });
});
