// Tiled VAE decoding and encoding against diffusers' own AutoencoderKL.tiled_decode and
// _tiled_encode on the shared tiny SDXL VAE (test/fixtures/vaeTiling/make_reference.py), then
// the tile geometry on its own, the option through the engine, its recipe and cancellation.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../src/engine/engine';
import { CancelledError, EngineError } from '../../src/engine/errors';
import { readModelFolder } from '../../src/engine/models/modelFolder';
import { decodeLatents } from '../../src/engine/pipelines/stages';
import { runVaeEncoder } from '../../src/engine/pipelines/vaeRuns';
import {
  decodeTilePlan,
  encodeTilePlan,
  runTiled,
  tileCount,
  tileStarts,
  type TensorData,
} from '../../src/engine/image/vaeTiles';
import { decoderActivationBytes, vaeDecodeMemory, vaeEncodeMemory, vaeTilingFor } from '../../src/engine/image/vaeMemory';
import { TorchGenerator } from '../../src/engine/random/torchGenerator';
import { ModelSessions } from '../../src/engine/runtime/modelSessions';
import { maxAbsDiff } from '../support/maxAbsDiff';
import { readNpy } from '../support/npy';
import { fixtureDir } from '../support/sdxlTinyFixture';
import { repoRoot, skipWithoutShared } from '../support/shared';
import { buildTinySdxl } from '../support/tinyModels';

const referenceDir = join(repoRoot, 'test', 'fixtures', 'vaeTiling');
const skip = skipWithoutShared('reference', 'sdxl-tiny', 'model', 'vae_decoder', 'model.onnx');

interface ReferenceCase {
  id: string;
  kind: 'decode' | 'encode';
  tile_size: number;
  seed: number;
  input_shape: number[];
  output_shape: number[];
  tiles: number;
  output: string;
}

const reference = JSON.parse(readFileSync(join(referenceDir, 'vae_tiling_reference.json'), 'utf8')) as { cases: ReferenceCase[] };

/**
 * ONNX Runtime's kernels against PyTorch's on the same weights, max abs over the VAE's output:
 * measured 2.7e-6 (decode) and 1.4e-6 (encode) on the CPU; the sdxl-tiny fixture allows 1e-3 for a whole pipeline.
 */
const TOLERANCE = 2e-5;

/** The case's input as the script drew it: randn from a CPU generator; encode inputs as clamp(0.5·randn, −1, 1). */
function caseInput(c: ReferenceCase): Float32Array {
  const values = new TorchGenerator(c.seed).randn(c.input_shape);
  if (c.kind === 'decode') return values;
  return values.map((v) => Math.min(1, Math.max(-1, Math.fround(0.5 * v))));
}

/** The first `channels` channels of a [1,C,H,W] tensor. */
function leadingChannels(data: Float32Array, shape: readonly number[], channels: number): Float32Array {
  return data.subarray(0, channels * shape[2] * shape[3]);
}

