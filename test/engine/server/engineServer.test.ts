// The engine process spoken to directly over IPC, for what the typed client cannot provoke.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import sharp from 'sharp';
import type { EngineToHost } from '../../../src/protocol/engineProtocol';
import { readRecipeFromFile } from '../../../src/engine/image/recipeMetadata';
import { repoRoot } from '../../support/shared';
import { tempFolder } from '../../support/tempFolder';
import { writeTinyMatting } from '../../support/tinyMatting';
import { buildTinySdxl } from '../../support/tinyModels';

const work = tempFolder('sdxl-engine-server');
let model = '';

before(() => {
  model = join(work, 'tiny-sdxl');
  buildTinySdxl(model);
});

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
  test('messages the protocol does not allow are answered, never a crash, and the running job finishes', async () => {
    const { child, messages, closed } = startEngine();
    const folder = mkdtempSync(join(work, 'bad-messages-'));
    const job = (jobId: string, extra: Record<string, unknown> = {}) => ({
      jobId,
      modelDir: model,
      settings: { prompt: 'a storm', width: 64, height: 64, steps: 30, seed: 1 },
      outputPath: join(folder, `${jobId}.png`),
      format: 'png',
      embedRecipe: true,
      ...extra,
    });
    await until(child, (message) => message.type === 'ready');
    child.send({ type: 'cancel' });
    child.send({ type: 'generate', job: job('long') });
    await until(child, (message) => message.type === 'progress' && message.step === 2);
    for (const bad of [
      null,
      42,
      { type: 'generate' },
      { type: 'generate', job: null },
      { type: 'cancel' },
      { type: 'teleport' },
      { type: 'configure', config: { provider: 'tpu' } },
      { type: 'countTokens', requestId: 7, modelDir: model, texts: 'not a list', weighting: false },
      { type: 'generate', job: job('gif', { format: 'gif' }) },
      { type: 'generate', job: job('mismatch', { format: 'jpeg' }) },
      { type: 'generate', job: job('relative', { outputPath: 'out.png' }) },
      { type: 'generate', job: job('huge', { settings: { prompt: 'x', width: 100_000, height: 64 } }) },
      { type: 'generate', job: job('nul', { settings: { prompt: 'a\0b' } }) },
      { type: 'generate', job: job('mask-alone', { settings: { prompt: 'x', mask: 'mask.png' } }) },
      { type: 'generate', job: job('outpaint-odd', { settings: { prompt: 'x', initImage: 'in.png', outpaint: { left: 3, top: 0, right: 0, bottom: 0 } } }) },
    ]) {
      child.send(bad as never);
    }
    await until(child, (message) => message.type === 'done' && message.jobId === 'long');
    child.send({ type: 'shutdown' });
    const [code] = await closed;

    assert.equal(code, 0);
    const failed = new Map(messages.flatMap((m) => (m.type === 'failed' ? [[m.jobId, m]] : [])));
    assert.deepEqual([...failed.keys()].sort(), ['gif', 'huge', 'mask-alone', 'mismatch', 'nul', 'outpaint-odd', 'relative']);
    assert.ok([...failed.values()].every((m) => m.code === 'bad-request'));
    assert.match(failed.get('gif')!.message, /Unknown output format "gif"/);
    assert.match(failed.get('mismatch')!.message, /does not end in \.jpg or \.jpeg/);
    assert.match(failed.get('huge')!.message, /width 100000 is above the limit of 4096 pixels/);
    assert.match(failed.get('nul')!.message, /NUL character/);
    assert.match(failed.get('mask-alone')!.message, /a mask says what to repaint in an input image; give the input image too/);
    assert.match(failed.get('outpaint-odd')!.message, /outpaint left margin 3 is not a multiple of 8 pixels/);
    assert.ok(messages.some((m) => m.type === 'tokenCountsFailed' && m.requestId === 7));
    const warnings = messages.filter((m) => m.type === 'log' && m.level === 'warn' && /protocol does not allow/.test(m.message));
    assert.equal(warnings.length, 8);
    assert.ok(!messages.some((m) => m.type === 'log' && m.level === 'error'));
    assert.deepEqual(readdirSync(folder), ['long.png']);
  });

  test('a tiled decode reports each VAE tile as the decode phase\'s step', async () => {
    const { child, messages, closed } = startEngine();
    const folder = mkdtempSync(join(work, 'tiles-'));
    await until(child, (message) => message.type === 'ready');
    child.send({
      type: 'generate',
      job: {
        jobId: 'tiled',
        modelDir: model,
        settings: { prompt: 'a harbour', width: 96, height: 64, steps: 2, seed: 1, vaeTiling: { tileSize: 32 } },
        outputPath: join(folder, 'tiled.png'),
        format: 'png',
        embedRecipe: true,
      },
    });
    const done = await until(child, (message) => message.type === 'done' || message.type === 'failed');
    child.send({ type: 'shutdown' });
    await closed;
    assert.equal(done.type, 'done', JSON.stringify(done));
    assert.deepEqual(done.type === 'done' && done.recipe.vaeTiling, { tileSize: 32 });
    const tiles = messages.flatMap((m) =>
      m.type === 'state' && m.state.kind === 'running' && m.state.phase === 'decode' && m.state.step !== undefined
        ? [`${m.state.step}/${m.state.total}`]
        : [],
    );
    assert.deepEqual(tiles, Array.from({ length: 12 }, (_, i) => `${i + 1}/12`));
  });

  test('a transparent-background job writes an RGBA file, reports the background phase and records the step', async () => {
    const { child, messages, closed } = startEngine();
    const folder = mkdtempSync(join(work, 'transparent-'));
    const matting = join(work, 'tiny-matting');
    writeTinyMatting(matting);
    await until(child, (message) => message.type === 'ready');
    const job = (jobId: string, format: 'png' | 'jpeg', transparentBackground: unknown, finish?: unknown) => ({
      type: 'generate',
      job: {
        jobId,
        modelDir: model,
        settings: { prompt: 'a red kite', width: 64, height: 64, steps: 2, seed: 3 },
        transparentBackground,
        ...(finish ? { finish } : {}),
        outputPath: join(folder, `${jobId}.${format === 'png' ? 'png' : 'jpg'}`),
        format,
        embedRecipe: true,
      },
    });
    child.send(job('jpeg', 'jpeg', { mattingDir: matting, isolateSubject: false }));
    const refused = await until(child, (message) => message.type === 'failed');
    child.send(job('kite', 'png', { mattingDir: matting, isolateSubject: true }));
    const done = await until(child, (message) => message.type === 'done' || (message.type === 'failed' && message.jobId === 'kite'));
    // Contained into a wider size, then pixel art: the padding and the cut-away pixels are clear, the rest opaque.
    const finish = { output: { width: 48, height: 32, fit: 'contain' }, pixelArt: { factor: 2, colors: 4 } };
    child.send(job('sprite', 'png', { mattingDir: matting, isolateSubject: false }, finish));
    const sprite = await until(child, (message) => (message.type === 'done' || message.type === 'failed') && message.jobId === 'sprite');
    child.send({ type: 'shutdown' });
    await closed;
    assert.equal(sprite.type, 'done', JSON.stringify(sprite));
    if (sprite.type === 'done') {
      const { data, info } = await sharp(sprite.path).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height, info.channels], [48, 32, 4]);
      assert.deepEqual([...new Set(data.filter((_, i) => i % 4 === 3))].sort((a, b) => a - b), [0, 255]);
      assert.deepEqual([...data.subarray(0, 4)], [0, 0, 0, 0], 'the padding is transparent');
      assert.deepEqual(sprite.recipe.output, finish.output);
    }
    assert.match(refused.type === 'failed' ? refused.message : '', /JPEG has no alpha channel/);
    assert.equal(done.type, 'done', JSON.stringify(done));
    if (done.type !== 'done') return;
    assert.deepEqual(done.recipe.background, { mode: 'transparent', matting: 'tiny-matting', isolateSubject: true });
    assert.equal(done.recipe.prompt, 'a red kite');
    assert.equal((await sharp(done.path).metadata()).channels, 4);
    assert.ok(messages.some((m) => m.type === 'phase' && m.jobId === 'kite' && m.phase === 'background'));
  });

  test('a density job writes name, name@2x and name@3x beside its path, each with its own recipe; done names the largest', async () => {
    const { child, closed } = startEngine();
    const folder = mkdtempSync(join(work, 'densities-'));
    await until(child, (message) => message.type === 'ready');
    const output = { width: 20, height: 12, fit: 'contain', background: '#123456' };
    const job = (jobId: string, densities: unknown, finish: unknown) => ({
      type: 'generate',
      job: {
        jobId,
        modelDir: model,
        settings: { prompt: 'a hero banner', width: 64, height: 64, steps: 2, seed: 4 },
        finish,
        densities,
        outputPath: join(folder, `${jobId}.png`),
        format: 'png',
        embedRecipe: true,
      },
    });
    child.send(job('unsized', [1, 2], {}));
    const refused = await until(child, (message) => message.type === 'failed' && message.jobId === 'unsized');
    child.send(job('hero', [1, 2, 3], { output }));
    const done = await until(child, (message) => (message.type === 'done' || message.type === 'failed') && message.jobId === 'hero');
    child.send({ type: 'shutdown' });
    await closed;
    assert.match(refused.type === 'failed' ? `${refused.code} ${refused.message}` : '', /^bad-request .*Exact size/);
    assert.equal(done.type, 'done', JSON.stringify(done));
    if (done.type !== 'done') return;
    assert.equal(done.path, join(folder, 'hero@3x.png'));
    assert.deepEqual(readdirSync(folder).sort(), ['hero.png', 'hero@2x.png', 'hero@3x.png']);
    for (const [name, density] of [['hero.png', 1], ['hero@2x.png', 2], ['hero@3x.png', 3]] as const) {
      const { data, info } = await sharp(join(folder, name)).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height], [20 * density, 12 * density], name);
      assert.deepEqual([...data.subarray(0, 3)], [0x12, 0x34, 0x56], `${name}: the contain padding`);
      const recipe = await readRecipeFromFile(join(folder, name));
      assert.deepEqual(recipe?.output, { ...output, width: 20 * density, height: 12 * density });
    }
  });

  test('the engine exits when its host goes away', async () => {
    const { child, exited } = startEngine();
    await until(child, (message) => message.type === 'ready');
    child.disconnect();
    const [code, signal] = await exited;
    assert.deepEqual([code, signal], [0, null]);
  });
});
