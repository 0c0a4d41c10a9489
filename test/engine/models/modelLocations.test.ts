// Where models are found without a download: the models directory and a fake Hugging Face
// cache laid out as huggingface_hub writes it (blobs + symlinked snapshots + refs).
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../../src/engine/engine';
import { catalogEntryForFolder, discoverModels, locateCatalogModel } from '../../../src/engine/models/discovery';
import { cachedSnapshots, hfHubDir, hfToken } from '../../../src/engine/models/hfCache';
import { readModelFolder } from '../../../src/engine/models/modelFolder';
import { defaultModelsDir, writeDownloadRecord } from '../../../src/engine/models/modelStore';
import { tempFolder } from '../../support/tempFolder';
import { buildTinySdxl } from '../../support/tinyModels';
import { tinyEntry } from './fakeHub';
import { cacheModel } from './fakeHfCache';

const OLD = 'a'.repeat(40);
const PINNED = 'b'.repeat(40);

const work = tempFolder('sdxl-locations');
let hubDir = '';
let modelsDir = '';
const turbo = tinyEntry({ id: 'turbo', repo: 'test-org/turbo', revision: PINNED });
const prefixed = tinyEntry({ id: 'prefixed', repo: 'test-org/prefixed', revision: 'main', pathPrefix: 'onnx/fp32' });
const catalog = [turbo, prefixed];

function tiny(name: string): string {
  const dir = join(work, 'build', name);
  buildTinySdxl(dir, { externalDataFor: ['unet'] });
  return dir;
}

const engine = new Engine({ provider: 'cpu', lowMemory: false });
// Before the folder's removal: the engine lets go of the model files first.
after(() => engine.unload());

before(() => {
  hubDir = join(work, 'hf', 'hub');
  modelsDir = join(work, 'models');
  cacheModel(hubDir, 'test-org/turbo', OLD, tiny('old'));
  cacheModel(hubDir, 'test-org/turbo', PINNED, tiny('pinned'));
  cacheModel(hubDir, 'test-org/prefixed', 'c'.repeat(40), tiny('prefixed'), 'onnx/fp32');
  cacheModel(hubDir, 'someone/any-sdxl-onnx', 'd'.repeat(40), tiny('any'));
  // What diffusers caches: PyTorch weights only, which the engine cannot load.
  const pytorch = join(hubDir, 'models--stabilityai--pytorch-only', 'snapshots', 'e'.repeat(40), 'unet');
  mkdirSync(pytorch, { recursive: true });
  writeFileSync(join(pytorch, 'diffusion_pytorch_model.safetensors'), 'weights');

  buildTinySdxl(join(modelsDir, 'turbo'));
  writeDownloadRecord(join(modelsDir, 'turbo'), { id: 'turbo', repo: 'test-org/turbo', revision: OLD, complete: true, files: {} });
  buildTinySdxl(join(modelsDir, 'my-own-export'));
  mkdirSync(join(modelsDir, 'half-downloaded', 'unet'), { recursive: true });
});

describe('models already on this machine', () => {
  test('the cache lists every snapshot by repository and commit', () => {
    const snapshots = cachedSnapshots(hubDir).map((s) => `${s.repo}@${s.commit.slice(0, 1)}`).sort();
    assert.deepEqual(snapshots, ['someone/any-sdxl-onnx@d', 'stabilityai/pytorch-only@e', 'test-org/prefixed@c', 'test-org/turbo@a', 'test-org/turbo@b']);
  });

  test('discovery lists the folders that load, from both places, with their catalog entries', () => {
    const found = discoverModels({ catalog, modelsDir, hubDir });
    const summary = found.map((m) => [m.source, m.dir.slice(work.length + 1), m.entry?.id]).sort();
    assert.deepEqual(summary, [
      ['hf-cache', `hf/hub/models--someone--any-sdxl-onnx/snapshots/${'d'.repeat(40)}`, undefined],
      ['hf-cache', `hf/hub/models--test-org--prefixed/snapshots/${'c'.repeat(40)}/onnx/fp32`, 'prefixed'],
      ['hf-cache', `hf/hub/models--test-org--turbo/snapshots/${OLD}`, 'turbo'],
      ['hf-cache', `hf/hub/models--test-org--turbo/snapshots/${PINNED}`, 'turbo'],
      ['models-directory', 'models/my-own-export', undefined],
      ['models-directory', 'models/turbo', 'turbo'],
    ]);
    const prefixedModel = found.find((m) => m.entry?.id === 'prefixed')!;
    assert.equal(readModelFolder(prefixedModel.dir).name, 'test-org/prefixed', 'a snapshot sub-folder is named by its repository');
  });

  test('a catalog model: a finished download first, then the pinned snapshot, then another snapshot', () => {
    assert.equal(locateCatalogModel(turbo, { modelsDir, hubDir }), join(modelsDir, 'turbo'));
    const elsewhere = join(work, 'empty-models');
    assert.equal(locateCatalogModel(turbo, { modelsDir: elsewhere, hubDir }), join(hubDir, 'models--test-org--turbo', 'snapshots', PINNED));
    const unpinned = { ...turbo, revision: 'f'.repeat(40) };
    assert.match(locateCatalogModel(unpinned, { modelsDir: elsewhere, hubDir }) ?? '', /models--test-org--turbo[/\\]snapshots[/\\](a|b){40}$/);
    assert.equal(
      locateCatalogModel(prefixed, { modelsDir: elsewhere, hubDir }),
      join(hubDir, 'models--test-org--prefixed', 'snapshots', 'c'.repeat(40), 'onnx', 'fp32'),
      'a branch revision goes through refs/',
    );
    assert.equal(locateCatalogModel(tinyEntry({ repo: 'test-org/absent' }), { modelsDir: elsewhere, hubDir }), undefined);
  });

  test('an unfinished download is not taken for the model', () => {
    const dir = join(work, 'unfinished-models');
    buildTinySdxl(join(dir, 'turbo'));
    writeDownloadRecord(join(dir, 'turbo'), { id: 'turbo', repo: 'test-org/turbo', revision: PINNED, complete: false, files: {} });
    assert.equal(locateCatalogModel(turbo, { modelsDir: dir, hubDir: join(work, 'no-cache') }), undefined);
  });

  test('which catalog entry a folder holds', () => {
    assert.equal(catalogEntryForFolder(join(modelsDir, 'turbo'), catalog)?.id, 'turbo');
    assert.equal(catalogEntryForFolder(join(hubDir, 'models--test-org--turbo', 'snapshots', OLD), catalog)?.id, 'turbo');
    assert.equal(catalogEntryForFolder(join(hubDir, 'models--test-org--prefixed', 'snapshots', 'c'.repeat(40), 'onnx', 'fp32'), catalog)?.id, 'prefixed');
    assert.equal(catalogEntryForFolder(join(modelsDir, 'my-own-export'), catalog), undefined);
  });
});

