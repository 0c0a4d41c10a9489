// `sdxl-assets gpu …` through the built CLI (dist/cli.js) as child processes, against a NuGet feed
// on loopback, installing into a temporary stand-in for onnxruntime-node's binary folder; and the
// re-run that gives generate and info the CUDA library folders.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { cudaSupport, withCudaLibraryPath } from '../../src/engine/cuda/cudaSupport';
import { ortVersion } from '../../src/engine/cuda/cudaPackage';
import { runCli } from '../support/cli';
import { repoRoot } from '../support/shared';
import { buildGpuPackage, FakeNuget, LINUX_PROVIDER_FILES } from '../engine/cuda/fakeNuget';
import { tempFolder } from '../support/tempFolder';

const PACKAGE = 'Microsoft.ML.OnnxRuntime.Gpu.Linux';
const LIBRARIES = ['libcuda.so.1', 'libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11', 'libcurand.so.10', 'libcudnn.so.9'];
const linuxX64 = process.platform === 'linux' && process.arch === 'x64';

const work = tempFolder('sdxl-cli-gpu');
let feed: FakeNuget;
let binDir = '';
let libDir = '';
let count = 0;
const savedEnv = { ...process.env };

before(async () => {
  // Readable by the unprivileged user of the permission test.
  chmodSync(work, 0o755);
  libDir = join(work, 'cuda-libs');
  mkdirSync(libDir);
  for (const name of LIBRARIES) writeFileSync(join(libDir, name), 'not really a library');
  feed = new FakeNuget();
  await feed.start();
  // The CLI runs as a child process and inherits these.
  Object.assign(process.env, { SDXL_ASSETS_NUGET_INDEX: feed.index, LD_LIBRARY_PATH: libDir });
});

after(async () => {
  process.env = savedEnv;
  await feed.close();
});

beforeEach(() => {
  feed.clear();
  feed.publish(PACKAGE, ortVersion(), buildGpuPackage());
  binDir = join(work, `bin-${count++}`);
  mkdirSync(binDir, { mode: 0o755 });
  process.env.SDXL_ASSETS_ORT_BIN_DIR = binDir;
});

