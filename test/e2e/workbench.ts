// Starts the packaged extension in a real VS Code workbench (code-server, installed by
// codeServer.ts) with a throw-away profile and workspace, and drives it with Debian's Chromium
// through Playwright. scripts/e2e.mjs packages the VSIX and runs the scenarios (*.e2e.ts).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, chromium, errors, type FrameLocator, type Locator, type Page } from 'playwright-core';
import { codeServer } from './codeServer';

export const CHROMIUM = '/usr/bin/chromium';
export const EXTENSION_ID = 'sdxl-assets.sdxl-assets';
const OUTPUT_DIR = resolve('.test-output/e2e');
const SERVER_START_MS = 60_000;

export interface WorkbenchDirs {
  /** The folder the workbench opens. */
  workspace: string;
  /** Outside the workspace, deleted on close: model folders and other fixtures. */
  scratch: string;
}

export interface ExtensionManifest {
  version: string;
  contributes?: {
    commands?: Array<{ command: string; title: string; category?: string }>;
    menus?: { commandPalette?: Array<{ command: string; when?: string }> };
  };
}

export interface WorkbenchOptions {
  /** Prefix of this scenario's screenshots and logs in .test-output/e2e/. */
  name: string;
  /** Runs before code-server starts; the user settings it returns are written over the harness's. */
  prepare?: (dirs: WorkbenchDirs) => Record<string, unknown> | void | Promise<Record<string, unknown> | void>;
}

export interface Workbench extends WorkbenchDirs {
  page: Page;
  /** `code-server --list-extensions --show-versions` after installing the VSIX. */
  installedExtensions: string[];
  /** The package.json of the extension as installed from the VSIX. */
  manifest: ExtensionManifest;
  /** Saves .test-output/e2e/<scenario>-<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
  /** Closes the browser, stops code-server and deletes the profile and workspace. */
  close(): Promise<void>;
}

/**
 * Installs the VSIX into a fresh profile, starts code-server on a free port and opens the
 * workspace in Chromium. Always pair with close(), e.g. in node:test's `after`.
 */
export async function startWorkbench(options: WorkbenchOptions): Promise<Workbench> {
  const vsix = process.env.SDXL_E2E_VSIX;
  if (!vsix) throw new Error('SDXL_E2E_VSIX is not set: run the scenarios with `npm run test:e2e`, which packages the extension');
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const savedLogs = join(OUTPUT_DIR, `${options.name}-logs`);
  rmSync(savedLogs, { recursive: true, force: true });
  const home = mkdtempSync(join(tmpdir(), 'sdxl-e2e-'));
  const dirs = { workspace: join(home, 'workspace'), scratch: join(home, 'scratch') };
  const userData = join(home, 'user-data');
  const extensions = join(home, 'extensions');
  for (const dir of [dirs.workspace, dirs.scratch, join(userData, 'User')]) mkdirSync(dir, { recursive: true });

  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  // A test process that exits without close() (Ctrl+C, a crash) must not leave code-server
  // running: its extension host would wait hours for the browser to reconnect.
  const abandon = (): void => {
    if (server?.pid !== undefined) signalGroup(server.pid, 'SIGKILL');
    rmSync(home, { recursive: true, force: true });
  };
  // Signals end the process without 'exit' unless something listens for them.
  const exitOnSignal = (signal: NodeJS.Signals): void => process.exit(128 + constants.signals[signal]);
  process.on('exit', abandon);
  process.once('SIGINT', exitOnSignal);
  process.once('SIGTERM', exitOnSignal);

  const close = async (): Promise<void> => {
    try {
      await browser?.close();
    } finally {
      if (server) await stopProcessGroup(server);
      process.off('exit', abandon);
      process.off('SIGINT', exitOnSignal);
      process.off('SIGTERM', exitOnSignal);
      // The extension host's log and each extension's output channel, for a failure's post-mortem.
      const logs = join(userData, 'logs');
      if (existsSync(logs)) cpSync(logs, savedLogs, { recursive: true });
      rmSync(home, { recursive: true, force: true });
    }
  };

  try {
    const scenarioSettings = (await options.prepare?.(dirs)) ?? {};
    const settings = {
      // Restricted Mode would keep the extension disabled in the untrusted temp workspace.
      'security.workspace.trust.enabled': false,
      'workbench.startupEditor': 'none',
      // The chat view would take a third of the window from the editor, and its agent host the CPU.
      'chat.disableAIFeatures': true,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      ...scenarioSettings,
    };
    writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));

    // code-server writes its config (and a password) under XDG_CONFIG_HOME: keep it in the temp home.
    const env = codeServer.env({ XDG_CONFIG_HOME: join(home, 'config'), XDG_DATA_HOME: join(home, 'data') });
    const profile = ['--user-data-dir', userData, '--extensions-dir', extensions];
    cli([...profile, '--install-extension', resolve(vsix)], env);
    const installedExtensions = cli([...profile, '--list-extensions', '--show-versions'], env).trim().split('\n');
    const installedDir = readdirSync(extensions).find((name) => name.startsWith(`${EXTENSION_ID}-`));
    if (!installedDir) throw new Error(`${vsix} did not install into ${extensions}`);
    const manifest = JSON.parse(readFileSync(join(extensions, installedDir, 'package.json'), 'utf8')) as ExtensionManifest;

    const port = await freePort();
    const logPath = join(OUTPUT_DIR, `${options.name}-code-server.log`);
    server = spawn(
      codeServer.node,
      [
        codeServer.entry,
        ...profile,
        '--auth', 'none',
        '--bind-addr', `127.0.0.1:${port}`,
        '--disable-telemetry',
        '--disable-update-check',
        dirs.workspace,
      ],
      // Its own process group, so close() also stops the extension host and the engine it forks.
      { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await waitForListening(server, logPath);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: SERVER_START_MS });

    return {
      ...dirs,
      page,
      installedExtensions,
      manifest,
      screenshot: (name) => screenshot(page, `${options.name}-${name}`),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Opens the command palette and returns its input, which starts with `>`. */
export async function openPalette(page: Page): Promise<Locator> {
  await page.keyboard.press('Control+Shift+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  return input;
}

/**
 * Opens the palette on `label` ("Category: Title") and returns its row. Extensions register
 * their commands seconds after the workbench shows, and an open palette does not pick them up,
 * so it reopens until the row is there.
 */
export async function paletteRow(page: Page, label: string, timeoutMs = 60_000): Promise<Locator> {
  const exactLabel = page.locator('.label-name', { hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) });
  const row = page.locator('.quick-input-list .monaco-list-row', { has: exactLabel });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const input = await openPalette(page);
    await input.fill(`>${label}`);
    try {
      await row.waitFor({ timeout: 2_000 });
      return row;
    } catch (error) {
      if (!(error instanceof errors.TimeoutError)) throw error;
      if (Date.now() > deadline) throw new Error(`"${label}" is not in the command palette`, { cause: error });
      await page.keyboard.press('Escape');
    }
  }
}

