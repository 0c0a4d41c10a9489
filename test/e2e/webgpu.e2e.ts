// The provider setting reaches the engine process: with sdxlAssets.executionProvider set to
// webgpu (SwiftShader standing in for a GPU, as in the unit tests) the panel's image is computed
// on WebGPU, the status bar names it, and the recipe records it.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { buildTinySdxl } from '../support/tinyModels';
import { conformanceProviders } from '../support/webgpu';
import { panelFrame, runCommand, statusBarText, startWorkbench, type Workbench } from './workbench';

const OUTPUT = join('assets', 'generated');
// Before code-server starts: the extension host, and the engine it forks, inherit the Vulkan driver.
const skip = conformanceProviders().includes('webgpu') ? false : 'WebGPU (SwiftShader) is not installed here';

describe('the WebGPU provider from the settings', { skip }, () => {
  let workbench: Workbench;

  before(async () => {
    workbench = await startWorkbench({
      name: 'webgpu',
      prepare: ({ scratch }) => {
        const model = join(scratch, 'tiny-sdxl');
        buildTinySdxl(model);
        return {
          'sdxlAssets.modelFolders': [model],
          'sdxlAssets.defaultModel': model,
          'sdxlAssets.executionProvider': 'webgpu',
        };
      },
    });
  });

  after(async () => {
    await workbench?.close();
  });

  it('generates on WebGPU; the status bar and the recipe say so', async () => {
    const { page } = workbench;
    await runCommand(page, 'SDXL Assets: Generate Image');
    const panel = panelFrame(page);
    const prompt = panel.locator('[data-testid=prompt] textarea');
    await prompt.waitFor({ timeout: 60_000 });
    await prompt.fill('a lighthouse, flat colours');
    await panel.locator('[data-testid=width] input').fill('64');
    await panel.locator('[data-testid=height] input').fill('64');
    await panel.locator('[data-testid=steps] input').fill('4');
    await panel.locator('[data-testid=generate-button]').click();
    await panel.locator('[data-testid=gallery-item]').first().waitFor({ timeout: 180_000 });
    await page.locator('.part.statusbar', { hasText: 'SDXL: idle (webgpu)' }).waitFor({ timeout: 60_000 });
    assert.match(await statusBarText(page), /SDXL: idle \(webgpu\)/);

    const folder = join(workbench.workspace, OUTPUT);
    const files = existsSync(folder) ? readdirSync(folder).filter((name) => name.endsWith('.png')) : [];
    assert.equal(files.length, 1, `files: ${files.join(', ')}`);
    const recipe = await readRecipeFromFile(join(folder, files[0]));
    assert.deepEqual(recipe?.provider, { choice: 'webgpu', provider: 'webgpu', skipped: [] });
    console.log(`# panel screenshot: ${await workbench.screenshot('generated-on-webgpu')}`);
  });
});
