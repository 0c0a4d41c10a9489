// Seamless tiles from the panel: "Seamless tiles" set to both ways, Generate; the file's recipe
// says so, and the preview shows the image 2×2 against itself so the joins can be judged. One
// axis shows two copies along it.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { buildTinySdxl } from '../support/tinyModels';
import { panelFrame, runCommand, startWorkbench, type Workbench } from './workbench';

const OUTPUT = join('assets', 'generated');

describe('Seamless tiles in the panel', () => {
  let workbench: Workbench;

  before(async () => {
    workbench = await startWorkbench({
      name: 'seamless',
      prepare: ({ scratch }) => {
        const model = join(scratch, 'tiny-sdxl');
        buildTinySdxl(model);
        // The engine process inherits it: the rewritten graphs stay in the scenario's scratch folder.
        process.env.SDXL_ASSETS_SEAMLESS_CACHE = join(scratch, 'seamless-cache');
        return {
          'sdxlAssets.modelFolders': [model],
          'sdxlAssets.defaultModel': model,
          'sdxlAssets.executionProvider': 'cpu',
        };
      },
    });
  });

  after(async () => {
    await workbench?.close();
  });

  async function recipes() {
    const folder = join(workbench.workspace, OUTPUT);
    const files = existsSync(folder) ? readdirSync(folder).filter((name) => !name.startsWith('.')) : [];
    return Promise.all(files.map((name) => readRecipeFromFile(join(folder, name))));
  }

  it('generates a seamless image and shows it beside copies of itself', async () => {
    const { page } = workbench;
    await runCommand(page, 'SDXL Assets: Generate Image');
    const panel = panelFrame(page);
    const prompt = panel.locator('[data-testid=prompt] textarea');
    await prompt.waitFor({ timeout: 60_000 });
    await prompt.fill('mossy cobblestones, seamless texture');
    await panel.locator('[data-testid=width] input').fill('64');
    await panel.locator('[data-testid=height] input').fill('64');
    await panel.locator('[data-testid=steps] input').fill('4');
    /** Picks an option of a vscode-single-select by its text; the list is in the select's shadow root. */
    const pick = async (testId: string, text: string) => {
      await panel.locator(`[data-testid=${testId}]`).click();
      await panel.locator(`[data-testid=${testId}] li.option`, { hasText: text }).click();
    };
    await pick('tiling', 'Both ways');

    await panel.locator('[data-testid=generate-button]').click();
    await panel.locator('[data-testid=gallery-item]').first().waitFor({ timeout: 120_000 });
    const tiles = panel.locator('[data-testid=tile-preview] img');
    await tiles.nth(3).waitFor({ timeout: 30_000 });
    assert.equal(await tiles.count(), 4);
    assert.equal(await panel.locator('[data-testid=preview-image]').isHidden(), true);
    const src = await panel.locator('[data-testid=gallery-image]').first().getAttribute('src');
    assert.equal(await tiles.first().getAttribute('src'), src);
    assert.deepEqual((await recipes()).map((r) => r?.tiling), ['both']);
    console.log(`# panel screenshot: ${await workbench.screenshot('panel-seamless-both')}`);

    await pick('tiling', 'Left to right (x)');
    await panel.locator('[data-testid=generate-button]').click();
    await panel.locator('[data-testid=gallery-item]').nth(1).waitFor({ timeout: 120_000 });
    await panel.locator('[data-testid=preview] figcaption', { hasText: '2×1 copies' }).waitFor({ timeout: 30_000 });
    assert.equal(await tiles.count(), 2);
    assert.deepEqual((await recipes()).map((r) => r?.tiling).sort(), ['both', 'x']);
  });
});
