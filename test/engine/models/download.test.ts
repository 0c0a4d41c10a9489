import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { EngineError } from '../../../src/engine/errors';
import { downloadModel, type ModelDownloadOptions } from '../../../src/engine/models/download/modelDownload';
import type { DownloadProgress } from '../../../src/engine/models/download/downloadProgress';
import { readModelFolder } from '../../../src/engine/models/modelFolder';
import { DOWNLOAD_RECORD, readDownloadRecord } from '../../../src/engine/models/modelStore';
import { tempFolder } from '../../support/tempFolder';
import { buildTinySdxl } from '../../support/tinyModels';
import { FakeHub, REVISION, sha256, tinyEntry } from './fakeHub';

const work = tempFolder('sdxl-download');
let source = '';
let hub: FakeHub;

before(async () => {
  source = join(work, 'source');
  buildTinySdxl(source, { externalDataFor: ['unet'] });
});

beforeEach(async () => {
  await hub?.close();
  hub = new FakeHub();
  await hub.start();
  hub.addRepo('test-org/tiny-sdxl', REVISION, source, {
    extra: {
      'README.md': '# tiny',
      'unet/diffusion_pytorch_model.safetensors': 'pytorch weights the ONNX engine never reads',
      'unet/openvino_model.xml': '<xml/>',
      'vae/config.json': '{}',
    },
  });
});

after(() => hub?.close());

function options(extra: Partial<ModelDownloadOptions> = {}): ModelDownloadOptions {
  return { hub: { endpoint: hub.endpoint, tokenHint: 'set HF_TOKEN' }, retryDelayMs: 5, ...extra };
}

let counter = 0;
const target = () => join(work, `model-${++counter}`);

