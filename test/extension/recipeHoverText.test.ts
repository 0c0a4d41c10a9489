import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Recipe } from '../../src/protocol/recipe';
import { commandUri, escapeMarkdownText, previewSize, recipeHoverMarkdown } from '../../src/extension/markdown/recipeHoverText';

const recipe: Recipe = {
  version: 1, model: 'sdxl-base-1.0', prompt: 'a *red* fox [v2]', negativePrompt: 'blurry_text', width: 1024,
  height: 768, steps: 30, guidance: 5, sampler: 'euler-a', karras: false, timestepSpacing: null, seed: 42,
};
const commands = { regenerate: 'command:r', vary: 'command:v', open: 'command:o', addToManifest: 'command:m' };

test('the hover shows the picture, the recipe and the four actions', () => {
  const text = recipeHoverMarkdown(recipe, 'file:///ws/assets/fox%20(1).png', commands);
  assert.equal(
    text,
    [
      '![a \\*red\\* fox \\[v2\\]](file:///ws/assets/fox%20%281%29.png|width=112,height=84)',
      '',
      '**Prompt:** a \\*red\\* fox \\[v2\\]  ',
      '**Negative:** blurry\\_text  ',
      'seed 42 · 30 steps · euler\\-a · guidance 5 · 1024×768 · model sdxl\\-base\\-1\\.0  ',
      '',
      '[Regenerate](command:r "Make the same image again, as a new file") · ' +
        '[Vary](command:v "The same recipe with a new seed, as a new file") · ' +
        '[Open in panel](command:o "Put these settings into the Generate Image panel") · ' +
        '[Add to Manifest](command:m "Record it in assets.sdxl.json, so a build can make it again")',
    ].join('\n'),
  );
});

test('the preview fits a 112 px square whatever the picture\'s shape', () => {
  assert.equal(previewSize(1024, 1024), 'width=112,height=112');
  assert.equal(previewSize(832, 1216), 'width=77,height=112');
  assert.equal(previewSize(1536, 640), 'width=112,height=47');
});

test('image-to-image recipes name their input and strength; no negative prompt, no line', () => {
  const text = recipeHoverMarkdown({ ...recipe, negativePrompt: null, initImage: '/ws/sketch.png', strength: 0.35 }, 'file:///x.png', commands);
  assert.match(text, /\nImage to image from sketch\\\.png, strength 0\\\.35\n/);
  assert.doesNotMatch(text, /Negative/);
});

test('prompts cannot inject links, HTML or commands', () => {
  const hostile = 'x](command:evil) <img src=y> $(zap) ![z](a)\nnext line';
  const escaped = escapeMarkdownText(hostile);
  assert.equal(escaped, 'x\\]\\(command:evil\\) \\<img src=y\\> \\$\\(zap\\) \\!\\[z\\]\\(a\\) next line');
});

test('command URIs carry their arguments as encoded JSON', () => {
  assert.equal(commandUri('sdxlAssets.varyImage', ['/ws/a b.png']), 'command:sdxlAssets.varyImage?%5B%22%2Fws%2Fa%20b.png%22%5D');
});
