// Requests that can only fail must fail before any download or model load.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeImage } from '../../src/engine/image/writeImage';
import type { Recipe } from '../../src/protocol/recipe';
import { runCli } from '../support/cli';
import { tempFolder } from '../support/tempFolder';
import { buildTinySdxl } from '../support/tinyModels';

const work = tempFolder('sdxl-limits');
let model = '';
let server: Server;
let requests = 0;
const savedEnv = { ...process.env };

before(async () => {
  model = join(work, 'tiny-sdxl');
  buildTinySdxl(model);
  // Any request here would be the start of a download nobody should have started.
  server = createServer((_, response) => {
    requests++;
    response.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  delete process.env.HF_HUB_CACHE;
  Object.assign(process.env, {
    SDXL_ASSETS_MODELS: join(work, 'models'),
    HF_HOME: join(work, 'hf-home'),
    HF_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  });
});

after(async () => {
  process.env = savedEnv;
  await new Promise((resolve) => server.close(resolve));
});

describe('limits are checked before any download or model load', () => {
  const out = () => join(work, 'out') + '/';
  const cases: [string, string[], RegExp][] = [
    ['--steps 0 of a catalog model', ['--model', 'sdxl-turbo', '--steps', '0'], /steps must be a whole number from 1 to 1000, got 0/],
    ['a width past the limit', ['--model', 'sdxl-turbo', '--width', '100000'], /width 100000 is above the limit of 4096 pixels a side/],
    ['a height past the limit on a folder', ['--model', '__MODEL__', '--height', '8192'], /height 8192 is above the limit of 4096/],
    ['a seed past the largest exact one', ['--model', 'sdxl-turbo', '--seed', '9007199254740991', '--batch', '2'], /seed must be a whole number from 0 to 9007199254740991, got 9007199254740992/],
    ['a guidance rescale above 1', ['--model', 'sdxl-turbo', '--guidance-rescale', '2'], /guidance rescale must be a number from 0 to 1/],
  ];
  for (const [name, args, message] of cases) {
    test(name, async () => {
      const before = requests;
      const argv = ['generate', '--prompt', 'x', '--out', out(), ...args].map((a) => (a === '__MODEL__' ? model : a));
      const result = await runCli(argv);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /loading the model|download/i);
      assert.equal(requests, before, 'no request to the hub');
    });
  }

  test('a recipe with a NUL in its negative prompt is refused before the load', async () => {
    const image = join(work, 'hostile.png');
    const recipe: Recipe = {
      version: 1, model: 'tiny-sdxl', prompt: 'ok', negativePrompt: 'bad\0words', width: 32, height: 32,
      steps: 2, guidance: 5, sampler: 'euler', karras: false, timestepSpacing: null, seed: 1,
    };
    await writeImage(image, new Uint8Array(32 * 32 * 3), 32, 32, { format: 'webp', recipe });
    const result = await runCli(['generate', '--model', model, '--recipe', image, '--out', out()]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^sdxl-assets: negativePrompt contains a NUL character/m);
    assert.doesNotMatch(result.stderr, /Loading the model/);
  });

  test('a recipe that names a catalog refiner not here asks for it instead of downloading it', async () => {
    const image = join(work, 'refined.png');
    const recipe: Recipe = {
      version: 1, model: 'tiny-sdxl', refiner: 'sdxl-base-1.0', refinerStart: 0.8, prompt: 'a lighthouse', negativePrompt: null,
      width: 32, height: 32, steps: 2, guidance: 5, sampler: 'euler', karras: false, timestepSpacing: null, seed: 1,
    };
    await writeImage(image, new Uint8Array(32 * 32 * 3), 32, 32, { format: 'png', recipe });
    const before = requests;
    const result = await runCli(['generate', '--model', model, '--recipe', image, '--out', out()]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /refined with "sdxl-base-1\.0", which is not found here; give its folder with --refiner DIR/);
    assert.equal(requests, before);
    assert.deepEqual(readdirSync(work).filter((f) => f === 'models'), []);
  });
});