async function rejectsWith(promise: Promise<unknown>, code: string, message: RegExp): Promise<EngineError> {
  let caught: unknown;
  await promise.catch((error: unknown) => (caught = error));
  assert.ok(caught instanceof EngineError, `expected an EngineError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.match(caught.message, message);
  return caught;
}

describe('downloadModel against a local fake Hub', () => {
  test('fetches the selected files across listing pages and a redirect to another host, verified, and loads', async () => {
    const dir = target();
    const progress: DownloadProgress[] = [];
    const result = await downloadModel(tinyEntry(), dir, options({ hub: { endpoint: hub.endpoint, token: 'hf_secret', tokenHint: '' }, onProgress: (p) => progress.push(p) }));

    const treeRequests = hub.requests.filter((r) => r.path.includes('/tree/'));
    assert.ok(treeRequests.length > 2, 'the listing spans several pages');
    assert.ok(treeRequests.slice(1).every((r) => /cursor=\d+/.test(r.path)));
    const storage = hub.requests.filter((r) => r.server === 'storage');
    assert.ok(storage.length >= 5, 'LFS files come from the storage host');
    assert.ok(storage.every((r) => r.host.startsWith('localhost:')), 'storage is another host name');
    assert.ok(storage.every((r) => r.authorization === undefined), 'the token never leaves the Hub');
    assert.ok(hub.requests.filter((r) => r.server === 'hub').every((r) => r.authorization === 'Bearer hf_secret'));

    assert.equal(readModelFolder(dir).family, 'sdxl');
    for (const file of ['unet/model.onnx', 'unet/model.onnx_data', 'tokenizer/vocab.json', 'model_index.json']) {
      assert.deepEqual(readFileSync(join(dir, file)), readFileSync(join(source, file)), file);
    }
    for (const left of ['README.md', 'unet/diffusion_pytorch_model.safetensors', 'unet/openvino_model.xml', 'vae/config.json']) {
      assert.equal(existsSync(join(dir, left)), false, `${left} is not part of the entry`);
    }
    assert.equal(readdirSync(join(dir, 'unet')).some((f) => f.endsWith('.partial')), false);
    const record = readDownloadRecord(dir);
    assert.equal(record?.complete, true);
    assert.equal(record?.files['unet/model.onnx']?.sha256, sha256(readFileSync(join(source, 'unet/model.onnx'))));
    assert.match(record?.files['scheduler/scheduler_config.json']?.gitSha1 ?? '', /^[0-9a-f]{40}$/);

    const last = progress.at(-1)!;
    assert.equal(last.doneBytes, last.totalBytes);
    assert.equal(last.filesDone, last.filesTotal);
    assert.equal(last.filesTotal, result.filesFetched);

    hub.requests.length = 0;
    const again = await downloadModel(tinyEntry(), dir, options());
    assert.equal(again.filesFetched, 0);
    assert.deepEqual(hub.requests.filter((r) => !r.path.includes('/tree/')), [], 'verified files are not fetched twice');
  });

  test('a gated repository without a token says so and how to add one; with the token it downloads', async () => {
    hub.addRepo('test-org/gated', REVISION, source, { gatedToken: 'hf_good' });
    const entry = tinyEntry({ id: 'gated', repo: 'test-org/gated' });
    await rejectsWith(downloadModel(entry, target(), options()), 'download', /test-org\/gated is gated or private \(HTTP 401 GatedRepo\).*accept the model's terms.*set HF_TOKEN/);
    const wrong = options({ hub: { endpoint: hub.endpoint, token: 'hf_bad', tokenHint: 'set HF_TOKEN' } });
    await rejectsWith(downloadModel(entry, target(), wrong), 'download', /HTTP 403.*the token in use may not read it/);
    const right = options({ hub: { endpoint: hub.endpoint, token: 'hf_good', tokenHint: '' } });
    assert.equal(readModelFolder((await downloadModel(entry, target(), right)).dir).family, 'sdxl');
  });

  test('a connection dropped mid-file resumes from the bytes already on disk', async () => {
    const size = statSync(join(source, 'unet/model.onnx_data')).size;
    const sent = Math.floor(size / 2);
    hub.dropOnce.set('unet/model.onnx_data', sent);
    const dir = target();
    await downloadModel(tinyEntry(), dir, options());
    const requests = hub.requestsFor('unet/model.onnx_data').filter((r) => r.server === 'storage');
    assert.equal(requests.length, 2);
    assert.equal(requests[0]!.range, undefined);
    assert.equal(requests[1]!.range, `bytes=${sent}-`);
    assert.deepEqual(readFileSync(join(dir, 'unet/model.onnx_data')), readFileSync(join(source, 'unet/model.onnx_data')));
  });

  test('cancel keeps the finished files and the partial one, and the next download resumes it', async () => {
    const size = statSync(join(source, 'unet/model.onnx_data')).size;
    hub.stall.set('unet/model.onnx_data', 1000);
    const dir = target();
    const controller = new AbortController();
    const partial = join(dir, 'unet/model.onnx_data.partial');
    const someFinished = () => Object.keys(readDownloadRecord(dir)?.files ?? {}).length > 0;
    void waitUntil(() => sizeOf(partial) === 1000 && someFinished()).then(() => controller.abort());
    await rejectsWith(downloadModel(tinyEntry(), dir, options({ signal: controller.signal, concurrency: 2 })), 'cancelled', /cancelled; \d+ finished files are kept/);

    assert.equal(statSync(partial).size, 1000);
    assert.equal(existsSync(join(dir, 'unet/model.onnx_data')), false);
    const record = readDownloadRecord(dir)!;
    assert.equal(record.complete, false);
    const finished = Object.keys(record.files);
    assert.ok(finished.length > 0, 'files that finished before the cancel are recorded');

    hub.requests.length = 0;
    await downloadModel(tinyEntry(), dir, options());
    assert.equal(hub.requestsFor('unet/model.onnx_data').find((r) => r.server === 'storage')?.range, 'bytes=1000-');
    for (const file of finished) assert.deepEqual(hub.requestsFor(file).filter((r) => !r.path.includes('/tree/')), [], `${file} is kept`);
    assert.equal(statSync(join(dir, 'unet/model.onnx_data')).size, size);
    assert.equal(readDownloadRecord(dir)?.complete, true);
  });

  test('a server that ignores Range sends the whole file again, which replaces the partial one', async () => {
    hub.stall.set('unet/model.onnx_data', 700);
    hub.ignoreRange.add('unet/model.onnx_data');
    const dir = target();
    const controller = new AbortController();
    void waitUntil(() => sizeOf(join(dir, 'unet/model.onnx_data.partial')) === 700).then(() => controller.abort());
    await downloadModel(tinyEntry(), dir, options({ signal: controller.signal })).catch(() => undefined);
    assert.equal(statSync(join(dir, 'unet/model.onnx_data.partial')).size, 700);
    const progress: DownloadProgress[] = [];
    await downloadModel(tinyEntry(), dir, options({ onProgress: (p) => progress.push(p) }));
    assert.deepEqual(readFileSync(join(dir, 'unet/model.onnx_data')), readFileSync(join(source, 'unet/model.onnx_data')));
    assert.equal(progress.at(-1)!.doneBytes, progress.at(-1)!.totalBytes, 'the restart does not count bytes twice');
  });

  test('an expired storage link is not taken for a gated model: the Hub is asked again', async () => {
    hub.expireOnce.add('unet/model.onnx');
    const dir = target();
    await downloadModel(tinyEntry(), dir, options());
    assert.equal(hub.requestsFor('unet/model.onnx').filter((r) => r.server === 'hub').length, 2);
    assert.equal(readDownloadRecord(dir)?.complete, true);
  });

  test('a corrupted byte fails the checksum and the file is not promoted', async () => {
    hub.corrupt.add('unet/model.onnx');
    const dir = target();
    await rejectsWith(downloadModel(tinyEntry(), dir, options()), 'download', /tiny-sdxl\/unet\/model\.onnx: checksum mismatch \(sha256 [0-9a-f]{64}, expected [0-9a-f]{64}\); the file was deleted/);
    assert.equal(existsSync(join(dir, 'unet/model.onnx')), false);
    assert.equal(existsSync(join(dir, 'unet/model.onnx.partial')), false);
    assert.notEqual(readDownloadRecord(dir)?.complete, true);
    hub.corrupt.clear();
    await downloadModel(tinyEntry(), dir, options());
    assert.equal(readDownloadRecord(dir)?.complete, true);
  });

  test('a server that streams past the listed size is cut off at once and the file deleted', async () => {
    hub.overflow.add('unet/model.onnx');
    const dir = target();
    await rejectsWith(
      downloadModel(tinyEntry(), dir, options()),
      'download',
      /tiny-sdxl\/unet\/model\.onnx: the server sent more than the \d+ bytes its listing gives; stopped and deleted the file/,
    );
    assert.ok(hub.overflowSent < 64 * 1024 * 1024, `read on for ${hub.overflowSent} bytes of junk`);
    assert.equal(existsSync(join(dir, 'unet/model.onnx')), false);
    assert.equal(existsSync(join(dir, 'unet/model.onnx.partial')), false);
    hub.overflow.clear();
    await downloadModel(tinyEntry(), dir, options());
    assert.equal(readDownloadRecord(dir)?.complete, true);
  });

  test('a plain git file is checked against its git blob id', async () => {
    hub.corrupt.add('tokenizer_2/merges.txt');
    await rejectsWith(downloadModel(tinyEntry(), target(), options()), 'download', /tokenizer_2\/merges\.txt: checksum mismatch \(git sha1/);
  });

  test('too little disk space is refused before any file is fetched', async () => {
    hub.claimSize('test-org/tiny-sdxl', 'unet/model.onnx_data', 2 ** 52);
    await rejectsWith(downloadModel(tinyEntry(), target(), options()), 'download', /Not enough free disk space in .*: the download needs 4504 TB, .* is free/);
    assert.deepEqual(hub.requests.filter((r) => !r.path.includes('/tree/')), []);
  });

  test('a repository without the ONNX layout is refused before the download, naming what is missing', async () => {
    hub.addRepo('test-org/pytorch-only', REVISION, undefined, { extra: { 'model_index.json': '{}', 'unet/diffusion_pytorch_model.safetensors': 'w' } });
    const entry = tinyEntry({ repo: 'test-org/pytorch-only' });
    await rejectsWith(downloadModel(entry, target(), options()), 'download', /test-org\/pytorch-only at revision c0ffee\S+ has no scheduler\/scheduler_config\.json, text_encoder\/model\.onnx/);
  });

  test('a path prefix selects the ONNX layout inside a sub-folder of the repository', async () => {
    hub.addRepo('test-org/prefixed', REVISION, undefined, {
      extra: Object.fromEntries(walkFiles(source).map((file) => [`onnx/${file}`, readFileSync(join(source, file))])),
    });
    const dir = target();
    await downloadModel(tinyEntry({ repo: 'test-org/prefixed', pathPrefix: 'onnx' }), dir, options());
    assert.equal(readModelFolder(dir).family, 'sdxl');
    assert.equal(existsSync(join(dir, 'onnx')), false);
  });

  test('an unknown revision is a clear error', async () => {
    await rejectsWith(downloadModel(tinyEntry({ revision: 'nope' }), target(), options()), 'download', /file list of test-org\/tiny-sdxl at revision nope was not found .*RevisionNotFound/);
  });

  test('a Hub that cannot be reached is named', async () => {
    const port = await freePort();
    await rejectsWith(downloadModel(tinyEntry(), target(), { hub: { endpoint: `http://127.0.0.1:${port}`, tokenHint: '' } }), 'download', new RegExp(`Cannot reach 127\\.0\\.0\\.1:${port}: ECONNREFUSED`));
  });

  test('the download record sits in the model folder', async () => {
    const dir = target();
    await downloadModel(tinyEntry(), dir, options());
    const record = JSON.parse(readFileSync(join(dir, DOWNLOAD_RECORD), 'utf8'));
    assert.equal(record.id, 'tiny-sdxl');
    assert.equal(record.revision, REVISION);
  });
});

/** Polls for a state the download reaches on its own, such as the bytes sent before a stall being on disk. */
async function waitUntil(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the download never reached the awaited state');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : -1;
}

/** A port nothing listens on: one the system just gave out and took back. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function walkFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix)).flatMap((name) => {
    const rel = prefix ? `${prefix}/${name}` : name;
    return statSync(join(dir, rel)).isDirectory() ? walkFiles(dir, rel) : [rel];
  });
}
