// Image to Image from a picture in the workspace, along the path the extension takes without
// VS Code: the host's request from the file, the panel's reducer, the job, the real engine
// process (dist/engineServer.js, built by `npm run build`) and a tiny model.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import sharp from 'sharp';
import { readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { readModelFolder, sizeMultiple } from '../../src/engine/models/modelFolder';
import { EngineClient } from '../../src/extension/engineClient';
import { imageToImageRequest } from '../../src/extension/jobs/imageToImageRequest';
import { jobSettings } from '../../src/extension/jobs/jobSettings';
import { IMAGE_TO_IMAGE_TEMPLATE, outputPathFor, workspaceRelative } from '../../src/extension/outputFiles';
import type { ModelChoice } from '../../src/protocol/panelProtocol';
import { initialPanelState, PLACEHOLDER_SETTINGS, reducePanelState } from '../../webview/panelState';
import { settingsToGenerate } from '../../webview/samplers';
import { repoRoot } from '../support/shared';
import { tempFolder } from '../support/tempFolder';
import { buildTinySdxl } from '../support/tinyModels';

const ws = tempFolder('sdxl-img2img-job');
let modelDir = '';
before(() => {
  modelDir = join(ws, 'models', 'tiny-sdxl');
  buildTinySdxl(modelDir);
});

test('a picture becomes a new file named after it, and the picture keeps its bytes', { timeout: 60_000 }, async () => {
  const input = join(ws, 'art', 'Hero Sketch.png');
  mkdirSync(join(ws, 'art'));
  const rgba = new Uint8Array(80 * 56 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 13) & 255));
  await sharp(rgba, { raw: { width: 80, height: 56, channels: 4 } }).png().toFile(input);
  const inputBytes = readFileSync(input);

  const folder = readModelFolder(modelDir);
  const models: ModelChoice[] = [{ dir: modelDir, label: folder.name, sizeMultiple: sizeMultiple(folder) }];
  const request = await imageToImageRequest(input, ws, models);
  const state = [
    { type: 'init' as const, models, defaults: { ...PLACEHOLDER_SETTINGS, modelDir, steps: 4 }, gallery: [] },
    { type: 'imageToImage' as const, image: { ...request.image, src: 'webview-uri' }, settings: request.settings },
    { type: 'edit' as const, settings: { prompt: 'a watercolour hero', strength: 0.75 } },
  ].reduce(reducePanelState, initialPanelState());
  const form = settingsToGenerate(state.settings);
  const multiple = sizeMultiple(folder);
  assert.deepEqual([form.width, form.height], [Math.floor(80 / multiple) * multiple, Math.floor(56 / multiple) * multiple]);

  const seed = 7;
  const outputPath = outputPathFor(
    ws,
    'assets/generated',
    IMAGE_TO_IMAGE_TEMPLATE,
    { prompt: form.prompt, seed, model: folder.name, date: new Date(), source: form.initImage },
    'png',
  );
  assert.equal(workspaceRelative(ws, outputPath), 'assets/generated/hero-sketch-img2img-7.png');

  const client = new EngineClient({ enginePath: join(repoRoot, 'dist', 'engineServer.js'), shutdownGraceMs: 2000 });
  client.configure({ provider: 'cpu', lowMemory: false, idleUnloadMs: 0, previewEvery: 0 });
  try {
    const result = await client.submit({
      jobId: 'img2img',
      modelDir,
      settings: jobSettings(form, seed),
      outputPath,
      format: 'png',
      embedRecipe: true,
    }).done;
    assert.equal(result.path, outputPath);
    assert.ok(existsSync(outputPath));
    const recipe = await readRecipeFromFile(outputPath);
    assert.deepEqual([recipe?.initImage, recipe?.strength, recipe?.seed, recipe?.prompt], [input, 0.75, 7, 'a watercolour hero']);
    assert.deepEqual(readFileSync(input), inputBytes);
  } finally {
    await client.dispose();
  }
});
