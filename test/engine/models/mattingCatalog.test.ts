// The catalog's matting models: models.json's entry, the checks on a bad one, and a download
// against the local fake Hub that lands a folder the matting step reads.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EngineError } from '../../../src/engine/errors';
import { loadMattingCatalog } from '../../../src/engine/models/catalog';
import { downloadModel } from '../../../src/engine/models/download/modelDownload';
import { locateMattingModel, type MattingEntry, parseMattingCatalog } from '../../../src/engine/models/mattingCatalog';
import { readMattingFolder } from '../../../src/engine/models/mattingFolder';
import { tempFolder } from '../../support/tempFolder';
import { writeTinyMatting } from '../../support/tinyMatting';
import { FakeHub, REVISION } from './fakeHub';

const work = tempFolder('sdxl-matting-catalog');

const entry = (overrides: Record<string, unknown> = {}) => ({
  id: 'tiny-matting',
  displayName: 'Tiny matting',
  description: 'A test model.',
  repo: 'test-org/tiny-matting',
  revision: REVISION,
  files: ['onnx/model.onnx', 'preprocessor_config.json'],
  sizeBytes: 1000,
  licence: { name: 'MIT', url: 'https://example.com/licence', nonCommercial: false },
  ...overrides,
});

function rejects(value: unknown, message: RegExp): void {
  assert.throws(
    () => parseMattingCatalog(value, 'test.json'),
    (error: unknown) => error instanceof EngineError && message.test(error.message),
  );
}

describe('matting models in the catalog', () => {
  test('models.json lists BiRefNet lite from onnx-community under MIT, the fp32 ONNX file and its preprocessor config', () => {
    const [birefnet, ...others] = loadMattingCatalog({});
    assert.equal(others.length, 0);
    assert.equal(birefnet.id, 'birefnet-lite');
    assert.equal(birefnet.repo, 'onnx-community/BiRefNet_lite-ONNX');
    assert.deepEqual(birefnet.files, ['onnx/model.onnx', 'preprocessor_config.json']);
    assert.equal(birefnet.licence.nonCommercial, false);
    assert.match(birefnet.licence.name, /MIT/);
    assert.ok(birefnet.checked && birefnet.checked.pages.length >= 3, 'where the facts were read is recorded');
    assert.ok(birefnet.checked.unconfirmed.length > 0, 'what no page settled is said');
  });

  test('BiRefNet lite is pinned to a commit a stored Hub page names, with the licence read at the pin', () => {
    const [birefnet] = loadMattingCatalog({});
    assert.match(birefnet.revision, /^[0-9a-f]{40}$/, 'a full commit id, not a branch');
    const short = birefnet.revision.slice(0, 7);
    assert.ok(
      birefnet.checked?.pages.some((page) => page.url.startsWith(`https://huggingface.co/${birefnet.repo}/`) && page.confirms.includes(short)),
      `a page of ${birefnet.repo} shows ${short}`,
    );
    assert.ok(birefnet.checked?.unconfirmed.some((note) => note.includes(birefnet.revision)), 'where the full id came from is said');
    assert.ok(birefnet.licence.url.startsWith(`https://huggingface.co/${birefnet.repo}/blob/${birefnet.revision}/`));
  });

  test('a catalog without a matting list has none; a bad entry names itself and its field', () => {
    assert.deepEqual(parseMattingCatalog({ version: 1, models: [] }, 'test.json'), []);
    rejects({ matting: {} }, /"matting" must be an array/);
    rejects({ matting: [entry({ files: ['onnx/model.onnx'] })] }, /matting entry "tiny-matting", field "files" must name the .onnx model and its preprocessor_config.json/);
    rejects({ matting: [entry({ licence: undefined })] }, /matting entry "tiny-matting", field "licence" must be an object/);
    rejects({ matting: [entry({ files: ['../model.onnx', 'preprocessor_config.json'] })] }, /field "files" holds "..\/model.onnx"/);
    rejects({ matting: [entry(), entry()] }, /matting entry "tiny-matting" appears twice/);
  });

  describe('download', () => {
    let hub: FakeHub;
    before(async () => {
      const source = join(work, 'source');
      writeTinyMatting(source);
      hub = new FakeHub();
      await hub.start();
      hub.addRepo('test-org/tiny-matting', REVISION, source, {
        extra: { 'onnx/model_fp16.onnx': 'half-precision weights left on the Hub', 'README.md': '# tiny', 'config.json': '{}' },
      });
    });
    after(() => hub.close());

    test('fetches the listed files only, into a folder the matting step reads and the locator finds', async () => {
      const [mattingEntry] = parseMattingCatalog({ matting: [entry()] }, 'test.json') as [MattingEntry];
      const modelsDir = join(work, 'models');
      const dir = join(modelsDir, mattingEntry.id);
      assert.equal(locateMattingModel(mattingEntry, modelsDir), undefined);
      const result = await downloadModel(mattingEntry, dir, { hub: { endpoint: hub.endpoint, tokenHint: '' }, retryDelayMs: 5 });
      assert.equal(result.filesFetched, 2);
      assert.equal(readMattingFolder(dir).width, 32);
      for (const left of ['onnx/model_fp16.onnx', 'README.md', 'config.json']) assert.equal(existsSync(join(dir, left)), false, left);
      assert.equal(locateMattingModel(mattingEntry, modelsDir), dir);
    });
  });
});
