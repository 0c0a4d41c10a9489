// Smoke scenario: the packaged extension installs into code-server, the workbench opens the
// workspace with the scenario's settings, and lists the extension and its commands.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXTENSION_ID, paletteRow, runCommand, startWorkbench, type Workbench } from './workbench';

describe('smoke: the packaged extension in code-server', () => {
  let workbench: Workbench;

  before(async () => {
    workbench = await startWorkbench({
      name: 'smoke',
      prepare: ({ workspace }) => {
        writeFileSync(join(workspace, 'notes.md'), '# Notes\n');
        // The browser tab's title shows that the scenario's settings reached the workbench.
        return { 'window.title': 'sdxl-e2e-smoke' };
      },
    });
  });

  after(async () => {
    await workbench?.close();
  });

  it('installs the VSIX', () => {
    assert.ok(
      workbench.installedExtensions.includes(`${EXTENSION_ID}@${workbench.manifest.version}`),
      `installed: ${workbench.installedExtensions.join(', ')}`,
    );
  });

  it('opens the workspace with the scenario settings', async () => {
    const { page } = workbench;
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'notes.md' }).waitFor();
    await page.waitForFunction(`document.title === 'sdxl-e2e-smoke'`);
    await workbench.screenshot('workspace');
  });

  it('lists the extension in the Extensions view', async () => {
    const { page } = workbench;
    await runCommand(page, 'Extensions: Show Installed Extensions');
    await page.locator('.extensions-viewlet .extension-list-item .name', { hasText: 'SDXL Assets' }).waitFor();
    await workbench.screenshot('extensions');
  });

  it('offers every always-available contributed command in the palette', async () => {
    // Commands the manifest shows only in context (an image, a Markdown editor) are hidden here.
    const contextual = new Set((workbench.manifest.contributes?.menus?.commandPalette ?? []).map((entry) => entry.command));
    for (const { command, title, category } of workbench.manifest.contributes?.commands ?? []) {
      if (contextual.has(command)) continue;
      const label = category ? `${category}: ${title}` : title;
      await paletteRow(workbench.page, label);
      await workbench.page.keyboard.press('Escape');
    }
  });
});