describe('tiled VAE matches diffusers on the tiny SDXL VAE', { skip }, () => {
  let work = '';
  let sessions: ModelSessions;
  let parametersSessions: ModelSessions;

  before(() => {
    const model = join(fixtureDir, 'model');
    sessions = new ModelSessions(readModelFolder(model), 'cpu', false);
    // The Optimum >= 1.23 export: the encoder returns mean ‖ logvar, the channels diffusers blends.
    work = mkdtempSync(join(tmpdir(), 'sdxl-vae-tiling-'));
    cpSync(model, join(work, 'model'), { recursive: true });
    cpSync(join(fixtureDir, 'variants', 'vae_encoder_latent_parameters', 'vae_encoder'), join(work, 'model', 'vae_encoder'), { recursive: true });
    parametersSessions = new ModelSessions(readModelFolder(join(work, 'model')), 'cpu', false);
  });

  after(async () => {
    await sessions.dispose();
    await parametersSessions.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  for (const c of reference.cases.filter((each) => each.kind === 'decode')) {
    test(`${c.id}: ${c.tiles} tiles of ${c.tile_size} px`, async () => {
      const expected = readNpy(join(referenceDir, c.output));
      const latents = caseInput(c);
      const tiles: number[] = [];
      const decoded = await decodeLatents(sessions, latents, c.input_shape, { tileSize: c.tile_size }, {
        onTile: ({ component, tile, total }) => {
          assert.equal(component, 'vae_decoder');
          assert.equal(total, c.tiles);
          tiles.push(tile);
        },
      });
      assert.deepEqual(tiles, Array.from({ length: c.tiles }, (_, i) => i + 1));
      const error = maxAbsDiff(decoded, expected.data);
      console.log(`${c.id}: max abs error ${error.toExponential(2)} over ${c.tiles} tiles`);
      assert.ok(error < TOLERANCE, `${c.id}: tiled decode differs from diffusers by ${error}`);
      // A decode in one piece is what the tiles replace; it must be told apart, or the check above proves nothing.
      const whole = await decodeLatents(sessions, latents, c.input_shape);
      assert.ok(maxAbsDiff(whole, expected.data) > 100 * TOLERANCE, `${c.id}: the tiles changed nothing`);
    });
  }

  for (const c of reference.cases.filter((each) => each.kind === 'encode')) {
    test(`${c.id}: ${c.tiles} tiles of ${c.tile_size} px, mean and logvar`, async () => {
      const expected = readNpy(join(referenceDir, c.output));
      assert.deepEqual(expected.shape, c.output_shape);
      const pixels = { data: caseInput(c), shape: c.input_shape };
      const tiling = { tileSize: c.tile_size };

      const parameters = await runVaeEncoder(parametersSessions, pixels, tiling);
      assert.equal(parameters.output, 'latent_parameters');
      assert.deepEqual(parameters.shape, c.output_shape);
      const parametersError = maxAbsDiff(parameters.data, expected.data);
      assert.ok(parametersError < TOLERANCE, `${c.id}: tiled latent_parameters differ by ${parametersError}`);

      const mean = await runVaeEncoder(sessions, pixels, tiling);
      assert.equal(mean.output, 'latent_sample');
      const meanError = maxAbsDiff(mean.data, leadingChannels(expected.data, expected.shape, mean.shape[1]));
      console.log(`${c.id}: max abs error ${parametersError.toExponential(2)} (parameters), ${meanError.toExponential(2)} (mean)`);
      assert.ok(meanError < TOLERANCE, `${c.id}: tiled latent_sample differs by ${meanError}`);

      const whole = await runVaeEncoder(parametersSessions, pixels, undefined);
      assert.ok(maxAbsDiff(whole.data, expected.data) > 100 * TOLERANCE, `${c.id}: the tiles changed nothing`);
    });
  }
});

describe('tile geometry', () => {
  test("diffusers' numbers for SDXL's 1024 px tile and the smallest, 32 px", () => {
    assert.deepEqual(decodeTilePlan(1024, 8), { tile: 128, stride: 96, blend: 256, keep: 768, scale: 8 });
    assert.deepEqual(encodeTilePlan(1024, 8), { tile: 1024, stride: 768, blend: 32, keep: 96, scale: 1 / 8 });
    assert.deepEqual(decodeTilePlan(32, 8), { tile: 4, stride: 3, blend: 8, keep: 24, scale: 8 });
    assert.deepEqual(tileStarts(13, 6), [0, 6, 12]);
    // SDXL at 2048×1536: latents 256×192 in tiles of 128 every 96.
    assert.equal(tileCount(decodeTilePlan(1024, 8), 192, 256), 2 * 3);
  });

  /** A stand-in VAE whose output at each cell depends only on the input cell under it, so tiles must agree where they overlap. */
  const upsample = async (tile: TensorData): Promise<TensorData> => {
    const [, channels, height, width] = tile.shape;
    const out = new Float32Array(channels * height * 8 * width * 8);
    for (let ch = 0; ch < channels; ch++) {
      for (let y = 0; y < height * 8; y++) {
        for (let x = 0; x < width * 8; x++) {
          out[(ch * height * 8 + y) * width * 8 + x] = tile.data[(ch * height + (y >> 3)) * width + (x >> 3)];
        }
      }
    }
    return { data: out, shape: [1, channels, height * 8, width * 8] };
  };

  for (const [height, width, tileSize] of [
    [8, 13, 64],
    [16, 9, 32],
    [11, 11, 64],
    [5, 23, 32],
  ]) {
    test(`${height}×${width} latents in ${tileSize} px tiles land where a whole decode puts them`, async () => {
      const shape = [1, 2, height, width];
      const input = { data: new TorchGenerator(height * width).randn(shape), shape };
      const whole = await upsample(input);
      const tiled = await runTiled(input, decodeTilePlan(tileSize, 8), upsample);
      assert.deepEqual(tiled.shape, whole.shape);
      // Blending a value with itself moves it by float32 rounding at most.
      assert.ok(maxAbsDiff(tiled.data, whole.data) < 1e-6);
    });
  }

  test('cancelling during a tile stops before the next one', async () => {
    const controller = new AbortController();
    const shape = [1, 1, 16, 16];
    let ran = 0;
    const started: number[] = [];
    const run = runTiled(
      { data: new Float32Array(256), shape },
      decodeTilePlan(32, 8),
      async (tile) => {
        if (++ran === 2) controller.abort();
        return upsample(tile);
      },
      { signal: controller.signal, onTile: (tile) => started.push(tile) },
    );
    await assert.rejects(run, CancelledError);
    assert.equal(ran, 2);
    assert.deepEqual(started, [1, 2]);
  });
});

describe('VAE memory estimate', () => {
  // stabilityai/stable-diffusion-xl-base-1.0's vae/config.json.
  const sdxl = { blockOutChannels: [128, 256, 512, 512], latentChannels: 4, scaleFactor: 8, sampleSize: 1024 };
  const GiB = 2 ** 30;

  test('a whole decode grows with the area; tiles bound it by the tile', () => {
    const at1024 = decoderActivationBytes(sdxl, 1024, 1024);
    assert.ok(decoderActivationBytes(sdxl, 2048, 2048) >= 4 * at1024);
    const big = vaeDecodeMemory(sdxl, 2048, 2048);
    assert.equal(big.tileSize, 1024);
    assert.equal(big.tiles, 9);
    assert.ok(big.tiled < big.whole / 3, `${big.tiled / GiB} GiB tiled against ${big.whole / GiB} GiB whole`);
    // No side above the tile: diffusers does not tile, so neither does the estimate.
    const small = vaeDecodeMemory(sdxl, 1024, 768);
    assert.deepEqual([small.tiles, small.tiled], [1, small.whole]);
    const half = vaeDecodeMemory(sdxl, 1024, 1024, 512, 2);
    assert.ok(half.tiled < half.whole && half.tiles === 9);
  });

  test('encoding is estimated the same way', () => {
    const encode = vaeEncodeMemory(sdxl, 2048, 1024);
    // range(0, 1024, 768) is two rows, the second a 256 px sliver, as in diffusers.
    assert.equal(encode.tiles, 6);
    assert.ok(encode.tiled < encode.whole);
  });

  test('vaeTilingFor tiles only what does not fit, with the largest tile that does', () => {
    const need = decoderActivationBytes(sdxl, 1024, 1024);
    assert.equal(vaeTilingFor(sdxl, 1024, 1024, need), undefined);
    const tiling = vaeTilingFor(sdxl, 1024, 1024, need / 3);
    assert.ok(tiling !== undefined && tiling.tileSize < 1024 && tiling.tileSize % 32 === 0, JSON.stringify(tiling));
    assert.ok(vaeDecodeMemory(sdxl, 1024, 1024, tiling.tileSize).tiled <= need / 3);
    const larger = vaeDecodeMemory(sdxl, 1024, 1024, tiling.tileSize + 32).tiled;
    assert.ok(larger > need / 3, 'a larger tile would have fitted');
    // Nothing fits: the smallest tile, the least that can be done.
    assert.deepEqual(vaeTilingFor(sdxl, 1024, 1024, 1), { tileSize: 32 });
  });
});

describe('the vaeTiling option through the engine', () => {
  let work = '';
  let model = '';
  let engine: Engine;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'sdxl-vae-tiling-engine-'));
    model = join(work, 'tiny-sdxl');
    buildTinySdxl(model);
    engine = new Engine({ provider: 'cpu', lowMemory: false });
  });

  after(async () => {
    await engine.unload();
    rmSync(work, { recursive: true, force: true });
  });

  const request = (extra: object) => ({ modelDir: model, prompt: 'a red fox', steps: 2, seed: 7, width: 96, height: 64, ...extra });

  test('a tiled image records its tiling, and its recipe gives the same bytes again', async () => {
    const tiled = await engine.generate(request({ vaeTiling: { tileSize: 32 } }));
    assert.deepEqual(tiled.recipe.vaeTiling, { tileSize: 32 });
    const again = await engine.generate({ ...tiled.recipe, modelDir: model });
    assert.deepEqual(Buffer.from(again.rgb), Buffer.from(tiled.rgb));
    const whole = await engine.generate(request({}));
    assert.equal(whole.recipe.vaeTiling, undefined);
    assert.notDeepEqual(Buffer.from(whole.rgb), Buffer.from(tiled.rgb));
  });

  test("tiling without a size takes the VAE config's sample_size, and is left out where no tile splits", async () => {
    const folder = readModelFolder(model);
    const tileSize = folder.vae.sampleSize;
    const large = await engine.generate(request({ vaeTiling: {}, width: tileSize + 32, height: 64 }));
    assert.deepEqual(large.recipe.vaeTiling, { tileSize });
    const small = await engine.generate(request({ vaeTiling: {}, width: tileSize, height: tileSize }));
    assert.equal(small.recipe.vaeTiling, undefined);
  });

  test('image-to-image encodes in tiles too', async () => {
    const source = await engine.generate(request({}));
    const { writeImage } = await import('../../src/engine/image/writeImage');
    const path = await writeImage(join(work, 'source.png'), source.rgb, source.width, source.height, { format: 'png' });
    const encoded: string[] = [];
    const image = await engine.generate(request({ initImage: path, strength: 0.5, steps: 4, vaeTiling: { tileSize: 32 } }), {
      onTile: ({ component }) => encoded.push(component),
    });
    assert.deepEqual(image.recipe.vaeTiling, { tileSize: 32 });
    assert.ok(encoded.includes('vae_encoder') && encoded.includes('vae_decoder'), encoded.join());
  });

  test('a tile size off the 32 px grid is refused', async () => {
    await assert.rejects(engine.generate(request({ vaeTiling: { tileSize: 40 } })), (error: unknown) => {
      assert.ok(error instanceof EngineError);
      assert.equal(error.code, 'bad-request');
      assert.match(error.message, /VAE tile size 40 is not a multiple of 32 pixels.*try 32 or 64/);
      return true;
    });
  });
});
