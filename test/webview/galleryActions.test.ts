import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import type { GalleryItem } from '../../src/protocol/panelProtocol';
import type { Recipe } from '../../src/protocol/recipe';
import { debounce } from '../../webview/debounce';
import {
  GALLERY_ACTIONS,
  galleryActionLabel,
  galleryItemAlt,
  galleryItemDetails,
  isGalleryAction,
} from '../../webview/galleryActions';

const item: GalleryItem = { path: '/ws/a/fox.png', relativePath: 'a/fox.png', src: 'https://x/fox.png', modifiedMs: 1 };

describe('gallery actions', () => {
  test('every action has a button, in the order of the design', () => {
    assert.deepEqual(
      GALLERY_ACTIONS.map((a) => a.action),
      ['open', 'reveal', 'copyPath', 'insertMarkdown', 'useAsInit', 'inpaint', 'vary', 'reuse', 'addToManifest', 'delete'],
    );
    assert.ok(GALLERY_ACTIONS.every((a) => a.label && a.icon));
  });

  test('labels name the image they act on', () => {
    const open = GALLERY_ACTIONS[0]!;
    assert.equal(galleryActionLabel(open, item), 'Open: a/fox.png');
  });

  test('only known actions pass', () => {
    assert.equal(isGalleryAction('delete'), true);
    assert.equal(isGalleryAction('toString'), false);
    assert.equal(isGalleryAction(undefined), false);
  });

  test('an image-to-image caption says the steps that ran, the strength and the source', () => {
    const recipe: Recipe = {
      version: 1, model: 'tiny', prompt: 'a knight', negativePrompt: null, width: 48, height: 64, steps: 30,
      guidance: 5, sampler: 'euler', karras: false, timestepSpacing: null, seed: 7,
    };
    assert.equal(galleryItemDetails({ ...item, recipe }), 'seed 7 · 48 × 64 · 30 steps');
    assert.equal(
      galleryItemDetails({ ...item, recipe: { ...recipe, initImage: 'art/hero-sketch.png', strength: 0.6 } }),
      'seed 7 · 48 × 64 · 18 of 30 steps at strength 0.6 · from hero-sketch.png',
    );
    assert.match(galleryItemDetails({ ...item, recipe: { ...recipe, initImage: 'C:\\art\\sketch.png', strength: 0.5 } }), /from sketch\.png$/);
    assert.equal(
      galleryItemDetails({ ...item, recipe: { ...recipe, output: { width: 32, height: 16, fit: 'cover' }, pixelArt: { factor: 2, colors: 8 } } }),
      'seed 7 · 32 × 16 from 48 × 64 · 30 steps',
    );
    assert.equal(galleryItemDetails({ ...item, recipe: { ...recipe, pixelArt: { factor: 8, colors: 8 } } }), 'seed 7 · 6 × 8 from 48 × 64 · 30 steps');
  });

  test('a file without a recipe still gets a caption and alt text', () => {
    assert.equal(galleryItemDetails(item), 'No recipe in the file');
    assert.equal(galleryItemAlt(item), 'a/fox.png');
  });
});

describe('debounce', () => {
  test('a burst of calls runs once, after the quiet period', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let runs = 0;
      const counted = debounce(() => runs++, 200);
      counted.schedule();
      mock.timers.tick(150);
      counted.schedule();
      mock.timers.tick(150);
      assert.equal(runs, 0);
      mock.timers.tick(50);
      assert.equal(runs, 1);
      counted.schedule();
      counted.cancel();
      mock.timers.tick(500);
      assert.equal(runs, 1);
    } finally {
      mock.timers.reset();
    }
  });
});
