// Assets as code in the editor: a manifest's CodeLenses make and remake its images, and the
// Problems view lists each missing or out-of-date one, by the rules `sdxl-assets build --check` uses.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { parseLock } from '../../src/engine/manifest/manifestLock';
import { buildTinySdxl } from '../support/tinyModels';
import { contextMenuItem, startWorkbench, type Workbench } from './workbench';

// One line per entry, as the sample manifests write them: the editor draws CodeLenses only for the lines in view.
const manifestText = (model: string, foxPrompt: string) => {
  const presets = { icon: { model, width: 32, height: 32, steps: 2, sampler: 'euler' } };
  const assets = [
    { output: 'icons/fox.png', prompt: foxPrompt, preset: 'icon', seed: 7 },
    // Post-processing goes with the CodeLens's job: an exact size, padded, then pixel art.
    {
      output: 'icons/owl.png',
      prompt: 'an owl, flat icon',
      preset: 'icon',
      exactSize: { width: 12, height: 8, fit: 'contain', background: '#102030' },
      pixelArt: { factor: 2, colors: 4 },
    },
  ];
  return `{\n  "presets": ${JSON.stringify(presets)},\n  "assets": [\n${assets.map((a) => `    ${JSON.stringify(a)}`).join(',\n')}\n  ]\n}\n`;
};

/** The texts of the CodeLenses the editor shows now. */
const lensTexts = (page: Page) => page.locator('.codelens-decoration a, .codelens-decoration span').allInnerTexts();

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('a manifest in the editor: CodeLens and Problems', () => {
  let workbench: Workbench;
  let model = '';

  before(async () => {
    workbench = await startWorkbench({
      name: 'manifest',
      prepare: ({ workspace, scratch }) => {
        model = join(scratch, 'tiny-sdxl');
        buildTinySdxl(model);
        writeFileSync(join(workspace, 'assets.sdxl.json'), manifestText(model, 'a red fox, flat icon'));
        // The fox is built from the command line beforehand, as a teammate's commit would bring it.
        const built = spawnSync(process.execPath, [resolve('dist/cli.js'), 'build', 'icons/fox.png'], {
          cwd: workspace,
          env: { ...process.env, SDXL_ASSETS_HASH_CACHE: join(scratch, 'file-hashes.json') },
          encoding: 'utf8',
        });
        assert.equal(built.status, 0, built.stderr);
        // A picture made outside the manifest, for Add to Manifest.
        const made = spawnSync(
          process.execPath,
          [resolve('dist/cli.js'), 'generate', '--model', model, '--prompt', 'a hero, painted', '--width', '32', '--height', '32', '--steps', '2', '--seed', '5', '--pixel-art', '2', '--palette', '4', '--out', join(workspace, 'art', 'hero.png')],
          { encoding: 'utf8' },
        );
        assert.equal(made.status, 0, made.stderr);
        return { 'sdxlAssets.modelFolders': [model], 'sdxlAssets.executionProvider': 'cpu' };
      },
    });
  });

  after(async () => {
    await workbench?.close();
  });

  const problemRows = (page: Page) => page.locator('.markers-panel .monaco-list-row').allInnerTexts();

  it('shows Regenerate and Open on a built entry, Generate on a missing one, and a Problems entry for it', async () => {
    const { page } = workbench;
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'assets.sdxl.json' }).click();
    await page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor();
    await waitFor('the CodeLenses', async () => (await lensTexts(page)).some((t) => t.includes('Generate')));
    const lenses = await lensTexts(page);
    assert.ok(lenses.some((t) => t.includes('Regenerate')), lenses.join(' | '));
    assert.ok(lenses.some((t) => t.includes('Open')), lenses.join(' | '));
    await page.keyboard.press('Control+Shift+M');
    await waitFor('the missing owl in Problems', async () => (await problemRows(page)).some((t) => t.includes('icons/owl.png is missing')));
    assert.ok(!(await problemRows(page)).some((t) => t.includes('icons/fox.png')), 'the fox is up to date');
    await workbench.screenshot('missing');
  });

  it('Generate makes the file through the engine with its post-processing, records its seed, and the problem goes', async () => {
    const { page } = workbench;
    await page.locator('.codelens-decoration a', { hasText: /^Generate$/ }).first().click();
    const owl = join(workbench.workspace, 'icons/owl.png');
    await waitFor('icons/owl.png', () => existsSync(owl), 180_000);
    await waitFor('the problem to go', async () => !(await problemRows(page)).some((t) => t.includes('icons/owl.png')));
    const recipe = await readRecipeFromFile(owl);
    assert.equal(recipe?.prompt, 'an owl, flat icon');
    assert.deepEqual(recipe?.output, { width: 12, height: 8, fit: 'contain', background: '#102030' });
    assert.deepEqual(recipe?.pixelArt, { factor: 2, colors: 4 });
    const { width, height } = await sharp(owl).metadata();
    assert.deepEqual([width, height], [12, 8]);
    const lock = parseLock(readFileSync(join(workbench.workspace, 'assets.sdxl.lock.json'), 'utf8'), 'lock');
    assert.equal(lock.assets['icons/owl.png']?.seed, recipe?.seed);
    await waitFor('Regenerate on both entries', async () => (await lensTexts(page)).filter((t) => t.includes('Regenerate')).length === 2);
  });

  it('an edited prompt makes its asset stale; Regenerate remakes it with the same seed', async () => {
    const { page } = workbench;
    writeFileSync(join(workbench.workspace, 'assets.sdxl.json'), manifestText(model, 'a red fox in the snow, flat icon'));
    await waitFor('the stale fox in Problems', async () => (await problemRows(page)).some((t) => t.includes('icons/fox.png is stale: prompt changed')));
    await workbench.screenshot('stale');
    await page.locator('.codelens-decoration a', { hasText: 'Regenerate (out of date)' }).first().click();
    await waitFor('the problem to go', async () => !(await problemRows(page)).some((t) => t.includes('icons/fox.png')), 180_000);
    const recipe = await readRecipeFromFile(join(workbench.workspace, 'icons/fox.png'));
    assert.equal(recipe?.prompt, 'a red fox in the snow, flat icon');
    assert.equal(recipe?.seed, 7);
    await workbench.screenshot('rebuilt');
  });

  it('Add to Manifest on an image in the Explorer records an entry, its pixel art included, that is up to date with it', async () => {
    const { page } = workbench;
    const explorer = page.locator('.explorer-folders-view');
    await explorer.locator('.monaco-list-row', { hasText: 'art' }).click();
    const item = await contextMenuItem(page, explorer.locator('.monaco-list-row', { hasText: 'hero.png' }), 'Add to Manifest');
    await item.hover();
    await item.click();
    const manifestPath = join(workbench.workspace, 'assets.sdxl.json');
    await waitFor('the entry in the saved manifest', () => readFileSync(manifestPath, 'utf8').includes('"output": "art/hero.png"'));
    const text = readFileSync(manifestPath, 'utf8');
    assert.match(text, /\{ "output": "art\/hero\.png", "prompt": "a hero, painted", "model": "[^"]+tiny-sdxl", "width": 32, "height": 32, "steps": 2, "guidance": 5, "sampler": "euler", "seed": 5, "pixelArt": \{"factor":2,"colors":4\} \}/);
    await waitFor('Regenerate on all three entries', async () => (await lensTexts(page)).filter((t) => t === 'Regenerate').length === 3, 30_000);
    assert.ok(!(await problemRows(page)).some((t) => t.includes('art/hero.png')), 'the new entry is up to date');
    await workbench.screenshot('added');
  });
});
