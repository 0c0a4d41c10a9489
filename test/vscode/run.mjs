// Runs test/vscode/suite.ts inside VS Code desktop with @vscode/test-electron, which downloads
// VS Code into .vscode-test/ on first use. Usage: npm run build && node test/vscode/run.mjs
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const suite = join(root, '.test-output', 'vscode', 'suite.js');
mkdirSync(dirname(suite), { recursive: true });
await build({
  entryPoints: [join(root, 'test', 'vscode', 'suite.ts')],
  outfile: suite,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  external: ['vscode'],
  logLevel: 'warning',
});

const workspace = mkdtempSync(join(tmpdir(), 'sdxl-vscode-'));
try {
  await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: suite,
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
  });
} catch (error) {
  console.error(`extension-host tests did not run or failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}