describe('sdxl-assets gpu', { skip: !linuxX64 && 'the CUDA package layout tested here is the x64 Linux one' }, () => {
  test('status, install cuda, status, uninstall cuda', async () => {
    const before = await runCli(['gpu', 'status']);
    assert.equal(before.code, 0, before.stderr);
    assert.match(before.stdout, new RegExp(`^CUDA provider: not installed in ${escape(binDir)}\n`));
    for (const name of LIBRARIES) assert.ok(before.stdout.includes(`  ${name}: ${join(libDir, name)} (LD_LIBRARY_PATH)\n`), before.stdout);
    assert.match(before.stdout, /CUDA: not usable: CUDA provider not installed: run `sdxl-assets gpu install cuda`/);

    const install = await runCli(['gpu', 'install', 'cuda']);
    assert.equal(install.code, 0, install.stderr);
    assert.ok(install.stderr.includes(`${PACKAGE} ${ortVersion()} (`) && install.stderr.includes(`) from ${feed.index} into ${binDir}\n`), install.stderr);
    assert.match(install.stderr, /downloading the CUDA provider: .* \(100%\)/);
    assert.match(install.stderr, /CUDA provider installed \(.*, SHA-512 verified\)\.\nCUDA is ready/);
    assert.deepEqual(install.stdout.trim().split('\n').sort(), Object.keys(LINUX_PROVIDER_FILES).map((name) => join(binDir, name)).sort());
    for (const [name, data] of Object.entries(LINUX_PROVIDER_FILES)) assert.deepEqual(readFileSync(join(binDir, name)), data);

    const installed = await runCli(['gpu', 'status']);
    assert.match(installed.stdout, new RegExp(`^CUDA provider: installed in ${escape(binDir)}\n`));
    assert.match(installed.stdout, /\nCUDA: usable\n$/);

    const uninstall = await runCli(['gpu', 'uninstall', 'cuda']);
    assert.equal(uninstall.code, 0, uninstall.stderr);
    assert.equal(uninstall.stderr, `CUDA provider removed from ${binDir}.\n`);
    assert.deepEqual(readdirSync(binDir), []);
  });

  test('a missing library is named before the install, which goes on', async () => {
    process.env.LD_LIBRARY_PATH = join(work, 'nowhere');
    try {
      const install = await runCli(['gpu', 'install', 'cuda']);
      assert.equal(install.code, 0, install.stderr);
      const missing = cudaSupport({ refresh: true }).missing;
      for (const line of missing) assert.ok(install.stderr.includes(`  ${line}\n`), install.stderr);
      if (missing.length > 0) assert.match(install.stderr, /CUDA is not usable yet: /);
    } finally {
      process.env.LD_LIBRARY_PATH = libDir;
    }
  });

  test('user errors are one line: a bad target (exit 2), a version the feed lacks (exit 1)', async () => {
    const usage = await runCli(['gpu', 'install', 'rocm']);
    assert.equal(usage.code, 2);
    assert.equal(usage.stderr, 'sdxl-assets: Use gpu status, gpu install cuda or gpu uninstall cuda. (see sdxl-assets help)\n');

    feed.clear();
    feed.publish(PACKAGE, '1.22.0', buildGpuPackage());
    const unknown = await runCli(['gpu', 'install', 'cuda']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr.split('\n').filter((line) => line.startsWith('sdxl-assets: ')).length, 1);
    assert.ok(unknown.stderr.includes(`sdxl-assets: ${PACKAGE} ${ortVersion()} (the CUDA provider for onnxruntime-node ${ortVersion()}) is not on ${feed.index}; it has 1.22.0.\n`), unknown.stderr);
  });

  test('Ctrl+C during the download exits 130 and keeps the partial package; the next install resumes it', async () => {
    // The connection drops after 1000 bytes; Ctrl+C lands in the pause before the retry.
    feed.dropNupkgAfter = 1000;
    const partial = join(binDir, `.${PACKAGE.toLowerCase()}.${ortVersion()}.nupkg.partial`);
    const cancelled = await runGpuCli(['install', 'cuda'], { interruptWhen: () => existsSync(partial) && statSync(partial).size === 1000 });
    assert.equal(cancelled.code, 130, cancelled.stderr);
    assert.match(cancelled.stderr, /sdxl-assets: Download cancelled; the 1.00 kB downloaded are kept and the next install resumes from there\.\n/);
    assert.deepEqual(readdirSync(binDir), [basename(partial)]);

    const resumed = await runCli(['gpu', 'install', 'cuda']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /, resuming at 1.00 kB\n/);
    assert.equal(feed.requests.filter((request) => request.path.endsWith('.nupkg')).at(-1)?.range, 'bytes=1000-');
    assert.deepEqual(readdirSync(binDir).sort(), Object.keys(LINUX_PROVIDER_FILES).sort());
  });

  test('a folder the user may not write to fails before the download, in one line, with nothing written', async (t) => {
    const asUser = process.getuid?.() === 0 ? nobody() : undefined;
    if (process.getuid?.() === 0 && !asUser) {
      t.skip('runs as root without a "nobody" user to drop to');
      return;
    }
    // As root, the unprivileged user meets a root-owned 0755 folder; otherwise the folder is made read-only.
    if (!asUser) chmodSync(binDir, 0o555);
    t.after(() => chmodSync(binDir, 0o755));
    const result = await runGpuCli(['install', 'cuda'], asUser ? { asUser } : {});
    assert.equal(result.code, 1, result.stderr);
    assert.ok(result.stderr.endsWith(`sdxl-assets: Cannot write to ${binDir}: permission denied. Run the command as a user who may write there, or install SDXL Assets where you own the files.\n`), result.stderr);
    assert.deepEqual(readdirSync(binDir), []);
    assert.equal(feed.requests.filter((request) => request.path.endsWith('.nupkg')).length, 0);
  });
});

