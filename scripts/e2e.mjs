// Runs the end-to-end scenarios (test/e2e/*.e2e.ts): the packaged extension in code-server's
// workbench, driven through Debian's Chromium by Playwright. Sets up code-server on first use,
// packages the VSIX, then runs the scenarios one at a time.
// Usage: npm run test:e2e [-- part-of-a-file-name …]   (runs under tsx, to share the harness's paths)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setUpCodeServer } from '../test/e2e/codeServer.ts';
import { CHROMIUM } from '../test/e2e/workbench.ts';

const INSTALL = 'apt-get install -y chromium libkrb5-dev pkg-config';

if (!existsSync(CHROMIUM)) {
  if (process.env.CI) {
    console.error(`e2e: ${CHROMIUM} is missing; CI installs it in .ci/run (${INSTALL})`);
    process.exit(1);
  }
  console.log(`e2e: SKIPPED, ${CHROMIUM} not found. To run the end-to-end tests: ${INSTALL}`);
  process.exit(0);
}

setUpCodeServer();

// A VSIX of this run's own: another run may be packaging at the same time.
const vsixDir = mkdtempSync(join(tmpdir(), 'sdxl-e2e-vsix-'));
const vsix = join(vsixDir, 'sdxl-assets.vsix');
const filter = process.argv.slice(2);
const scenarios = readdirSync('test/e2e')
  .filter((name) => name.endsWith('.e2e.ts'))
  .map((name) => join('test/e2e', name))
  .filter((file) => filter.length === 0 || filter.some((part) => file.includes(part)))
  .sort();
try {
  run('npm', ['run', 'package', '--', '--out', vsix]);
  // TAP prints the `# pass` / `# fail` summary on a terminal too. One workbench at a time: each
  // is a code-server and a Chromium. The timeout stops a hung scenario long before CI's limit.
  run(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=tap', '--test-concurrency=1', '--test-timeout=600000', ...scenarios],
    { ...process.env, SDXL_E2E_VSIX: vsix },
  );
} finally {
  rmSync(vsixDir, { recursive: true, force: true });
}

function run(command, args, env = process.env) {
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  if (result.status !== 0) throw new Error(`e2e: ${command} ${args.join(' ')} failed (${result.signal ?? result.status})`);
}
