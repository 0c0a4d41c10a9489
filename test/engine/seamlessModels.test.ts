// The seamless rewrite on tiny models: what it does to the graph, the circular padding itself
// (a wrapped convolution commutes with rolling its input), the cache, and external weights kept
// where they are (beside the model, or behind a Hugging Face snapshot's symbolic link).
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { Engine } from '../../src/engine/engine';
import type { MemoryPlan } from '../../src/engine/memory/memoryPlan';
import { EngineError } from '../../src/engine/errors';
import { parseModel } from '../../src/engine/models/convert/onnxModel';
import { repeatedInts } from '../../src/engine/models/convert/protoWire';
import { seamlessModel } from '../../src/engine/models/seamless/seamlessModels';
import { createSession } from '../../src/engine/runtime/providers';
import type { Tiling } from '../../src/protocol/recipe';
import { GraphBuilder } from '../support/onnx/graphBuilder';
import { attr } from '../support/onnx/onnxProto';
import { tempFolder } from '../support/tempFolder';
import { buildTinySdxl } from '../support/tinyModels';

const H = 6;
const W = 7;
const C = 2;

/** One 3×3 Conv, pads 1, over a [1, C, H, W] input; `autoPad` replaces the explicit pads. */
function writeConv(path: string, autoPad?: string): void {
  const g = new GraphBuilder('conv', 'float32', 3);
  const x = g.input('x', 'float', [1, C, H, W]);
  const y = autoPad
    ? g.op('Conv', [x, g.randomFloats([C, C, 3, 3], 0.5)], { kernel_shape: attr.ints([3, 3]), auto_pad: attr.string(autoPad) })
    : g.conv(x, C, C);
  g.output('y', y, 'float', [1, C, H, W]);
  mkdirSync(join(path, '..'), { recursive: true });
  g.save(path);
}

function roll(data: Float32Array, dy: number, dx: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) out[(c * H + ((y + dy) % H)) * W + ((x + dx) % W)] = data[(c * H + y) * W + x];
    }
  }
  return out;
}

async function run(path: string, input: Float32Array): Promise<Float32Array> {
  const session = await InferenceSession.create(path);
  try {
    const result = await session.run({ x: new Tensor('float32', input, [1, C, H, W]) });
    return result.y.data as Float32Array;
  } finally {
    await session.release();
  }
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  return a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i])), 0);
}

function convPads(path: string): number[][] {
  return parseModel(readFileSync(path))
    .graph.nodes.filter((n) => n.opType === 'Conv')
    .map((n) => repeatedInts(n.attributes.find((a) => a.name === 'pads')!.fields, 8));
}

describe('circular padding of a convolution', () => {
  const root = tempFolder('seamless-conv');
  const source = join(root, 'model', 'conv', 'model.onnx');
  writeConv(source);
  const input = Float32Array.from({ length: C * H * W }, (_, i) => Math.sin(i * 1.7) + 0.3 * Math.cos(i * 0.37));

  // Rolling the input rolls the output exactly when the padding wraps along the rolled axis.
  const cases: Array<{ tiling: Tiling; dy: number; dx: number; pads: number[] }> = [
    { tiling: 'both', dy: 2, dx: 3, pads: [0, 0, 0, 0] },
    { tiling: 'x', dy: 0, dx: 3, pads: [1, 0, 1, 0] },
    { tiling: 'y', dy: 2, dx: 0, pads: [0, 1, 0, 1] },
  ];
  for (const { tiling, dy, dx, pads } of cases) {
    test(`tiling ${tiling}: rolled input, rolled output; the Conv pads only the other axis`, async () => {
      const { path, externalDataDir } = await seamlessModel(source, tiling, join(root, 'cache'));
      assert.equal(externalDataDir, undefined);
      assert.deepEqual(convPads(path), [pads]);
      const rolledFirst = await run(path, roll(input, dy, dx));
      const rolledAfter = roll(await run(path, input), dy, dx);
      assert.ok(maxDiff(rolledFirst, rolledAfter) < 1e-5, `differs by ${maxDiff(rolledFirst, rolledAfter)}`);
    });
  }

  test('the untouched model does not commute with a roll (the check can fail)', async () => {
    const rolledFirst = await run(source, roll(input, 2, 3));
    const rolledAfter = roll(await run(source, input), 2, 3);
    assert.ok(maxDiff(rolledFirst, rolledAfter) > 0.1);
  });

  test('a Conv whose padding depends on the input size (auto_pad SAME_UPPER) is refused with the file named', async () => {
    const same = join(root, 'same', 'conv', 'model.onnx');
    writeConv(same, 'SAME_UPPER');
    await assert.rejects(seamlessModel(same, 'both', join(root, 'cache')), (error: unknown) => {
      assert.ok(error instanceof EngineError);
      assert.equal(error.code, 'model-folder');
      assert.match(error.message, /cannot tile seamlessly: Conv .* auto_pad SAME_UPPER/);
      assert.ok(error.message.includes(same));
      return true;
    });
  });
});

