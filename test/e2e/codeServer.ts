// Installs code-server (a full VS Code server and web workbench, from the npm registry) into
// .e2e/code-server/, so the end-to-end tests run the packaged extension in a real workbench
// on machines where @vscode/test-electron cannot download VS Code. Kept apart from the
// extension's dependencies: it is ~900 MB and needs Node 24. A marker file skips the install
// when the same versions are already there.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const CODE_SERVER_VERSION = '4.139.1';
// code-server 4.139 refuses other Node majors; the npm package node-<platform>-<arch> is a Node
// binary with its headers.
const NODE_VERSION = '24.21.0';

const root = resolve('.e2e/code-server');
const nodePackage = `node-${process.platform}-${process.arch}`;
const nodeDir = join(root, 'node_modules', nodePackage);
const codeServerDir = join(root, 'node_modules', 'code-server');
const marker = join(root, '.installed');
const stamp = `code-server@${CODE_SERVER_VERSION} node@${NODE_VERSION} ${process.platform}-${process.arch}`;

/** An installed code-server: run `node entry …` with `env`, which puts Node 24 first on PATH. */
export const codeServer = {
  node: join(nodeDir, 'bin', 'node'),
  entry: join(codeServerDir, 'out', 'node', 'entry.js'),
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...process.env, PATH: `${join(nodeDir, 'bin')}:${process.env.PATH}`, ...extra };
  },
};

export function setUpCodeServer(): void {
  if (existsSync(marker) && readFileSync(marker, 'utf8') === stamp) {
    console.log(`e2e: ${stamp} already set up in ${root}`);
    return;
  }
  const started = Date.now();
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const dependencies = { 'code-server': CODE_SERVER_VERSION, [nodePackage]: NODE_VERSION };
  writeFileSync(join(root, 'package.json'), `${JSON.stringify({ private: true, dependencies }, null, 2)}\n`);
  // The install scripts run below, one by one, under Node 24; npm would run them under Node 20.
  step('npm install', 'npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund'], root);

  // Native modules compile against Node 24's headers, not those of the system Node that a user
  // .npmrc may name (and node-gyp cannot download headers offline).
  const env = codeServer.env({ npm_config_nodedir: nodeDir });
  const npmVersion = spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim();
  // postinstall.sh installs the workbench's own dependencies. It reads the package manager and
  // the Node major from the user agent, which npm sets only when npm itself runs the script.
  // Their native modules are built once, by the rebuild after it.
  step('code-server postinstall', 'sh', ['./postinstall.sh'], codeServerDir, {
    ...env,
    npm_config_user_agent: `npm/${npmVersion} node/v${NODE_VERSION} ${process.platform} ${process.arch}`,
    npm_config_ignore_scripts: 'true',
  });
  // JOBS: node-gyp compiles each module on every core (40 s less of ~3 min on two cores).
  step('native modules of the workbench', 'npm', ['rebuild', '--dangerously-allow-all-scripts'], join(codeServerDir, 'lib', 'vscode'), {
    ...env,
    JOBS: 'max',
  });
  // argon2's own install script: it takes a prebuilt binary, or builds one.
  step('argon2', 'npx', ['--no', 'node-gyp-build'], join(root, 'node_modules', 'argon2'), env);

  // Any start of code-server writes a default config file, here not into the user's home.
  const version = spawnSync(codeServer.node, [codeServer.entry, '--version'], {
    encoding: 'utf8',
    env: { ...env, XDG_CONFIG_HOME: join(root, 'config') },
  });
  if (version.status !== 0) throw new Error(`e2e setup: code-server does not start:\n${version.stdout}${version.stderr}`);
  writeFileSync(marker, stamp);
  console.log(`e2e: set up code-server ${version.stdout.trim().split('\n').at(-1)} in ${seconds(Date.now() - started)}`);
}

function step(title: string, command: string, args: string[], cwd: string, env = process.env): void {
  const started = Date.now();
  console.log(`e2e setup: ${title}…`);
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) {
    const output = `${result.stdout}${result.stderr}`.trim().split('\n').slice(-40).join('\n');
    throw new Error(`e2e setup: ${title} failed (${command} ${args.join(' ')} in ${cwd}):\n${output}`);
  }
  console.log(`e2e setup: ${title} done in ${seconds(Date.now() - started)}`);
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}
