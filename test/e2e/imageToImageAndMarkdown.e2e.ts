// The two other ways in: right-click an image in the Explorer for image-to-image, and
// Generate Image Here in a Markdown file, which links the new image at the cursor.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { buildTinySdxl } from '../support/tinyModels';
import { explorerMenuCommand, panelFrame, runCommand, startWorkbench, type Workbench } from './workbench';

const OUTPUT = join('assets', 'generated');
const SOURCE = join('art', 'hero-sketch.png');

describe('image-to-image from the Explorer and Generate Image Here', () => {
  let workbench: Workbench;
  let sourceBytes: Buffer;

  before(async () => {
    workbench = await startWorkbench({
      name: 'img2img-markdown',
      prepare: async ({ workspace, scratch }) => {
        const model = join(scratch, 'tiny-sdxl');
        buildTinySdxl(model);
        mkdirSync(join(workspace, 'art'), { recursive: true });
        const gradient = Buffer.alloc(48 * 64 * 3);
        for (let i = 0; i < gradient.length; i++) gradient[i] = (i * 7) % 256;
        await sharp(gradient, { raw: { width: 48, height: 64, channels: 3 } }).png().toFile(join(workspace, SOURCE));
        writeFileSync(join(workspace, 'notes.md'), '# Notes\n\nThe hero:\n');
        return {
          'sdxlAssets.modelFolders': [model],
          'sdxlAssets.defaultModel': model,
          'sdxlAssets.executionProvider': 'cpu',
        };
      },
    });
    sourceBytes = readFileSync(join(workbench.workspace, SOURCE));
  });

  after(async () => {
    await workbench?.close();
  });

  const outputs = () => {
    const folder = join(workbench.workspace, OUTPUT);
    return existsSync(folder) ? readdirSync(folder).filter((name) => !name.startsWith('.')).sort() : [];
  };

  it('right-click an image → Image to Image → a new file, the original unchanged', async () => {
    const { page } = workbench;
    await explorerMenuCommand(page, 'art', 'hero-sketch.png', 'Image to Image…');

    const panel = panelFrame(page);
    await panel.locator('[data-testid=init-image-preview]').waitFor({ timeout: 60_000 });
    assert.equal(await panel.locator('[data-testid=strength-value]').innerText(), '0.50');
    await panel.locator('[data-testid=prompt] textarea').fill('a heroic knight, painted');
    await panel.locator('[data-testid=steps] input').fill('10');
    await panel.locator('[data-testid=generate-button]').click();
    await panel.locator('[data-testid=gallery-item]').first().waitFor({ timeout: 120_000 });
    await workbench.screenshot('img2img-done');

    const files = outputs();
    assert.equal(files.length, 1, files.join(', '));
    assert.match(files[0], /^hero-sketch-img2img-\d+\.png$/);
    const recipe = await readRecipeFromFile(join(workbench.workspace, OUTPUT, files[0]));
    assert.equal(recipe?.strength, 0.5);
    assert.ok(recipe?.initImage?.endsWith('hero-sketch.png'), recipe?.initImage);
    assert.deepEqual(readFileSync(join(workbench.workspace, SOURCE)), sourceBytes, 'the original must not change');
  });

  it('Generate Image Here links a new image at the cursor of a Markdown file', async () => {
    const { page } = workbench;
    const before = new Set(outputs());
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'notes.md' }).click();
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.locator('.view-lines').waitFor();
    await editor.locator('.view-lines').click();
    await page.keyboard.press('Control+End');
    await runCommand(page, 'SDXL Assets: Generate Image Here');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible' });
    await input.fill('a lighthouse at dawn');
    await input.press('Enter');

    await editor.locator('.view-lines', { hasText: '![a lighthouse at dawn](' }).waitFor({ timeout: 120_000 });
    await workbench.screenshot('markdown-link');
    await page.keyboard.press('Control+S');
    const notes = join(workbench.workspace, 'notes.md');
    const deadline = Date.now() + 10_000;
    while (!readFileSync(notes, 'utf8').includes('![') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const text = readFileSync(notes, 'utf8');
    const match = /!\[a lighthouse at dawn\]\(([^)]+)\)/.exec(text);
    assert.ok(match, text);
    assert.ok(text.startsWith('# Notes\n\nThe hero:\n'), 'the user text stays as it was');
    const linked = resolve(dirname(notes), match[1]);
    assert.ok(existsSync(linked), `${match[1]} does not exist`);
    assert.equal(outputs().filter((f) => !before.has(f)).length, 1);
  });
});
