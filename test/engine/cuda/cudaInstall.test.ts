// Installing ONNX Runtime's CUDA provider from a NuGet feed on loopback into a temporary stand-in
// for onnxruntime-node's binary folder: what lands there, what the feed's hash and a dropped
// connection do, and how a full disk fails.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { DownloadProgress } from '../../../src/engine/models/download/downloadProgress';
import { installCudaProvider, uninstallCudaProvider } from '../../../src/engine/cuda/cudaInstall';
import { cudaProviderInstalled } from '../../../src/engine/cuda/cudaSupport';
import { ortVersion } from '../../../src/engine/cuda/cudaPackage';
import { tempFolder } from '../../support/tempFolder';
import { buildGpuPackage, FakeNuget, LINUX_PROVIDER_FILES, sha512Base64 } from './fakeNuget';

const PACKAGE = 'Microsoft.ML.OnnxRuntime.Gpu.Linux';
/** What onnxruntime-node ships in its folder; an install must leave it alone. */
const SHIPPED = { 'libonnxruntime.so.1': 'core', 'onnxruntime_binding.node': 'binding' };
const linuxX64 = process.platform === 'linux' && process.arch === 'x64';

const work = tempFolder('sdxl-cuda-install');
let feed: FakeNuget;
let binDir = '';
let count = 0;

before(async () => {
  feed = new FakeNuget();
  await feed.start();
});

after(() => feed.close());

beforeEach(() => {
  feed.clear();
  binDir = join(work, `bin-${count++}`);
  mkdirSync(binDir);
  for (const [name, text] of Object.entries(SHIPPED)) writeFileSync(join(binDir, name), text);
});

function env(): NodeJS.ProcessEnv {
  return { SDXL_ASSETS_ORT_BIN_DIR: binDir, SDXL_ASSETS_NUGET_INDEX: feed.index };
}

const partialPath = () => join(binDir, `.${PACKAGE.toLowerCase()}.${ortVersion()}.nupkg.partial`);
const nupkgRequests = () => feed.requests.filter((request) => request.path.endsWith('.nupkg'));

