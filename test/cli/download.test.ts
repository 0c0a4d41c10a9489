// The catalog path end to end through the built CLI: a fake Hub on loopback serves a tiny model,
// `generate --model <catalog id>` downloads it on first use and generates, and a model sitting
// in a fake Hugging Face cache is used without a single request.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { runCli } from '../support/cli';
import { tempFolder } from '../support/tempFolder';
import { buildTinySdxl } from '../support/tinyModels';
import { FakeHub, REVISION, tinyEntry } from '../engine/models/fakeHub';
import { cacheModel } from '../engine/models/fakeHfCache';

const CACHED_COMMIT = 'cafe000000000000000000000000000000000002';

const work = tempFolder('sdxl-cli-download');
let hub: FakeHub;
const savedEnv = { ...process.env };

before(async () => {
  const source = join(work, 'source');
  buildTinySdxl(source, { externalDataFor: ['unet'] });
  hub = new FakeHub();
  await hub.start();
  hub.addRepo('test-org/tiny-sdxl', REVISION, source, { extra: { 'unet/diffusion_pytorch_model.safetensors': 'unused' } });
  hub.addRepo('test-org/gated', REVISION, source, { gatedToken: 'hf_right' });

  const cached = join(work, 'to-cache');
  buildTinySdxl(cached, { externalDataFor: ['unet'] });
  cacheModel(join(work, 'hf-home', 'hub'), 'test-org/cached-sdxl', CACHED_COMMIT, cached);

  const catalog = {
    version: 1,
    models: [
      tinyEntry(),
      tinyEntry({ id: 'gated', displayName: 'Gated', repo: 'test-org/gated', licence: { name: 'NC', url: 'https://example.com/nc', nonCommercial: true } }),
      tinyEntry({ id: 'cached', displayName: 'Cached', repo: 'test-org/cached-sdxl', revision: 'main' }),
    ],
  };
  writeFileSync(join(work, 'catalog.json'), JSON.stringify(catalog));
  // The CLI runs as a child process and inherits these.
  delete process.env.HF_TOKEN;
  delete process.env.HUGGING_FACE_HUB_TOKEN;
  delete process.env.HF_HUB_CACHE;
  Object.assign(process.env, {
    SDXL_ASSETS_CATALOG: join(work, 'catalog.json'),
    SDXL_ASSETS_MODELS: join(work, 'models'),
    HF_ENDPOINT: hub.endpoint,
    HF_HOME: join(work, 'hf-home'),
  });
});

after(async () => {
  process.env = savedEnv;
  await hub.close();
});

beforeEach(() => {
  hub.requests.length = 0;
});