describe('default locations', () => {
  test('the models directory: SDXL_ASSETS_MODELS, else the platform cache folder', () => {
    assert.equal(defaultModelsDir({ SDXL_ASSETS_MODELS: '/data/models' }, 'linux', '/home/u'), '/data/models');
    assert.equal(defaultModelsDir({}, 'linux', '/home/u'), '/home/u/.cache/sdxl-assets/models');
    assert.equal(defaultModelsDir({ XDG_CACHE_HOME: '/xdg' }, 'linux', '/home/u'), '/xdg/sdxl-assets/models');
    assert.equal(defaultModelsDir({}, 'darwin', '/Users/u'), '/Users/u/Library/Caches/sdxl-assets/models');
    assert.equal(defaultModelsDir({ LOCALAPPDATA: 'C:/Users/u/AppData/Local' }, 'win32', 'C:/Users/u'), 'C:/Users/u/AppData/Local/sdxl-assets/models');
  });

  test('the Hugging Face cache and token, as huggingface_hub finds them', () => {
    assert.equal(hfHubDir({}, '/home/u'), '/home/u/.cache/huggingface/hub');
    assert.equal(hfHubDir({ XDG_CACHE_HOME: '/xdg' }, '/home/u'), '/xdg/huggingface/hub');
    assert.equal(hfHubDir({ HF_HOME: '/hf' }, '/home/u'), '/hf/hub');
    assert.equal(hfHubDir({ HF_HOME: '/hf', HF_HUB_CACHE: '/cache' }, '/home/u'), '/cache');
    assert.equal(hfToken({ HF_TOKEN: 'hf_env ' }, work), 'hf_env');
    const home = join(work, 'token-home');
    mkdirSync(join(home, '.cache', 'huggingface'), { recursive: true });
    assert.equal(hfToken({}, home), undefined);
    writeFileSync(join(home, '.cache', 'huggingface', 'token'), 'hf_saved\n');
    assert.equal(hfToken({}, home), 'hf_saved');
  });

  test('a folder whose weights are a link leading out of it loads in place and draws what a plain folder draws', async () => {
    // ONNX Runtime 1.30 refuses external data reached through a link that leaves the model's
    // folder when the graph itself is a plain file there (a whole snapshot of links loads as is).
    const plain = join(work, 'plain');
    const linked = join(work, 'linked');
    buildTinySdxl(plain, { externalDataFor: ['unet'] });
    buildTinySdxl(linked, { externalDataFor: ['unet'] });
    mkdirSync(join(work, 'shared-weights'));
    renameSync(join(linked, 'unet', 'model.onnx_data'), join(work, 'shared-weights', 'unet-weights'));
    symlinkSync(join('..', '..', 'shared-weights', 'unet-weights'), join(linked, 'unet', 'model.onnx_data'));
    const request = { prompt: 'a lighthouse', width: 32, height: 32, steps: 2, seed: 3 };
    const fromPlain = await engine.generate({ modelDir: plain, ...request });
    const fromLinked = await engine.generate({ modelDir: linked, ...request });
    assert.deepEqual(fromLinked.latents, fromPlain.latents);
  });
});