describe('installCudaProvider', { skip: !linuxX64 && 'the CUDA package layout tested here is the x64 Linux one' }, () => {
  test('installs exactly the provider libraries, byte for byte, and uninstall removes exactly them', async () => {
    feed.publish(PACKAGE, '1.29.0', buildGpuPackage({ 'libonnxruntime_providers_cuda.so': Buffer.from('old') }));
    feed.publish(PACKAGE, ortVersion(), buildGpuPackage());
    const progress: DownloadProgress[] = [];
    const result = await installCudaProvider({ env: env(), onProgress: (state) => progress.push(state) });

    assert.deepEqual(readdirSync(binDir).sort(), [...Object.keys(SHIPPED), ...Object.keys(LINUX_PROVIDER_FILES)].sort());
    for (const [name, data] of Object.entries(LINUX_PROVIDER_FILES)) assert.deepEqual(readFileSync(join(binDir, name)), data, name);
    for (const [name, text] of Object.entries(SHIPPED)) assert.equal(readFileSync(join(binDir, name), 'utf8'), text);
    assert.deepEqual(result.files.sort(), Object.keys(LINUX_PROVIDER_FILES).map((name) => join(binDir, name)).sort());
    assert.deepEqual([result.packageId, result.version, result.binDir], [PACKAGE, ortVersion(), binDir]);
    assert.equal(existsSync(partialPath()), false, 'the package is deleted once installed');
    const last = progress.at(-1)!;
    assert.equal(last.doneBytes, last.totalBytes);
    assert.equal(cudaProviderInstalled(env()), true);

    const { removed } = await uninstallCudaProvider(env());
    assert.deepEqual(removed.sort(), result.files.sort());
    assert.deepEqual(readdirSync(binDir).sort(), Object.keys(SHIPPED).sort());
    assert.equal(cudaProviderInstalled(env()), false);
    assert.deepEqual((await uninstallCudaProvider(env())).removed, [], 'a second uninstall finds nothing to remove');
  });

  test('a package whose SHA-512 differs from the published one is deleted and nothing is installed', async () => {
    const nupkg = buildGpuPackage();
    const published = sha512Base64(Buffer.from('another package'));
    feed.publish(PACKAGE, ortVersion(), nupkg, published);
    await assert.rejects(installCudaProvider({ env: env() }), (error: Error) => {
      assert.match(error.message, /SHA-512 mismatch/);
      assert.ok(error.message.includes(`expected ${published}`), error.message);
      assert.ok(error.message.includes(`got ${sha512Base64(nupkg)}`), error.message);
      return true;
    });
    assert.deepEqual(readdirSync(binDir).sort(), Object.keys(SHIPPED).sort());
  });

  test('a connection dropped mid-package is resumed with a Range request and the result verifies', async () => {
    const nupkg = buildGpuPackage();
    feed.publish(PACKAGE, ortVersion(), nupkg);
    const half = Math.floor(nupkg.length / 2);
    feed.dropNupkgAfter = half;
    await installCudaProvider({ env: env(), retryDelayMs: 1 });
    const requests = nupkgRequests();
    assert.equal(requests.length, 2);
    assert.equal(requests[0]!.range, undefined);
    assert.equal(requests[1]!.range, `bytes=${half}-`);
    assert.deepEqual(readFileSync(join(binDir, 'libonnxruntime_providers_cuda.so')), LINUX_PROVIDER_FILES['libonnxruntime_providers_cuda.so']);
  });

  test('a cancelled download keeps its bytes, and the next install resumes from them', async () => {
    const nupkg = buildGpuPackage();
    feed.publish(PACKAGE, ortVersion(), nupkg);
    feed.dropNupkgAfter = 1000;
    const controller = new AbortController();
    // The retry waits long enough for the cancel to land in it.
    const cancelled = installCudaProvider({ env: env(), signal: controller.signal, retryDelayMs: 60_000 });
    while (nupkgRequests().length === 0 || !existsSync(partialPath()) || statSync(partialPath()).size < 1000) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    controller.abort();
    await assert.rejects(cancelled, (error: Error & { code?: string }) => error.code === 'cancelled' && /kept/.test(error.message));
    assert.equal(statSync(partialPath()).size, 1000);
    assert.equal(existsSync(join(binDir, 'libonnxruntime_providers_cuda.so')), false);

    const resumes: number[] = [];
    await installCudaProvider({ env: env(), onPackage: (_pkg, from) => resumes.push(from) });
    assert.deepEqual(resumes, [1000]);
    assert.equal(nupkgRequests().at(-1)!.range, 'bytes=1000-');
    assert.equal(cudaProviderInstalled(env()), true);
  });

  test('a version the feed does not have fails with one line naming the version and the feed', async () => {
    feed.publish(PACKAGE, '1.22.0', buildGpuPackage());
    await assert.rejects(installCudaProvider({ env: env() }), (error: Error) => {
      assert.ok(error.message.includes(`${PACKAGE} ${ortVersion()}`), error.message);
      assert.ok(error.message.includes(feed.index), error.message);
      assert.match(error.message, /it has 1\.22\.0/);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
    assert.equal(nupkgRequests().length, 0);
  });

  test('a full disk while downloading fails with one line and installs nothing', async () => {
    feed.publish(PACKAGE, ortVersion(), buildGpuPackage());
    // Every write to /dev/full fails with ENOSPC, as a full disk's do.
    symlinkSync('/dev/full', partialPath());
    await assert.rejects(installCudaProvider({ env: env() }), (error: Error) => {
      assert.equal(error.message, `Cannot write to ${binDir}: the disk is full. Free some space and run the install again.`);
      return true;
    });
    assert.deepEqual(readdirSync(binDir).sort(), [...Object.keys(SHIPPED), partialPath().slice(binDir.length + 1)].sort());
  });

  test('a disk that fills up while the libraries are extracted leaves none of them behind', async (t) => {
    // A tmpfs with room for three inodes (itself, the package, one library): the second library
    // cannot be created, with ENOSPC, after the first was written.
    binDir = join(work, `tmpfs-${count++}`);
    mkdirSync(binDir);
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,nr_inodes=3', 'tmpfs', binDir], { encoding: 'utf8' });
    if (mount.status !== 0) {
      t.skip(`needs a tmpfs mount (root with CAP_SYS_ADMIN): ${mount.stderr.trim() || mount.error?.message}`);
      return;
    }
    t.after(() => spawnSync('umount', [binDir]));
    feed.publish(PACKAGE, ortVersion(), buildGpuPackage());
    await assert.rejects(installCudaProvider({ env: env() }), (error: Error) => {
      assert.equal(error.message, `Cannot write to ${binDir}: the disk is full. Free some space and run the install again.`);
      return true;
    });
    assert.deepEqual(readdirSync(binDir), [partialPath().slice(binDir.length + 1)], 'only the verified package stays, for the next try');
  });
});