/**
 * Right-clicks `row` and returns the context menu's item `label`. Like palette commands, an
 * extension's menu items exist only once the workbench has read its contributions, which can
 * be seconds after the workbench shows, so the menu is reopened until the item is there.
 */
export async function contextMenuItem(page: Page, row: Locator, label: string, timeoutMs = 60_000): Promise<Locator> {
  const item = page.locator('.monaco-menu .action-label', { hasText: label });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await row.click({ button: 'right' });
    try {
      await item.waitFor({ timeout: 2_000 });
      return item;
    } catch (error) {
      if (!(error instanceof errors.TimeoutError)) throw error;
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`"${label}" is not in the context menu`, { cause: error });
    }
  }
}

/** Runs `label` from the Explorer's context menu on `file`, after opening its `folder`. */
export async function explorerMenuCommand(page: Page, folder: string, file: string, label: string): Promise<void> {
  const explorer = page.locator('.explorer-folders-view');
  await explorer.locator('.monaco-list-row', { hasText: folder }).click();
  const item = await contextMenuItem(page, explorer.locator('.monaco-list-row', { hasText: file }), label);
  // Monaco's menus act on an item the pointer has entered, as a user's pointer would.
  await item.hover();
  await item.click();
}

/** Runs a command by its palette label, e.g. "SDXL Assets: Generate Image". */
export async function runCommand(page: Page, label: string): Promise<void> {
  await (await paletteRow(page, label)).click();
}

/** The document inside the active webview panel (two iframes down). */
export function panelFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/** The text of every status bar item, left to right. */
export async function statusBarText(page: Page): Promise<string> {
  return page.locator('.part.statusbar').innerText();
}

/** Notification toasts currently shown. */
export function notifications(page: Page): Locator {
  return page.locator('.notifications-toasts .notification-toast');
}

/** Saves .test-output/e2e/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(OUTPUT_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

function cli(args: string[], env: NodeJS.ProcessEnv): string {
  const result = spawnSync(codeServer.node, [codeServer.entry, ...args], { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`code-server ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Copies the server's output to `logPath` and resolves once it serves HTTP. */
function waitForListening(server: ChildProcess, logPath: string): Promise<void> {
  const log = createWriteStream(logPath);
  server.stdout?.pipe(log);
  server.stderr?.pipe(log);
  return new Promise((resolveReady, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(`code-server did not listen within ${SERVER_START_MS / 1000} s`), SERVER_START_MS);
    const fail = (reason: string): void => {
      clearTimeout(timer);
      reject(new Error(`${reason}; its output (${logPath}):\n${output.slice(-4000)}`));
    };
    server.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('HTTP server listening on')) {
        clearTimeout(timer);
        resolveReady();
      }
    });
    server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.once('exit', (code, signal) => fail(`code-server exited (${signal ?? code})`));
  });
}

/** Stops code-server and what it started: the extension host and the engine it forks. */
async function stopProcessGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
    signalGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  signalGroup(pid, 'SIGKILL');
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    // ESRCH: every process of the group has exited already.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
