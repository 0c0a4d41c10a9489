// EngineClient.restart() against the real engine process (dist/engineServer.js, built by
// `npm run build`): a running job finishes in the engine it started in, the next one gets a new engine.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { EngineClient } from '../../src/extension/engineClient';
import type { JobRequest } from '../../src/protocol/engineProtocol';
import { repoRoot } from '../support/shared';
import { tempFolder } from '../support/tempFolder';
import { buildTinySdxl } from '../support/tinyModels';

const work = tempFolder('sdxl-engine-restart');
let model = '';

before(() => {
  model = join(work, 'tiny-sdxl');
  buildTinySdxl(model);
});

function job(jobId: string): JobRequest {
  return {
    jobId,
    modelDir: model,
    settings: { prompt: 'a lighthouse', width: 64, height: 64, steps: 20, guidance: 5, seed: 1 },
    outputPath: join(work, `${jobId}.png`),
    format: 'png',
    embedRecipe: false,
  };
}

test('restart() lets the running job finish, then the next job runs in a fresh engine', async () => {
  const client = new EngineClient({ enginePath: join(repoRoot, 'dist', 'engineServer.js') });
  client.configure({ provider: 'cpu', lowMemory: false, idleUnloadMs: 0, previewEvery: 0 });
  const pids: number[] = [];
  client.onMessage((event) => {
    if (event.type === 'ready') pids.push(event.pid);
  });
  try {
    const first = client.submit(job('first'));
    client.restart();
    const done = await first.done;
    assert.equal(done.path, join(work, 'first.png'));
    await client.submit(job('second')).done;
    assert.equal(pids.length, 2, `one engine per side of the restart: ${pids.join(', ')}`);
    assert.notEqual(pids[0], pids[1]);
    assert.throws(() => process.kill(pids[0]!, 0), { code: 'ESRCH' }, 'the first engine has exited');
  } finally {
    await client.dispose();
  }
});
