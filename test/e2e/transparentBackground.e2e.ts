// A transparent background from the panel: with the matting model missing, Generate offers its
// download instead of queueing a job that would fail; with the tiny matting model where a
// download would have put it, the toggle gives an RGBA file with transparent pixels, shown over
// a checkerboard, whose recipe regenerates it byte for byte from the command line.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { loadMattingCatalog } from '../../src/engine/models/catalog';
import { storedModelDir, writeDownloadRecord } from '../../src/engine/models/modelStore';
import { readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { DEFAULT_MATTING_MODEL } from '../../src/protocol/background';
import { runCli } from '../support/cli';
import { writeTinyMatting } from '../support/tinyMatting';
import { buildTinySdxl } from '../support/tinyModels';
import { notifications, panelFrame, runCommand, startWorkbench, type Workbench } from './workbench';

const OUTPUT = join('assets', 'generated');

describe('Transparent background in the panel', () => {
  let workbench: Workbench;
  let model = '';
  let modelsDir = '';

  before(async () => {
    workbench = await startWorkbench({
      name: 'transparent-background',
      prepare: ({ scratch }) => {
        model = join(scratch, 'tiny-sdxl');
        modelsDir = join(scratch, 'models');
        buildTinySdxl(model);
        return {
          'sdxlAssets.modelFolders': [model],
          'sdxlAssets.defaultModel': model,
          'sdxlAssets.executionProvider': 'cpu',
          'sdxlAssets.modelsDirectory': modelsDir,
        };
      },
    });
  });

  after(async () => {
    await workbench?.close();
  });

  const entries = () => {
    const folder = join(workbench.workspace, OUTPUT);
    return existsSync(folder) ? readdirSync(folder).filter((name) => !name.startsWith('.')) : [];
  };

  it('offers the matting model when it is missing, then writes an RGBA file with transparent pixels', async () => {
    const { page } = workbench;
    await runCommand(page, 'SDXL Assets: Generate Image');
    const panel = panelFrame(page);
    const prompt = panel.locator('[data-testid=prompt] textarea');
    await prompt.waitFor({ timeout: 60_000 });
    await prompt.fill('a red fox');
    await panel.locator('[data-testid=width] input').fill('64');
    await panel.locator('[data-testid=height] input').fill('64');
    await panel.locator('[data-testid=steps] input').fill('3');
    await panel.locator('[data-testid=transparent-background]').click();
    await panel.locator('[data-testid=isolate-subject-field]').waitFor();
    await panel.locator('[data-testid=isolate-subject]').click();

    await panel.locator('[data-testid=generate-button]').click();
    const offer = notifications(page).filter({ hasText: 'A transparent background needs' });
    await offer.waitFor({ timeout: 30_000 });
    assert.match(await offer.innerText(), /Download BiRefNet/);
    console.log(`# offer screenshot: ${await workbench.screenshot('panel-transparent-offer')}`);
    await offer.hover();
    await offer.locator('.codicon-notifications-clear').click();
    assert.deepEqual(entries(), [], 'no job was queued without the matting model');

    // Where Download Model… puts the catalog's matting model, recorded as a finished download.
    const entry = loadMattingCatalog().find((e) => e.id === DEFAULT_MATTING_MODEL);
    assert.ok(entry);
    const mattingDir = storedModelDir(modelsDir, entry);
    writeTinyMatting(mattingDir);
    writeDownloadRecord(mattingDir, { id: entry.id, repo: entry.repo, revision: entry.revision, complete: true, files: {} });

    await panel.locator('[data-testid=generate-button]').click();
    await panel.locator('[data-testid=gallery-item]').first().waitFor({ timeout: 120_000 });
    const [name] = entries();
    const path = join(workbench.workspace, OUTPUT, name);
    const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.channels], [64, 64, 4]);
    const alphas = new Set(data.filter((_, i) => i % 4 === 3));
    assert.ok([...alphas].some((a) => a < 128), `transparent pixels: alphas ${[...alphas].slice(0, 10).join(', ')}…`);
    const recipe = await readRecipeFromFile(path);
    assert.deepEqual(recipe?.background, { mode: 'transparent', matting: DEFAULT_MATTING_MODEL, isolateSubject: true });
    assert.equal(recipe?.prompt, 'a red fox');

    const image = panel.locator('[data-testid=gallery-image]').first();
    assert.match((await image.getAttribute('class')) ?? '', /checkerboard/);
    await panel.locator('[data-testid=preview] figcaption', { hasText: 'transparent background' }).waitFor({ timeout: 30_000 });
    console.log(`# panel screenshot: ${await workbench.screenshot('panel-transparent-background')}`);

    const again = join(workbench.scratch, 'regenerated.png');
    const result = await runCli(['generate', '--model', model, '--recipe', path, '--matting-model', mattingDir, '--provider', 'cpu', '--out', again]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(readFileSync(again), readFileSync(path));
  });
});