describe('the CLI re-run with the CUDA library path', { skip: process.platform !== 'linux' && 'Windows amends PATH in place' }, () => {
  const fixture = join(repoRoot, 'test', 'cli', 'cudaRerunFixture.ts');
  let toolkit = '';
  let childEnv: NodeJS.ProcessEnv = {};

  before(() => {
    toolkit = join(work, 'toolkit');
    mkdirSync(join(toolkit, 'lib64'), { recursive: true });
    for (const name of LIBRARIES) writeFileSync(join(toolkit, 'lib64', name), 'not really a library');
    const providerDir = join(work, 'provider-installed');
    mkdirSync(providerDir, { recursive: true });
    for (const name of Object.keys(LINUX_PROVIDER_FILES)) writeFileSync(join(providerDir, name), 'fake');
    childEnv = { ...process.env, SDXL_ASSETS_ORT_BIN_DIR: providerDir, CUDA_HOME: toolkit, LD_LIBRARY_PATH: '/opt/elsewhere' };
  });

  function runFixture(args: string[], options: { interruptWhenReady?: boolean } = {}) {
    return new Promise<{ code: number | null; lines: string[] }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], { cwd: repoRoot, env: childEnv, stdio: 'pipe' });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (options.interruptWhenReady && stdout.includes('ready\n')) {
          options.interruptWhenReady = false;
          child.kill('SIGINT');
        }
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, lines: stdout.trim().split('\n') }));
    });
  }

  test('generate with --provider auto runs once more with the folders first on LD_LIBRARY_PATH; --provider cpu does not', async () => {
    const expected = withCudaLibraryPath(childEnv, cudaSupport({ env: childEnv, platform: 'linux', arch: 'x64' }), 'linux').LD_LIBRARY_PATH;
    const auto = await runFixture(['generate', '--prompt', 'x']);
    assert.equal(auto.code, 0);
    assert.equal(auto.lines.length, 1, 'only the re-run goes on');
    assert.equal(JSON.parse(auto.lines[0]!).ldLibraryPath, expected);
    if (expected !== '/opt/elsewhere') assert.ok(expected?.startsWith(join(toolkit, 'lib64')), expected);

    const cpu = await runFixture(['generate', '--provider', 'cpu']);
    assert.equal(JSON.parse(cpu.lines[0]!).ldLibraryPath, '/opt/elsewhere');
    const gpu = await runFixture(['gpu', 'status']);
    assert.equal(JSON.parse(gpu.lines[0]!).ldLibraryPath, '/opt/elsewhere', 'only commands that run the engine re-run');
  });

  test('Ctrl+C reaches the re-run once, and its exit code is the CLI\'s', async (t) => {
    const expected = withCudaLibraryPath(childEnv, cudaSupport({ env: childEnv, platform: 'linux', arch: 'x64' }), 'linux').LD_LIBRARY_PATH;
    if (expected === '/opt/elsewhere') {
      t.skip('this machine\'s loader finds every CUDA library already, so there is no re-run to watch');
      return;
    }
    const result = await runFixture(['generate', '--wait-for-sigint'], { interruptWhenReady: true });
    assert.equal(result.code, 130);
    assert.deepEqual(result.lines.slice(1), ['ready', 'cancelled']);
  });
});

/** dist/cli.js gpu … as another user, or interrupted with SIGINT once `interruptWhen` holds. */
function runGpuCli(
  args: string[],
  options: { asUser?: { uid: number; gid: number }; interruptWhen?: () => boolean },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'gpu', ...args], { stdio: 'pipe', ...(options.asUser ?? {}) });
    let stdout = '';
    let stderr = '';
    const poll = options.interruptWhen
      ? setInterval(() => {
          if (!options.interruptWhen!()) return;
          clearInterval(poll);
          child.kill('SIGINT');
        }, 2)
      : undefined;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({ code, stdout, stderr });
    });
  });
}

function nobody(): { uid: number; gid: number } | undefined {
  const uid = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