describe('sdxl-assets with catalog ids', () => {
  test('generate --model <id> downloads on first use with progress, then generates with the recommended settings', async () => {
    const out = join(work, 'out') + '/';
    const first = await runCli(['generate', '--model', 'tiny-sdxl', '--prompt', 'a lighthouse', '--seed', '5', '--out', out]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /Tiny SDXL \(test-org\/tiny-sdxl, about 500 kB\) into .*models[/\\]tiny-sdxl/);
    assert.match(first.stderr, /licence: Test licence: https:\/\/example\.com\/licence/);
    assert.match(first.stderr, /downloading tiny-sdxl: .* of .* \(100%\), .*file (\d+)\/\1/);
    assert.ok(hub.requests.some((r) => r.server === 'storage'));
    const [path] = first.stdout.trim().split('\n');
    const recipe = await readRecipeFromFile(path!);
    assert.equal(recipe?.model, 'tiny-sdxl');
    assert.deepEqual([recipe?.width, recipe?.height, recipe?.steps, recipe?.guidance, recipe?.sampler], [64, 64, 2, 0, 'euler-a']);
    assert.equal(existsSync(join(work, 'models', 'tiny-sdxl', 'unet', 'diffusion_pytorch_model.safetensors')), false);

    hub.requests.length = 0;
    const second = await runCli(['generate', '--model', 'tiny-sdxl', '--prompt', 'a lighthouse', '--seed', '5', '--steps', '3', '--out', out]);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(hub.requests, [], 'a downloaded model is used without asking the Hub');
    assert.equal((await readRecipeFromFile(second.stdout.trim()))?.steps, 3, 'options given win over the recommendation');
  });

  test('download MODEL_ID --dir DIR puts the model in DIR/MODEL_ID and prints it; again, it only lists', async () => {
    const dir = join(work, 'elsewhere');
    const result = await runCli(['download', 'tiny-sdxl', '--dir', dir]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), join(dir, 'tiny-sdxl'));
    assert.ok(readdirSync(join(dir, 'tiny-sdxl', 'unet')).includes('model.onnx_data'));

    hub.requests.length = 0;
    const again = await runCli(['download', 'tiny-sdxl', '--dir', dir]);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(hub.requests.length > 0 && hub.requests.every((r) => r.path.includes('/tree/')));
  });

  test('a model in the Hugging Face cache (symlinked blobs) is used in place, without a download', async () => {
    const out = join(work, 'cached.png');
    const result = await runCli(['generate', '--model', 'cached', '--prompt', 'a fox', '--seed', '1', '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(hub.requests, []);
    assert.equal((await readRecipeFromFile(out))?.model, 'test-org/cached-sdxl');
    assert.equal(existsSync(join(work, 'models', 'cached')), false, 'nothing is copied into the models directory');

    const download = await runCli(['download', 'cached']);
    assert.equal(download.code, 0, download.stderr);
    assert.match(download.stderr, /Cached is already in the Hugging Face cache; --model cached uses it from there/);
    assert.match(download.stdout, /models--test-org--cached-sdxl[/\\]snapshots[/\\]cafe0+2\n$/);
    assert.deepEqual(hub.requests, []);

    const tokens = await runCli(['tokens', '--model', 'cached', '--json', 'a fox']);
    assert.equal(tokens.code, 0, tokens.stderr);
    const models = await runCli(['models']);
    assert.match(models.stdout, /cached: Cached \(test-org\/cached-sdxl\)[\s\S]*here: .*models--test-org--cached-sdxl[/\\]snapshots[/\\]cafe0+2/);
  });

  test('a gated model fails with one line that says how to add a token', async () => {
    const result = await runCli(['download', 'gated']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /licence: NC, non-commercial use only/);
    assert.match(result.stderr, /sdxl-assets: test-org\/gated is gated or private \(HTTP 401 GatedRepo\): accept the model's terms at .*, then add a Hugging Face access token with read access \(set HF_TOKEN/);
  });

  test('user errors: unknown ids, a model not downloaded yet for a command that only reads', async () => {
    const unknown = await runCli(['generate', '--model', 'sdxl-nope', '--prompt', 'x', '--out', join(work, 'x.png')]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Unknown model "sdxl-nope": no such folder, and the catalog has tiny-sdxl, gated, cached\./);
    const download = await runCli(['download', 'sdxl-nope']);
    assert.equal(download.code, 2);
    assert.match(download.stderr, /Unknown model id "sdxl-nope"/);
    const info = await runCli(['info', '--model', 'gated']);
    assert.equal(info.code, 1);
    assert.match(info.stderr, /gated is not downloaded yet; run: sdxl-assets download gated/);
  });

  test('Ctrl+C during a download stops it and keeps what arrived', async () => {
    hub.stall.set('unet/model.onnx_data', 500);
    const dir = join(work, 'interrupted');
    const result = await runCli(['download', 'tiny-sdxl', '--dir', dir], { signalAfterStderr: /downloading tiny-sdxl/ });
    assert.equal(result.code, 130, result.stderr);
    assert.match(result.stderr, /Download of Tiny SDXL cancelled; \d+ finished files? (is|are) kept/);
    const resumed = await runCli(['download', 'tiny-sdxl', '--dir', dir]);
    assert.equal(resumed.code, 0, resumed.stderr);
  });
});
