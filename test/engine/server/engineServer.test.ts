// The engine process spoken to directly over IPC, for what the typed client cannot provoke.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { EngineToHost, HostToEngine } from '../../../src/protocol/engineProtocol';
import { repoRoot } from '../../support/shared';
import { buildTinySdxl } from '../../support/tinyModels';

let work = '';
let model = '';

before(() => {
  work = mkdtempSync(join(tmpdir(), 'sdxl-engine-server-'));
  model = join(work, 'tiny-sdxl');
  buildTinySdxl(model);
});
after(() => rmSync(work, { recursive: true, force: true }));

type Ended = Promise<[number | null, NodeJS.Signals | null]>;

/** `closed` comes after the last message; `exited` also when the host itself disconnected, which never closes the channel's side. */
function startEngine(): { child: ChildProcess; messages: EngineToHost[]; closed: Ended; exited: Ended } {
  const child = fork(join(repoRoot, 'dist', 'engineServer.js'), [], {
    execArgv: [],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const messages: EngineToHost[] = [];
  child.on('message', (message: EngineToHost) => messages.push(message));
  const closed = once(child, 'close') as Ended;
  const exited = once(child, 'exit') as Ended;
  return { child, messages, closed, exited };
}

function until(child: ChildProcess, match: (message: EngineToHost) => boolean): Promise<EngineToHost> {
  return new Promise((resolve) => {
    const listener = (message: EngineToHost) => {
      if (!match(message)) return;
      child.off('message', listener);
      resolve(message);
    };
    child.on('message', listener);
  });
}

describe('engine server process', { timeout: 60_000 }, () => {
  test('an unexpected error fails the running job, then the process exits non-zero', async () => {
    const { child, messages, closed } = startEngine();
    const output = join(work, 'crashed.png');
    const generate: HostToEngine = {
      type: 'generate',
      job: {
        jobId: 'long',
        modelDir: model,
        settings: { prompt: 'a storm', width: 256, height: 256, steps: 1000, seed: 1 },
        outputPath: output,
        format: 'png',
        embedRecipe: true,
      },
    };
    child.send(generate);
    await until(child, (message) => message.type === 'progress' && message.step === 2);
    // A host bug: the job is missing, so reading its id throws inside the engine.
    child.send({ type: 'generate', job: null });
    const [code] = await closed;

    assert.equal(code, 1);
    const failed = messages.find((message) => message.type === 'failed');
    assert.equal(failed?.type === 'failed' && failed.jobId, 'long');
    assert.match(failed?.type === 'failed' ? failed.message : '', /^The image engine hit an unexpected error: .*null/);
    assert.ok(messages.some((message) => message.type === 'log' && message.level === 'error' && /TypeError/.test(message.message)));
    assert.ok(!messages.some((message) => message.type === 'done'));
    assert.deepEqual(readdirSync(work), ['tiny-sdxl']);
  });

  test('the engine exits when its host goes away', async () => {
    const { child, exited } = startEngine();
    await until(child, (message) => message.type === 'ready');
    child.disconnect();
    const [code, signal] = await exited;
    assert.deepEqual([code, signal], [0, null]);
  });
});
