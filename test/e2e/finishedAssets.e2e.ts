// Finished assets from the panel: an exact size with a fit and pixel art land as one file whose
// recipe regenerates it byte for byte from the command line; then an icon set lands as a folder;
// then @1x/@2x files of a contain with a chosen padding colour land side by side; then pixel art
// takes its colours from a palette file chosen in the file dialog.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { runCli } from '../support/cli';
import { distinctColors, readIco } from '../support/ico';
import { buildTinySdxl } from '../support/tinyModels';
import { panelFrame, runCommand, startWorkbench, type Workbench } from './workbench';

const OUTPUT = join('assets', 'generated');

describe('Finished assets from the panel', () => {
  let workbench: Workbench;
  let model = '';

  before(async () => {
    workbench = await startWorkbench({
      name: 'finished-assets',
      prepare: ({ scratch }) => {
        model = join(scratch, 'tiny-sdxl');
        buildTinySdxl(model);
        return { 'sdxlAssets.modelFolders': [model], 'sdxlAssets.defaultModel': model, 'sdxlAssets.executionProvider': 'cpu' };
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

  it('exact size with contain and pixel art: the file, its palette and a byte-identical regeneration', async () => {
    const { page } = workbench;
    await runCommand(page, 'SDXL Assets: Generate Image');
    const panel = panelFrame(page);
    const prompt = panel.locator('[data-testid=prompt] textarea');
    await prompt.waitFor({ timeout: 60_000 });
    await prompt.fill('a red fox sprite');
    await panel.locator('[data-testid=steps] input').fill('3');
    await panel.locator('[data-testid=exact-size]').click();
    await panel.locator('[data-testid=output-width] input').fill('48');
    await panel.locator('[data-testid=output-height] input').fill('32');
    await panel.locator('[data-testid=output-fit]').click();
    await panel.locator('[data-testid=output-fit] li.option', { hasText: 'Contain' }).click();
    await panel.locator('[data-testid=pixel-art]').click();
    await panel.locator('[data-testid=pixel-factor] input').fill('2');
    await panel.locator('[data-testid=palette-colors] input').fill('4');
    await panel.locator('[data-testid=finish-hint]').filter({ hasText: 'The file will be 48×32.' }).waitFor();
    await panel.locator('[data-testid=generate-button]').click();
    await panel.locator('[data-testid=gallery-item]').first().waitFor({ timeout: 120_000 });

    const [name] = entries();
    const path = join(workbench.workspace, OUTPUT, name);
    const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [48, 32]);
    const colors = distinctColors(new Uint8Array(data), info.channels);
    assert.ok(colors.size <= 4, `${colors.size} colours`);
    const recipe = await readRecipeFromFile(path);
    assert.deepEqual(recipe?.output, { width: 48, height: 32, fit: 'contain', background: '#ffffff' });
    assert.deepEqual(recipe?.pixelArt, { factor: 2, colors: 4 });

    const again = join(workbench.scratch, 'regenerated.png');
    // The panel's provider is cpu, and the recipe records the choice as well as the pixels.
    const result = await runCli(['generate', '--model', model, '--recipe', path, '--provider', 'cpu', '--out', again]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(readFileSync(again), readFileSync(path));
    console.log(`# panel screenshot: ${await workbench.screenshot('panel-finished-asset')}`);
  });

  it('an icon set lands as a folder with every icon and favicon.ico', async () => {
    const panel = panelFrame(workbench.page);
    await panel.locator('[data-testid=pixel-art]').click();
    await panel.locator('[data-testid=exact-size]').click();
    await panel.locator('[data-testid=icon-set]').click();
    await panel.locator('[data-testid=gallery-item]').nth(0).waitFor();
    await panel.locator('[data-testid=generate-button]').click();
    await panel.locator('[data-testid=gallery-item]').nth(1).waitFor({ timeout: 120_000 });
    const folder = entries().find((entry) => entry.endsWith('-icons'));
    assert.ok(folder, `entries: ${entries().join(', ')}`);
    const files = readdirSync(join(workbench.workspace, OUTPUT, folder));
    assert.equal(files.length, 17, files.join(', '));
    const ico = readIco(readFileSync(join(workbench.workspace, OUTPUT, folder, 'favicon.ico')));
    assert.deepEqual(ico.map((entry) => entry.size), [16, 32, 48]);
    const largest = await sharp(join(workbench.workspace, OUTPUT, folder, 'icon-512x512.png')).metadata();
    assert.deepEqual([largest.width, largest.height], [512, 512]);
  });

  it('density 2× and a contain colour: name.png and name@2x.png at 1 and 2 times the size, padded with that colour', async () => {
    const panel = panelFrame(workbench.page);
    await panel.locator('[data-testid=icon-set]').click();
    await panel.locator('[data-testid=exact-size]').click();
    await panel.locator('[data-testid=output-width] input').fill('40');
    await panel.locator('[data-testid=output-height] input').fill('24');
    // The focus point, clicked a quarter in from the left and three quarters down the picture.
    const picker = panel.locator('[data-testid=focus-picker]');
    const box = await picker.boundingBox();
    assert.ok(box, 'the focus picker is shown for cover');
    await picker.click({ position: { x: box.width * 0.25, y: box.height * 0.75 } });
    const focusX = Number(await panel.locator('[data-testid=focus-x]').evaluate((field) => (field as unknown as { value: string }).value));
    const focusY = Number(await panel.locator('[data-testid=focus-y]').evaluate((field) => (field as unknown as { value: string }).value));
    assert.ok(Math.abs(focusX - 0.25) <= 0.02 && Math.abs(focusY - 0.75) <= 0.02, `focus ${focusX}, ${focusY}`);
    console.log(`# panel screenshot: ${await workbench.screenshot('panel-focus-point')}`);
    await panel.locator('[data-testid=output-fit]').click();
    await panel.locator('[data-testid=output-fit] li.option', { hasText: 'Contain' }).click();
    await panel.locator('[data-testid=contain-background]').fill('#1f6fbf');
    await panel.locator('[data-testid=density-2]').click();
    await panel.locator('[data-testid=finish-hint]').filter({ hasText: 'The files will be 40×24, 80×48 (@2x).' }).waitFor();
    console.log(`# panel screenshot: ${await workbench.screenshot('panel-density-contain')}`);
    await panel.locator('[data-testid=generate-button]').click();
    // The gallery shows the largest at once, and the rest after its rescan.
    await panel.locator('[data-testid=gallery-item]', { hasText: '@2x.png' }).waitFor({ timeout: 120_000 });
    const larger = entries().find((entry) => entry.endsWith('@2x.png'));
    assert.ok(larger, `entries: ${entries().join(', ')}`);
    const smaller = larger.replace('@2x.png', '.png');
    await panel.locator('[data-testid=gallery-item]', { hasText: smaller }).waitFor();
    for (const [name, density] of [[smaller, 1], [larger, 2]] as const) {
      const path = join(workbench.workspace, OUTPUT, name);
      const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height], [40 * density, 24 * density], name);
      // The tiny model's square picture contained in a wider frame: the first column is padding.
      assert.deepEqual([...data.subarray(0, 3)], [0x1f, 0x6f, 0xbf], `${name}: the padding colour`);
      const recipe = await readRecipeFromFile(path);
      assert.deepEqual(recipe?.output, { width: 40 * density, height: 24 * density, fit: 'contain', background: '#1f6fbf' });
    }
  });

  it('a palette file chosen in the dialog: its swatches in the panel, its colours alone in the file and in the recipe', async () => {
    const { page } = workbench;
    const panel = panelFrame(page);
    const palette = ['#1a1c2c', '#b13e53', '#f4f4f4'];
    const paletteFile = join(workbench.workspace, 'palettes', 'three.hex');
    mkdirSync(join(workbench.workspace, 'palettes'), { recursive: true });
    writeFileSync(paletteFile, `${palette.map((color) => color.slice(1)).join('\n')}\n`);
    await panel.locator('[data-testid=exact-size]').click();
    await panel.locator('[data-testid=pixel-art]').click();
    await panel.locator('[data-testid=pixel-factor] input').fill('4');
    await panel.locator('[data-testid=choose-palette]').click();
    // code-server's file dialog is a quick input that takes a path. It fills in its folder after
    // opening and lists that folder as the value changes, so the path is typed once the folder
    // is there, and Enter is pressed again while the dialog is still open.
    const dialog = page.locator('.quick-input-widget');
    const input = dialog.locator('.quick-input-box input');
    await input.waitFor({ state: 'visible' });
    const swatch = panel.locator('[data-testid=palette-swatches] .swatch').nth(2);
    for (let attempt = 0; attempt < 5 && !(await swatch.isVisible()); attempt++) {
      if (await dialog.isVisible()) {
        for (let wait = 0; wait < 50 && (await input.inputValue()) === ''; wait++) await page.waitForTimeout(100);
        if ((await input.inputValue()) !== paletteFile) await input.fill(paletteFile);
        await input.press('Enter');
      }
      await swatch.waitFor({ timeout: 3_000 }).catch(() => undefined);
    }
    await swatch.waitFor({ timeout: 1_000 }).catch(async (error: unknown) => {
      console.log(`# dialog screenshot: ${await workbench.screenshot('palette-dialog')}`);
      throw error;
    });
    assert.deepEqual(await panel.locator('[data-testid=palette-swatches] .swatch').evaluateAll((swatches) => swatches.map((s) => s.getAttribute('title'))), palette);
    console.log(`# panel screenshot: ${await workbench.screenshot('panel-palette-file')}`);
    const before = new Set(entries());
    await panel.locator('[data-testid=generate-button]').click();
    const deadline = Date.now() + 120_000;
    let name: string | undefined;
    while (!(name = entries().find((entry) => !before.has(entry) && entry.endsWith('.png'))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.ok(name, `entries: ${entries().join(', ')}`);
    const path = join(workbench.workspace, OUTPUT, name);
    await panel.locator('[data-testid=gallery-item]', { hasText: name }).waitFor({ timeout: 30_000 });
    const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
    const used = [...distinctColors(new Uint8Array(data), info.channels)];
    assert.ok(used.length >= 1 && used.every((color) => palette.includes(color)), `colours ${used.join(', ')}`);
    assert.deepEqual((await readRecipeFromFile(path))?.pixelArt, { factor: 4, palette });
  });
});
