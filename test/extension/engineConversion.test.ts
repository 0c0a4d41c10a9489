// Float16 conversion through the engine client and the real engine process (dist/engineServer.js,
// built by `npm run build`): what Download Model… runs, off the extension host's thread.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ConversionProgress } from '../../src/protocol/engineProtocol';
import { EngineClient, type EngineJobError } from '../../src/extension/engineClient';
import { repoRoot } from '../support/shared';
import { buildTinySdxl } from '../support/tinyModels';

let work = '';
let model = '';
let client: EngineClient;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'sdxl-engine-convert-'));
  model = join(work, 'tiny-sdxl');
  buildTinySdxl(model, { externalDataFor: ['unet'] });
  client = new EngineClient({ enginePath: join(repoRoot, 'dist', 'engineServer.js') });
  client.configure({ provider: 'cpu', lowMemory: false, idleUnloadMs: 0, previewEvery: 0 });
});
after(async () => {
  await client.dispose();
  rmSync(work, { recursive: true, force: true });
});

describe('the engine process converts a model to float16', () => {
  test('a cancel stops it with nothing half-written, and asking again finishes a folder that generates', async () => {
    const outDir = join(work, 'tiny-fp16');
    const first = client.convertToFloat16(model, outDir, () => undefined);
    client.cancelConversion(first.requestId);
    await assert.rejects(first.done, (error: EngineJobError) => error.code === 'cancelled' && /\.partial/.test(error.message));
    assert.equal(existsSync(outDir), false);
    assert.ok(readdirSync(`${outDir}.partial`).every((name) => !name.endsWith('.tmp')));

    const progress: ConversionProgress[] = [];
    const second = client.convertToFloat16(model, outDir, (p) => progress.push(p));
    const result = await second.done;
    assert.equal(result.outDir, outDir);
    assert.match(result.summary.find((line) => line.startsWith('unet:')) ?? '', /^unet: float16, /);
    assert.match(result.summary.find((line) => line.startsWith('vae_decoder:')) ?? '', /kept float32 because its config sets force_upcast/);
    assert.deepEqual([...new Set(progress.map((p) => p.component))], ['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder', 'vae_encoder']);
    assert.ok(progress.every((p, i) => i === 0 || p.bytesDone >= progress[i - 1].bytesDone));
    assert.equal(existsSync(`${outDir}.partial`), false);

    const folder = join(work, 'images');
    mkdirSync(folder);
    const job = client.submit({
      jobId: 'fp16-job',
      modelDir: outDir,
      settings: { prompt: 'a lighthouse', width: 64, height: 64, steps: 2, seed: 1 },
      outputPath: join(folder, 'fp16.png'),
      format: 'png',
      embedRecipe: false,
    });
    assert.ok(existsSync((await job.done).path));
  });

  test('a relative output folder is refused by the engine before any work', async () => {
    const { done } = client.convertToFloat16(model, 'relative-fp16', () => undefined);
    await assert.rejects(done, (error: EngineJobError) => error.code === 'bad-request' && /outDir must be an absolute folder path/.test(error.message));
  });

  test('a folder that is not a model fails with the reason', async () => {
    const { done } = client.convertToFloat16(join(model, 'tokenizer'), join(work, 'never'), () => undefined);
    await assert.rejects(done, (error: EngineJobError) => error.code === 'model-folder');
    assert.equal(existsSync(join(work, 'never')), false);
  });
});