describe('the seamless cache', () => {
  const root = tempFolder('seamless-cache');
  const modelDir = join(root, 'model');
  buildTinySdxl(modelDir, { externalDataFor: ['unet'] });
  const cacheDir = join(root, 'cache');
  const unet = join(modelDir, 'unet', 'model.onnx');

  test('external weights stay in the model folder: the cached graph is small and loads with them', async () => {
    const model = await seamlessModel(unet, 'both', cacheDir);
    assert.equal(model.externalDataDir, join(modelDir, 'unet'));
    const dataSize = statSync(join(modelDir, 'unet', 'model.onnx_data')).size;
    assert.ok(statSync(model.path).size < dataSize / 4, `${statSync(model.path).size} bytes cached for ${dataSize} of weights`);
    const { session } = await createSession(model, ['cpu'], { keepArena: false });
    await session.release();
  });

  test('a second load reuses the file; a changed source is rewritten and the old graph removed', async () => {
    const first = await seamlessModel(unet, 'x', cacheDir);
    const written = statSync(first.path).mtimeMs;
    const again = await seamlessModel(unet, 'x', cacheDir);
    assert.equal(again.path, first.path);
    assert.equal(statSync(again.path).mtimeMs, written);
    const later = new Date(Date.now() + 60_000);
    utimesSync(unet, later, later);
    const changed = await seamlessModel(unet, 'x', cacheDir);
    assert.notEqual(changed.path, first.path);
    assert.deepEqual(
      readdirSync(cacheDir).filter((name) => name.includes('-unet-x-')),
      [changed.path.slice(cacheDir.length + 1)],
    );
  });

  test('the memory plan keeps the VAE whole, whose tiles would each wrap around their own edges', async () => {
    const plans: MemoryPlan[] = [];
    // As in memoryPlanRun.test.ts: room for the text encoders, not for the tiny VAE's whole decode at 1024².
    const freeBytes = (0.4 * 2 ** 30) / 0.9;
    const engine = new Engine({ provider: 'cpu', lowMemory: false, memory: { freeBytes }, events: { onPlan: (plan) => plans.push(plan) }, seamlessCacheDir: cacheDir });
    try {
      const request = { modelDir, prompt: 'roof tiles', width: 1024, height: 1024, steps: 1, seed: 3 };
      const seamless = await engine.generate({ ...request, tiling: 'both' });
      assert.equal(plans[0].vaeTiling, undefined, JSON.stringify(plans[0]));
      assert.equal(seamless.recipe.vaeTiling, undefined);
      await engine.generate(request);
      assert.ok(plans[1].vaeTiling !== undefined, 'without seamless tiles the same memory gets a tiled decode');
    } finally {
      await engine.unload();
    }
  });

  test('weights behind a symbolic link (a Hugging Face snapshot) load from where the link points', async () => {
    const snapshot = join(root, 'snapshot');
    buildTinySdxl(snapshot, { externalDataFor: ['unet'], seed: 9 });
    const blobs = join(root, 'blobs');
    mkdirSync(blobs);
    renameSync(join(snapshot, 'unet', 'model.onnx_data'), join(blobs, '5f1c0ffee'));
    symlinkSync(join(blobs, '5f1c0ffee'), join(snapshot, 'unet', 'model.onnx_data'));
    const model = await seamlessModel(join(snapshot, 'unet', 'model.onnx'), 'y', cacheDir);
    assert.equal(model.externalDataDir, blobs);
    const engine = new Engine({ provider: 'cpu', lowMemory: false, seamlessCacheDir: cacheDir });
    after(() => engine.unload());
    const image = await engine.generate({ modelDir: snapshot, prompt: 'a brick wall', width: 64, height: 64, steps: 2, seed: 1, tiling: 'y' });
    assert.equal(image.recipe.tiling, 'y');
  });
});
