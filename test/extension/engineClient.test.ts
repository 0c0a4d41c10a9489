// The engine client against the real engine process (dist/engineServer.js, built by `npm run build`)
// and tiny models on disk.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, parse } from 'node:path';
import { before, describe, test } from 'node:test';
import sharp from 'sharp';
import type { EngineConfig, JobRequest } from '../../src/protocol/engineProtocol';
import { EngineClient, type EngineEvent, type EngineJobError } from '../../src/extension/engineClient';
import { readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { ClipTokenizer } from '../../src/engine/text/clipTokenizer';
import { repoRoot } from '../support/shared';
import { tempFolder } from '../support/tempFolder';
import { buildTinySdxl } from '../support/tinyModels';

const enginePath = join(repoRoot, 'dist', 'engineServer.js');
const baseConfig: EngineConfig = { provider: 'cpu', lowMemory: false, idleUnloadMs: 0, previewEvery: 0 };
/** Long enough (about a second on a laptop core) that a cancel or a kill lands mid-loop. */
const LONG = { steps: 1000, width: 256, height: 256 };

const work = tempFolder('sdxl-engine-client');
let model = '';
let folderCount = 0;
let jobCount = 0;

before(() => {
  model = join(work, 'tiny-sdxl');
  buildTinySdxl(model);
});

function freshFolder(): string {
  const dir = join(work, `out-${folderCount++}`);
  mkdirSync(dir);
  return dir;
}

function jobIn(folder: string, settings: Partial<JobRequest['settings']> = {}): JobRequest {
  const jobId = `job-${jobCount++}`;
  return {
    jobId,
    modelDir: model,
    settings: { prompt: 'a lighthouse on a cliff', width: 64, height: 64, steps: 3, guidance: 5, seed: 42, ...settings },
    outputPath: join(folder, `${jobId}.png`),
    format: 'png',
    embedRecipe: true,
  };
}

/** Every event the client forwarded, and a way to wait for one without sleeping. */
class Recorder {
  readonly events: EngineEvent[] = [];
  private readonly waiters: Array<{ match: (event: EngineEvent) => boolean; resolve: (event: EngineEvent) => void }> = [];

  constructor(client: EngineClient) {
    client.onMessage((event) => {
      this.events.push(event);
      for (const waiter of [...this.waiters]) {
        if (!waiter.match(event)) continue;
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    });
  }

  /** The first event of that type from now on that matches. */
  next<T extends EngineEvent['type']>(
    type: T,
    match: (event: Extract<EngineEvent, { type: T }>) => boolean = () => true,
  ): Promise<Extract<EngineEvent, { type: T }>> {
    const fits = (event: EngineEvent): event is Extract<EngineEvent, { type: T }> => event.type === type;
    return new Promise((resolve) =>
      this.waiters.push({ match: (event) => fits(event) && match(event), resolve: (event) => resolve(event as Extract<EngineEvent, { type: T }>) }),
    );
  }

  ofJob(jobId: string): EngineEvent[] {
    return this.events.filter((event) => 'jobId' in event && event.jobId === jobId);
  }

  positions(jobId: string): number[] {
    return this.ofJob(jobId).flatMap((event) => (event.type === 'queued' ? [event.position] : []));
  }
}

function withClient(config: Partial<EngineConfig> = {}): { client: EngineClient; recorder: Recorder; logs: string[] } {
  const logs: string[] = [];
  const client = new EngineClient({ enginePath, log: (line) => logs.push(line), shutdownGraceMs: 2000 });
  client.configure({ ...baseConfig, ...config });
  return { client, recorder: new Recorder(client), logs };
}

const isStep = (jobId: string, step: number) => (event: EngineEvent) =>
  event.type === 'progress' && event.jobId === jobId && event.step === step;

async function rejection(promise: Promise<unknown>): Promise<EngineJobError> {
  try {
    await promise;
  } catch (error) {
    return error as EngineJobError;
  }
  assert.fail('expected the job to fail');
}

describe('EngineClient with the engine process', { timeout: 60_000 }, () => {
  test('a job writes its file with the recipe and reports its course in order', async () => {
    const { client, recorder } = withClient({ previewEvery: 2 });
    try {
      const folder = freshFolder();
      const job = jobIn(folder, { steps: 4, seed: 7 });
      const idle = recorder.next('state', (event) => event.state.kind === 'idle');
      const result = await client.submit(job).done;

      assert.equal(result.path, job.outputPath);
      assert.equal(result.recipe.seed, 7);
      assert.equal(result.recipe.prompt, 'a lighthouse on a cliff');
      assert.ok(result.elapsedMs > 0);
      assert.deepEqual(await readRecipeFromFile(job.outputPath), result.recipe);
      const meta = await sharp(job.outputPath).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['png', 64, 64]);
      assert.deepEqual(readdirSync(folder), [basename(job.outputPath)]);

      const events = recorder.ofJob(job.jobId);
      const milestones = events.flatMap((event) =>
        event.type === 'phase' ? [`phase ${event.phase}`] : ['queued', 'started', 'done'].includes(event.type) ? [event.type] : [],
      );
      assert.deepEqual(milestones, ['queued', 'started', 'phase load', 'phase encode', 'phase denoise', 'phase decode', 'done']);
      assert.deepEqual(recorder.positions(job.jobId), [0]);

      const progress = events.flatMap((event) => (event.type === 'progress' ? [event] : []));
      assert.deepEqual(progress.map((event) => [event.step, event.total]), [[1, 4], [2, 4], [3, 4], [4, 4]]);
      assert.ok(progress.every((event) => event.itPerSecond > 0));
      assert.equal(progress[3].etaSeconds, 0);
      assert.ok(progress[0].etaSeconds > 0);

      const doneAt = events.findIndex((event) => event.type === 'done');
      const previews = events.flatMap((event, index) => (event.type === 'preview' ? [{ event, index }] : []));
      assert.deepEqual(previews.map(({ event }) => event.step), [2, 4]);
      for (const { event, index } of previews) {
        assert.ok(index > events.findIndex(isStep(job.jobId, event.step)), 'a preview follows its step');
        assert.ok(index < doneAt, 'no preview after done');
        assert.deepEqual([event.width, event.height], [8, 8]);
        const image = await sharp(event.png).metadata();
        assert.deepEqual([image.format, image.width, image.height], ['png', 8, 8]);
      }

      const states = recorder.events.flatMap((event) => (event.type === 'state' ? [event.state] : []));
      assert.deepEqual(states[0], { kind: 'loading', jobId: job.jobId });
      assert.ok(states.some((state) => state.kind === 'running' && state.phase === 'denoise' && state.step === 4 && state.total === 4));
      assert.deepEqual((await idle).state, {
        kind: 'idle',
        modelLoaded: true,
        provider: { choice: 'cpu', provider: 'cpu', skipped: [] },
      });
    } finally {
      await client.dispose();
    }
  });

  test('queued jobs run one at a time in order, each told how many jobs are ahead', async () => {
    const { client, recorder } = withClient();
    try {
      const folder = freshFolder();
      const jobs = [jobIn(folder, { seed: 1 }), jobIn(folder, { seed: 2 }), jobIn(folder, { seed: 3 })];
      const results = await Promise.all(jobs.map((job) => client.submit(job).done));

      assert.deepEqual(results.map((result) => result.recipe.seed), [1, 2, 3]);
      assert.deepEqual(jobs.map((job) => recorder.positions(job.jobId)), [[0], [1], [2, 1]]);
      const order = recorder.events.flatMap((event) =>
        event.type === 'started' || event.type === 'done' ? [`${event.type} ${event.jobId}`] : [],
      );
      assert.deepEqual(order, jobs.flatMap((job) => [`started ${job.jobId}`, `done ${job.jobId}`]));
      assert.deepEqual(readdirSync(folder).sort(), jobs.map((job) => basename(job.outputPath)).sort());
    } finally {
      await client.dispose();
    }
  });

  test('cancelling the running job stops it between steps and leaves no file', async () => {
    const { client, recorder } = withClient();
    try {
      const folder = freshFolder();
      const job = jobIn(folder, LONG);
      const { done } = client.submit(job);
      await recorder.next('progress', (event) => event.jobId === job.jobId && event.step === 2);
      client.cancel(job.jobId);
      const error = await rejection(done);

      assert.equal(error.code, 'cancelled');
      assert.equal(error.message, 'Generation cancelled.');
      const steps = recorder.ofJob(job.jobId).filter((event) => event.type === 'progress').length;
      assert.ok(steps < LONG.steps, `stopped after ${steps} steps`);
      assert.deepEqual(readdirSync(folder), []);

      const next = jobIn(folder);
      assert.equal((await client.submit(next).done).path, next.outputPath);
    } finally {
      await client.dispose();
    }
  });

  test('a cancelled queued job never starts and the jobs behind it move up', async () => {
    const { client, recorder } = withClient();
    try {
      const folder = freshFolder();
      const [first, second, third] = [jobIn(folder, LONG), jobIn(folder), jobIn(folder)];
      const firstDone = client.submit(first).done;
      const secondDone = client.submit(second).done;
      const thirdDone = client.submit(third).done;
      await recorder.next('queued', (event) => event.jobId === third.jobId);
      client.cancel(second.jobId);
      assert.equal((await rejection(secondDone)).code, 'cancelled');
      client.cancel(first.jobId);
      assert.equal((await rejection(firstDone)).code, 'cancelled');
      assert.equal((await thirdDone).path, third.outputPath);

      assert.deepEqual(recorder.positions(third.jobId), [2, 1]);
      assert.ok(!recorder.ofJob(second.jobId).some((event) => event.type === 'started'));
      assert.deepEqual(readdirSync(folder), [basename(third.outputPath)]);
    } finally {
      await client.dispose();
    }
  });

  test('an engine killed mid-job fails its jobs readably, leaves no partial file, and the next job gets a fresh engine', async () => {
    const { client, recorder, logs } = withClient({ previewEvery: 1 });
    try {
      const folder = freshFolder();
      const ready = recorder.next('ready');
      const running = jobIn(folder, LONG);
      const waiting = jobIn(folder);
      const runningDone = client.submit(running).done;
      const waitingDone = client.submit(waiting).done;
      const { pid } = await ready;
      await recorder.next('progress', (event) => event.jobId === running.jobId && event.step === 2);
      // What a kill during the final write would leave behind.
      const temporary = join(dirname(running.outputPath), `.${basename(running.outputPath)}.0123456789ab.tmp`);
      writeFileSync(temporary, 'half an image');
      const exited = recorder.next('exited');
      process.kill(pid, 'SIGKILL');

      for (const done of [runningDone, waitingDone]) {
        const error = await rejection(done);
        assert.equal(error.code, 'engine-stopped');
        assert.match(error.message, /^The image engine stopped unexpectedly \(signal SIGKILL\).*; the next job starts a fresh engine\.$/);
      }
      assert.deepEqual(await exited, { type: 'exited', code: null, signal: 'SIGKILL', unexpected: true });
      assert.deepEqual(readdirSync(folder), []);
      assert.ok(logs.some((line) => line.includes('stopped unexpectedly (signal SIGKILL)')));

      const freshReady = recorder.next('ready');
      const next = jobIn(folder);
      const result = await client.submit(next).done;
      assert.ok(existsSync(result.path));
      assert.notEqual((await freshReady).pid, pid);
      // The fresh engine got the last configuration: previews every step.
      assert.equal(recorder.ofJob(next.jobId).filter((event) => event.type === 'preview').length, 3);
    } finally {
      await client.dispose();
    }
  });

  test('an engine killed while it loads the model fails the job, leaves nothing, and the next job loads afresh', async () => {
    const { client, recorder } = withClient();
    try {
      const folder = freshFolder();
      const ready = recorder.next('ready');
      const job = jobIn(folder, LONG);
      const loading = recorder.next('state', (event) => event.state.kind === 'loading');
      const done = client.submit(job).done;
      const { pid } = await ready;
      await loading;
      process.kill(pid, 'SIGKILL');
      assert.equal((await rejection(done)).code, 'engine-stopped');
      assert.deepEqual(readdirSync(folder), []);
      const result = await client.submit(jobIn(folder)).done;
      assert.deepEqual(readdirSync(folder), [basename(result.path)]);
    } finally {
      await client.dispose();
    }
  });

  test('an engine killed while idle is started again by the next job, which runs as usual', async () => {
    const { client, recorder, logs } = withClient();
    try {
      const folder = freshFolder();
      const ready = recorder.next('ready');
      const idle = recorder.next('state', (event) => event.state.kind === 'idle' && event.state.modelLoaded);
      await client.submit(jobIn(folder)).done;
      const { pid } = await ready;
      await idle;
      const exited = recorder.next('exited');
      process.kill(pid, 'SIGKILL');
      assert.deepEqual(await exited, { type: 'exited', code: null, signal: 'SIGKILL', unexpected: true });
      assert.ok(logs.some((line) => line.includes('stopped unexpectedly (signal SIGKILL)')));
      const freshReady = recorder.next('ready');
      const result = await client.submit(jobIn(folder, { seed: 7 })).done;
      assert.notEqual((await freshReady).pid, pid);
      assert.equal(readdirSync(folder).length, 2);
      assert.ok(existsSync(result.path));
    } finally {
      await client.dispose();
    }
  });

  test('an engine that cannot start fails the job with its reason in the log', async () => {
    const logs: string[] = [];
    const client = new EngineClient({ enginePath: join(work, 'missing-engine.js'), log: (line) => logs.push(line) });
    const error = await rejection(client.submit(jobIn(freshFolder())).done);
    assert.equal(error.code, 'engine-stopped');
    assert.match(error.message, /^The image engine stopped unexpectedly \(exit code 1\); the next job starts a fresh engine\.$/);
    assert.ok(logs.some((line) => line.includes('Cannot find module')));
    await client.dispose();
  });

  test('an invalid request fails with the engine message and code', async () => {
    const { client } = withClient();
    try {
      const folder = freshFolder();
      const error = await rejection(client.submit(jobIn(folder, { width: 100 })).done);
      assert.equal(error.code, 'bad-request');
      assert.match(error.message, /^width 100 is not a multiple of 16/);
      assert.deepEqual(readdirSync(folder), []);
    } finally {
      await client.dispose();
    }
  });

  test('an existing file is never overwritten: the image takes the next free name', async () => {
    const { client } = withClient();
    try {
      const job = jobIn(freshFolder());
      writeFileSync(job.outputPath, 'precious');
      const result = await client.submit(job).done;
      const { dir, name, ext } = parse(job.outputPath);
      assert.equal(result.path, join(dir, `${name}-2${ext}`));
      assert.equal(readFileSync(job.outputPath, 'utf8'), 'precious');
      assert.deepEqual(readdirSync(dir).sort(), [basename(job.outputPath), basename(result.path)].sort());
    } finally {
      await client.dispose();
    }
  });

  test('token counts come from the model tokenizers', async () => {
    const { client } = withClient();
    try {
      const texts = ['a lighthouse on a cliff', '', 'a lighthouse, (stormy sea:1.3), dramatic light'];
      const counts = await client.countTokens(model, texts, false);
      const tokenizers = await Promise.all(['tokenizer', 'tokenizer_2'].map((name) => ClipTokenizer.fromFolder(join(model, name))));
      assert.deepEqual(
        counts,
        texts.map((text) =>
          tokenizers.map((tokenizer, i) => ({
            tokenizer: ['tokenizer', 'tokenizer_2'][i],
            count: tokenizer.encode(text).length,
            limit: 77,
            chunks: 1,
          })),
        ),
      );
      assert.equal(counts[1][0].count, 2, 'an empty prompt is BOS and EOS');
      const [weighted] = await client.countTokens(model, [texts[2]], true);
      const unweighted = tokenizers[0].encode('a lighthouse, stormy sea, dramatic light').length - 2;
      assert.deepEqual(weighted[0], { tokenizer: 'tokenizer', count: unweighted, limit: 75, chunks: 1 }, 'the weight syntax is not counted');
      await assert.rejects(client.countTokens(join(work, 'no-such-model'), ['x'], false), /Model folder not found/);
    } finally {
      await client.dispose();
    }
  });

  test('the model is unloaded after the idle time', async () => {
    const { client, recorder } = withClient({ idleUnloadMs: 50 });
    try {
      const loaded = recorder.next('state', ({ state }) => state.kind === 'idle' && state.modelLoaded);
      const unloaded = recorder.next('state', ({ state }) => state.kind === 'idle' && !state.modelLoaded);
      await client.submit(jobIn(freshFolder())).done;
      await loaded;
      await unloaded;
      assert.ok(recorder.events.some((event) => event.type === 'log' && event.message === 'model unloaded'));
    } finally {
      await client.dispose();
    }
  });

  test('unload frees the model on request', async () => {
    const { client, recorder } = withClient();
    try {
      await client.submit(jobIn(freshFolder())).done;
      const unloaded = recorder.next('state', ({ state }) => state.kind === 'idle' && !state.modelLoaded);
      client.unload();
      await unloaded;
      const again = jobIn(freshFolder());
      assert.equal((await client.submit(again).done).path, again.outputPath);
    } finally {
      await client.dispose();
    }
  });

  test('dispose shuts the engine down cleanly; later requests are refused', async () => {
    const { client, recorder } = withClient();
    await client.submit(jobIn(freshFolder())).done;
    const exited = recorder.next('exited');
    await client.dispose();
    assert.deepEqual(await exited, { type: 'exited', code: 0, signal: null, unexpected: false });
    const error = await rejection(client.submit(jobIn(freshFolder())).done);
    assert.equal(error.code, 'engine-stopped');
    await assert.rejects(client.countTokens(model, ['x'], false), /shut down/);
  });
});
