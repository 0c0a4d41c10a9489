// Extension-host tests for VS Code desktop (@vscode/test-electron), run by test/vscode/run.mjs.
// They need a VS Code download, which offline machines cannot make; the code-server e2e
// scenarios cover the same ground there.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'sdxl-assets.sdxl-assets';

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const tests: [string, () => Promise<void>][] = [
  [
    'the extension activates and registers its commands',
    async () => {
      const extension = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(extension, `${EXTENSION_ID} is not installed`);
      await extension.activate();
      const commands = await vscode.commands.getCommands(true);
      assert.ok(commands.includes('sdxlAssets.generateImage'));
    },
  ],
  [
    'Generate Image opens one panel and reveals it when run again',
    async () => {
      const panels = () =>
        vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) => tab.label === 'Generate Image');
      await vscode.commands.executeCommand('sdxlAssets.generateImage');
      await waitFor(() => panels().length === 1, 'the Generate Image panel');
      await vscode.commands.executeCommand('sdxlAssets.generateImage');
      assert.equal(panels().length, 1);
    },
  ],
  [
    'the settings are contributed with their defaults',
    async () => {
      const config = vscode.workspace.getConfiguration('sdxlAssets');
      assert.equal(config.get('outputDirectory'), 'assets/generated');
      assert.equal(config.get('executionProvider'), 'auto');
      assert.equal(config.get('embedRecipe'), true);
    },
  ],
];

export async function run(): Promise<void> {
  const failures: string[] = [];
  for (const [name, body] of tests) {
    try {
      await body();
      console.log(`ok - ${name}`);
    } catch (error) {
      failures.push(name);
      console.log(`not ok - ${name}\n  ${(error as Error).stack ?? String(error)}`);
    }
  }
  console.log(`${tests.length - failures.length} passed, ${failures.length} failed`);
  if (failures.length > 0) throw new Error(`${failures.length} extension-host test(s) failed`);
}
