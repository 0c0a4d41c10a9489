// Inpaint… from the Explorer: paint a mask over part of a picture with the mouse, generate with
// the tiny model in "only masked" mode, and get a new file next to the picture whose pixels away
// from the mask are the picture's own (diffusers' apply_overlay pastes the original back there).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { fitTransform } from '../../webview/maskPainter/viewTransform';
import { buildTinySdxl } from '../support/tinyModels';
import { explorerMenuCommand, panelFrame, runCommand, startWorkbench, type Workbench } from './workbench';

const SIDE = 64;
/** The tiny model's trained size, other than the picture's, so that only masked's working size shows which one it took. */
const MODEL_SIDE = 96;
const SOURCE = join('art', 'crate.png');
/** The stroke, in picture pixels, and the brush it is painted with (after one press of [). */
const STROKE = { from: { x: 12, y: 20 }, to: { x: 30, y: 20 } };
const BRUSH = 14;
const PADDING = 8;

describe('Inpaint… with a mask painted in the panel', () => {
  let workbench: Workbench;
  let sourceBytes: Buffer;
  /** The first edit's file name, for the image preview's turn. */
  let firstEdit = '';

  before(async () => {
    workbench = await startWorkbench({
      name: 'inpaint',
      prepare: async ({ workspace, scratch }) => {
        const model = join(scratch, 'tiny-sdxl');
        buildTinySdxl(model, { sampleSize: MODEL_SIDE / 8 });
        mkdirSync(join(workspace, 'art'), { recursive: true });
        const pixels = Buffer.alloc(SIDE * SIDE * 3);
        for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7 + Math.floor(i / (SIDE * 3)) * 11) % 256;
        await sharp(pixels, { raw: { width: SIDE, height: SIDE, channels: 3 } }).png().toFile(join(workspace, SOURCE));
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

  /** Generate, then the new files in art/: the result and its mask. The panel's error, if it shows one, fails the test. */
  async function generateBeside(): Promise<{ result: string; mask: string | undefined }> {
    const folder = join(workbench.workspace, 'art');
    const before = new Set(readdirSync(folder));
    const panel = panelFrame(workbench.page);
    await panel.locator('[data-testid=generate-button]').click();
    const error = panel.locator('[data-testid=error]');
    const added = () => readdirSync(folder).filter((name) => !before.has(name));
    const deadline = Date.now() + 180_000;
    while (!added().some((name) => !name.endsWith('.mask.png'))) {
      if (await error.isVisible()) assert.fail(`the panel says: ${await error.innerText()}`);
      if (Date.now() > deadline) assert.fail(`no result in ${folder}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const files = added();
    return { result: files.find((name) => !name.endsWith('.mask.png'))!, mask: files.find((name) => name.endsWith('.mask.png')) };
  }

  it('right-click → Inpaint… → paint → Generate: a new file beside the picture, unchanged away from the mask', async () => {
    const { page, workspace } = workbench;
    await explorerMenuCommand(page, 'art', 'crate.png', 'Inpaint…');

    const panel = panelFrame(page);
    const canvas = panel.locator('[data-testid=mask-canvas]');
    await canvas.waitFor({ timeout: 60_000 });
    await panel.locator('[data-testid=mask-status]', { hasText: `mask ${SIDE} × ${SIDE}` }).waitFor();
    assert.match(await panel.locator('[data-testid=generate-hint]').innerText(), /Paint over the part to repaint/);

    await panel.locator('[data-testid=prompt] textarea').fill('a wooden crate');
    await panel.locator('[data-testid=steps] input').fill('10');
    await panel.locator('[data-testid=inpaint-area]').click();
    await panel.locator('[data-testid=inpaint-area] li.option', { hasText: 'Only masked' }).click();
    await panel.locator('[data-testid=mask-padding] input').fill(String(PADDING));
    const workingSize = panel.locator('[data-testid=working-size]');
    // Centred: at the form's foot it would sit behind the sticky Generate bar.
    await workingSize.evaluate((element) => element.scrollIntoView({ block: 'center' }));
    await workbench.screenshot('working-size');
    assert.equal(await panel.locator('[data-testid=width]').evaluate((field) => (field as unknown as { value: string }).value), String(MODEL_SIDE));
    await panel.locator('[data-testid=mask-blur] input').fill('0');
    await panel.locator('[data-testid=mask-size]').fill('16');
    await canvas.scrollIntoViewIfNeeded();
    await canvas.focus();
    await page.keyboard.press('BracketLeft');
    assert.equal(await panel.locator('[data-testid=mask-size-value]').innerText(), `${BRUSH} px`);

    // The painter fits the picture in its canvas as fitTransform does; paint there with the mouse.
    const box = await canvas.boundingBox();
    assert.ok(box);
    const view = fitTransform(box.width, box.height, { x: 0, y: 0, width: SIDE, height: SIDE });
    const screen = (p: { x: number; y: number }) => ({ x: box.x + view.offsetX + p.x * view.scale, y: box.y + view.offsetY + p.y * view.scale });
    const from = screen(STROKE.from);
    const to = screen(STROKE.to);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 12 });
    await page.mouse.up();
    await panel.locator('[data-testid=mask-status]', { hasText: 'nothing painted' }).waitFor({ state: 'detached' });
    assert.equal(await panel.locator('[data-testid=mask-undo]').isDisabled(), false);
    await workbench.screenshot('painted');

    await panel.locator('[data-testid=generate-button]').click();
    // The result beside the picture, or the panel's error, whichever comes first.
    const error = panel.locator('[data-testid=error]');
    await panel.locator('[data-testid=comparison-after]:visible, [data-testid=error]:visible').first().waitFor({ timeout: 180_000 });
    if (await error.isVisible()) assert.fail(`the panel says: ${await error.innerText()}`);
    await workbench.screenshot('before-after');

    const files = readdirSync(join(workspace, 'art')).sort();
    const result = files.find((name) => /^crate-inpaint-\d+\.png$/.test(name));
    assert.ok(result, files.join(', '));
    firstEdit = result;
    const mask = result.replace(/\.png$/, '.mask.png');
    assert.deepEqual(files, ['crate.png', result, mask].sort());
    assert.deepEqual(readFileSync(join(workspace, SOURCE)), sourceBytes, 'the picture must not change');

    const recipe = await readRecipeFromFile(join(workspace, 'art', result));
    assert.equal(recipe?.mask, join(workspace, 'art', mask));
    assert.equal(recipe?.inpaintArea, 'masked');
    assert.equal(recipe?.maskPadding, PADDING);
    assert.deepEqual([recipe?.width, recipe?.height], [MODEL_SIDE, MODEL_SIDE], 'only masked works at the model’s size');

    // The painted mask: white under the stroke, black away from it.
    const painted = await sharp(join(workspace, 'art', mask)).greyscale().raw().toBuffer();
    assert.equal(painted[STROKE.from.y * SIDE + 20], 255);
    assert.equal(painted[50 * SIDE + 50], 0);

    const [original, edited] = await Promise.all(
      [SOURCE, join('art', result)].map((file) => sharp(join(workspace, file)).removeAlpha().raw().toBuffer({ resolveWithObject: true })),
    );
    assert.deepEqual([edited!.info.width, edited!.info.height], [SIDE, SIDE]);
    // Away from the stroke by more than the brush's radius and the crop padding, the picture is kept.
    const reach = BRUSH / 2 + PADDING + 2;
    const near = (x: number, y: number) =>
      x >= STROKE.from.x - reach && x <= STROKE.to.x + reach && y >= STROKE.from.y - reach && y <= STROKE.to.y + reach;
    let kept = 0;
    let keptDiff = 0;
    let changed = 0;
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const i = (y * SIDE + x) * 3;
        const diff = Math.max(...[0, 1, 2].map((c) => Math.abs(original!.data[i + c]! - edited!.data[i + c]!)));
        if (!near(x, y)) {
          kept++;
          keptDiff = Math.max(keptDiff, diff);
        } else if (painted[y * SIDE + x] === 255 && diff > 8) {
          changed++;
        }
      }
    }
    console.log(`# ${kept} pixels away from the mask differ by at most ${keptDiff}; ${changed} masked pixels changed by more than 8`);
    assert.ok(kept > SIDE * SIDE / 2, `${kept}`);
    assert.ok(keptDiff <= 2, `pixels away from the mask moved by ${keptDiff}`);
    assert.ok(changed > 0, 'the masked part was repainted');
    assert.ok(existsSync(join(workspace, 'art', mask)));

    // Reuse settings on the result: the painter gets the recipe's mask back from its file.
    await panel.locator('[data-testid=mask-clear]').click();
    const status = panel.locator('[data-testid=mask-status]');
    await status.filter({ hasText: 'nothing painted' }).waitFor();
    await panel.locator('[data-testid=inpaint-area]').click();
    await panel.locator('[data-testid=inpaint-area] li.option', { hasText: 'Whole picture' }).click();
    const entry = panel.locator('[data-testid=gallery-item]', { hasText: result });
    await entry.locator('[data-testid=gallery-action-reuse]').click();
    await status.filter({ hasNotText: 'nothing painted' }).waitFor({ timeout: 30_000 });
    assert.equal(await panel.locator('[data-testid=inpaint-area]').evaluate((select) => (select as unknown as { value: string }).value), 'masked');
  });

  it('Inpaint… from the title bar of the image preview opens the painter on that picture', async () => {
    assert.ok(firstEdit, 'needs the first edit');
    const { page } = workbench;
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: firstEdit }).click();
    const action = page.locator('.editor-actions .action-label[aria-label^="Inpaint"]');
    await action.waitFor({ timeout: 30_000 });
    await action.click();
    const panel = panelFrame(page);
    await panel.locator('[data-testid=mask-status]', { hasText: `art/${firstEdit} · mask ${SIDE} × ${SIDE} · nothing painted yet` }).waitFor({ timeout: 60_000 });
    assert.equal(await panel.locator('[data-testid=comparison]').isHidden(), true, 'no comparison for a picture not firstEdit yet');
    await workbench.screenshot('from-preview');
  });

  it('keys invert, undo and redo the mask; outpaint margins grow the result', async () => {
    const { page, workspace } = workbench;
    const panel = panelFrame(page);
    const status = panel.locator('[data-testid=mask-status]');
    await panel.locator('[data-testid=outpaint-right] input').fill('16');
    await panel.locator('[data-testid=inpaint-size]', { hasText: `${SIDE + 16} × ${SIDE}` }).waitFor();
    await panel.locator('[data-testid=inpaint-area]').click();
    await panel.locator('[data-testid=inpaint-area] li.option', { hasText: 'Whole picture' }).click();
    const canvas = panel.locator('[data-testid=mask-canvas]');
    await canvas.focus();
    await page.keyboard.press('x');
    await status.filter({ hasNotText: 'nothing painted' }).waitFor();
    await page.keyboard.press('Control+z');
    await status.filter({ hasText: 'nothing painted' }).waitFor();
    // The painter keeps the focus: VS Code's own undo would have taken it out of the page.
    assert.equal(await canvas.evaluate((element) => element.ownerDocument.activeElement === element), true);
    await page.keyboard.press('Control+Shift+z');
    await status.filter({ hasNotText: 'nothing painted' }).waitFor();
    await workbench.screenshot('outpaint');

    const { result } = await generateBeside();
    assert.ok(result.startsWith(`${firstEdit.replace(/\.png$/, '')}-inpaint-`), result);
    const { width, height } = await sharp(join(workspace, 'art', result)).metadata();
    assert.deepEqual([width, height], [SIDE + 16, SIDE]);
    const mask = await sharp(join(workspace, 'art', result.replace(/\.png$/, '.mask.png'))).metadata();
    assert.deepEqual([mask.width, mask.height], [SIDE, SIDE], 'the painted mask is the picture’s size; the engine adds the margin');
    const recipe = await readRecipeFromFile(join(workspace, 'art', result));
    assert.deepEqual(recipe?.outpaint, { left: 0, top: 0, right: 16, bottom: 0 });
  });

  it('a pen paints with its pressure: a light stroke is narrower than the brush', async () => {
    const { page, workspace } = workbench;
    const panel = panelFrame(page);
    const status = panel.locator('[data-testid=mask-status]');
    for (const side of ['left', 'top', 'right', 'bottom']) await panel.locator(`[data-testid=outpaint-${side}] input`).fill('0');
    await panel.locator('[data-testid=mask-clear]').click();
    await status.filter({ hasText: 'nothing painted' }).waitFor();
    await panel.locator('[data-testid=mask-size]').fill('24');

    const canvas = panel.locator('[data-testid=mask-canvas]');
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    assert.ok(box);
    const view = fitTransform(box.width, box.height, { x: 0, y: 0, width: SIDE, height: SIDE });
    const screen = (x: number, y: number) => ({ x: box.x + view.offsetX + x * view.scale, y: box.y + view.offsetY + y * view.scale });
    // Chromium's own pen input: pointerType "pen", pressure from `force`.
    const cdp = await page.context().newCDPSession(page);
    const pen = (type: 'mousePressed' | 'mouseMoved' | 'mouseReleased', x: number, y: number) =>
      cdp.send('Input.dispatchMouseEvent', {
        type, ...screen(x, y), button: 'left', buttons: type === 'mouseReleased' ? 0 : 1, clickCount: 1, pointerType: 'pen', force: 0.25,
      });
    await pen('mouseMoved', 10, 32);
    await pen('mousePressed', 10, 32);
    for (let x = 12; x <= 54; x += 2) await pen('mouseMoved', x, 32);
    await pen('mouseReleased', 54, 32);
    await status.filter({ hasNotText: 'nothing painted' }).waitFor();

    const { mask } = await generateBeside();
    assert.ok(mask, 'no mask written');
    const values = await sharp(join(workspace, 'art', mask)).greyscale().raw().toBuffer();
    const paintedRows = Array.from({ length: SIDE }, (_, y) => y).filter((y) => values[y * SIDE + 32]! > 127);
    console.log(`# pen stroke at pressure 0.25 with a 24 px brush: painted rows ${paintedRows.join(',')}`);
    // A quarter of the 12 px radius is 3 px: about 6 rows, where the mouse paints 24.
    assert.ok(paintedRows.length >= 4 && paintedRows.length <= 8, `${paintedRows.length} rows`);
    assert.ok(paintedRows.includes(32));
  });

  it('after a reload of the window the gallery still lists the results written beside the picture', async () => {
    assert.ok(firstEdit, 'needs the first edit');
    const { page, workspace } = workbench;
    const results = readdirSync(join(workspace, 'art')).filter((name) => /-inpaint-.*(?<!\.mask)\.png$/.test(name));
    assert.ok(results.includes(firstEdit), results.join(', '));
    await page.reload();
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await runCommand(page, 'SDXL Assets: Generate Image');
    const items = panelFrame(page).locator('[data-testid=gallery-item]');
    for (const name of results) await items.and(panelFrame(page).locator(`[data-path="${join(workspace, 'art', name)}"]`)).waitFor({ timeout: 60_000 });
    await workbench.screenshot('gallery-after-reload');
  });
});
