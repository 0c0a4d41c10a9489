// A new user's first image: Generate Image from the palette, a prompt (counted in prompt-weighting
// chunks, with the model's family shown), Generate; the PNG lands under assets/generated/ with
// its recipe, the gallery shows it, the status bar goes back to idle. Then a long job is
// cancelled from the panel and leaves no file.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { REFINER_NEEDS_AN_IMAGE } from '../../webview/generateReadiness';
import { buildTinySdxl, buildTinySdxlRefiner } from '../support/tinyModels';
import { panelFrame, runCommand, statusBarText, startWorkbench, type Workbench } from './workbench';

const OUTPUT = join('assets', 'generated');

describe('Generate Image in the workbench', () => {
  let workbench: Workbench;

  before(async () => {
    workbench = await startWorkbench({
      name: 'generate',
      prepare: ({ scratch }) => {
        const model = join(scratch, 'tiny-sdxl');
        const refiner = join(scratch, 'tiny-refiner');
        buildTinySdxl(model);
        buildTinySdxlRefiner(refiner);
        return {
          'sdxlAssets.modelFolders': [model, refiner],
          'sdxlAssets.defaultModel': model,
          'sdxlAssets.executionProvider': 'cpu',
        };
      },
    });
  });

  after(async () => {
    await workbench?.close();
  });

  function images(): string[] {
    const folder = join(workbench.workspace, OUTPUT);
    return existsSync(folder) ? readdirSync(folder).filter((name) => !name.startsWith('.')) : [];
  }

  async function waitForIdle(): Promise<void> {
    await workbench.page.locator('.part.statusbar', { hasText: 'SDXL: idle' }).waitFor({ timeout: 60_000 });
  }

  it('generates an image with a recipe, shows it in the gallery and returns to idle', async () => {
    const { page } = workbench;
    await runCommand(page, 'SDXL Assets: Generate Image');
    const panel = panelFrame(page);
    const prompt = panel.locator('[data-testid=prompt] textarea');
    await prompt.waitFor({ timeout: 60_000 });
    await prompt.fill('a red fox in the snow, pixel art');
    const tokenCount = panel.locator('[data-testid=prompt-token-count]');
    // Weighting is on in the panel: the count is in A1111's chunks; off, it is against the 77 diffusers reads.
    await tokenCount.filter({ hasText: /^\d+ tokens · 1 chunk$/ }).waitFor();
    const weighting = panel.locator('[data-testid=prompt-weighting]');
    await weighting.click();
    await tokenCount.filter({ hasText: /^\d+ \/ 77$/ }).waitFor();
    await weighting.click();
    await tokenCount.filter({ hasText: /^\d+ tokens · 1 chunk$/ }).waitFor();
    assert.equal(await panel.locator('[data-testid=model-family]').textContent(), 'Family: SDXL');
    await panel.locator('[data-testid=steps] input').fill('12');

    const started = Date.now();
    await panel.locator('[data-testid=generate-button]').click();
    await panel.locator('[data-testid=gallery-item]').first().waitFor({ timeout: 120_000 });
    const elapsed = Date.now() - started;
    console.log(`# Generate → gallery on the tiny model: ${elapsed} ms`);

    const files = images();
    assert.equal(files.length, 1, `files: ${files.join(', ')}`);
    assert.match(files[0], /^a-red-fox-in-the-snow-pixel-art-\d+\.png$/);
    const recipe = await readRecipeFromFile(join(workbench.workspace, OUTPUT, files[0]));
    assert.equal(recipe?.prompt, 'a red fox in the snow, pixel art');
    assert.equal(recipe?.steps, 12);
    assert.equal(recipe?.promptWeighting, true);
    assert.equal(await panel.locator('[data-testid=gallery-item]').count(), 1);
    assert.ok(await panel.locator('[data-testid=preview-image]').getAttribute('src'));
    await waitForIdle();
    assert.match(await statusBarText(page), /SDXL: idle/);
    console.log(`# panel screenshot: ${await workbench.screenshot('panel-after-generation')}`);
  });

  it('cancels a running job from the panel and leaves no file', async () => {
    const { page } = workbench;
    const panel = panelFrame(page);
    // Long enough on the tiny model (1000 steps at SDXL's full size) to be cancelled mid-way.
    await panel.locator('[data-testid=width] input').fill('1024');
    await panel.locator('[data-testid=height] input').fill('1024');
    await panel.locator('[data-testid=steps] input').fill('1000');
    await panel.locator('[data-testid=generate-button]').click();
    await panel.locator('[data-testid=progress-text]').filter({ hasText: /step \d+\/1000/ }).waitFor({ timeout: 60_000 });
    await workbench.screenshot('panel-during-generation');
    await panel.locator('[data-testid=cancel-button]').click();
    await panel.locator('[data-testid=queue-item]').first().waitFor({ state: 'detached', timeout: 60_000 });
    await waitForIdle();
    assert.equal(images().length, 1, `files: ${images().join(', ')}`);
    assert.deepEqual(
      readdirSync(join(workbench.workspace, OUTPUT)).filter((name) => name.endsWith('.tmp')),
      [],
    );
    assert.equal(await panel.locator('[data-testid=error]').filter({ hasText: /\S/ }).count(), 0);
  });

  it('hands the latents to a refiner chosen in the panel; a refiner as the model needs a picture', async () => {
    const { page } = workbench;
    const panel = panelFrame(page);
    /** Picks an option of a vscode-single-select by its text; the list is in the select's shadow root. */
    const pick = async (testId: string, text: string) => {
      await panel.locator(`[data-testid=${testId}]`).click();
      await panel.locator(`[data-testid=${testId}] li.option`, { hasText: text }).click();
    };
    await panel.locator('[data-testid=width] input').fill('64');
    await panel.locator('[data-testid=height] input').fill('64');
    await panel.locator('[data-testid=steps] input').fill('10');
    await pick('refiner-select', 'tiny-refiner — SDXL refiner');
    await panel.locator('[data-testid=refiner-start-value]').filter({ hasText: '0.80' }).waitFor();
    await panel.locator('[data-testid=generate-button]').click();
    await panel.locator('[data-testid=gallery-item]').nth(1).waitFor({ timeout: 120_000 });
    await waitForIdle();
    const recipes = await Promise.all(images().map((name) => readRecipeFromFile(join(workbench.workspace, OUTPUT, name))));
    const refined = recipes.find((recipe) => recipe?.refiner !== undefined);
    assert.deepEqual([refined?.model, refined?.refiner, refined?.refinerStart], ['tiny-sdxl', 'tiny-refiner', 0.8]);
    console.log(`# panel screenshot: ${await workbench.screenshot('panel-with-refiner')}`);

    await pick('model-select', 'tiny-refiner — SDXL refiner');
    await panel.locator('[data-testid=model-family]').filter({ hasText: 'Family: SDXL refiner' }).waitFor();
    await panel.locator('[data-testid=generate-hint]').filter({ hasText: REFINER_NEEDS_AN_IMAGE }).waitFor();
    assert.equal(await panel.locator('[data-testid=generate-button]').getAttribute('disabled'), '');
    assert.equal(await panel.locator('[data-testid=refiner]').isHidden(), true);
  });
});
