// Model families on the test suite's tiny models: detection, each family's defaults and
// conditioning, and an SD 2.x v-prediction run with Karras sigmas checked step by step against
// the published formulas, computed here in float64 from the raw ONNX sessions.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { Engine, type GenerateRequest } from '../../src/engine/engine';
import { EngineError } from '../../src/engine/errors';
import { familyLabel, readModelFolder } from '../../src/engine/models/modelFolder';
import { rescaleNoiseCfg } from '../../src/engine/pipelines/denoiseLoop';
import { resolveSettings } from '../../src/engine/models/generationSettings';
import { guidanceScaleEmbedding } from '../../src/engine/pipelines/stages';
import { TorchGenerator } from '../../src/engine/random/torchGenerator';
import { ClipTokenizer } from '../../src/engine/text/clipTokenizer';
import { maxAbsDiff } from '../support/maxAbsDiff';
import { tempFolder } from '../support/tempFolder';
import { tinyModelFolders } from '../support/tinyModelFolders';
import {
  buildTinySd,
  buildTinySdxl,
  buildTinySdxlRefiner,
  LCM_SCHEDULER_CONFIG,
  TURBO_SCHEDULER_CONFIG,
} from '../support/tinyModels';

const engine = new Engine({ provider: 'cpu', lowMemory: false });
// Before the folder's removal: the engine lets go of the model files first.
after(() => engine.unload());
const work = tempFolder('sdxl-families');
const dirs = tinyModelFolders(work, {
  sd15: (dir) => buildTinySd(dir, { version: 1 }),
  sd2v: (dir) => buildTinySd(dir, { version: 2, sampleSize: 12 }),
  sdTurbo: (dir) => buildTinySd(dir, { version: 2, scheduler: TURBO_SCHEDULER_CONFIG }),
  lcm: (dir) => buildTinySd(dir, { version: 1, scheduler: LCM_SCHEDULER_CONFIG, timeCondProjDim: 13 }),
  sdxlTurbo: (dir) => buildTinySdxl(dir, { scheduler: TURBO_SCHEDULER_CONFIG }),
  sdxl: (dir) => buildTinySdxl(dir),
  refiner: (dir) => buildTinySdxlRefiner(dir),
});

async function latents(request: Partial<GenerateRequest> & { modelDir: string }): Promise<Float32Array> {
  const image = await engine.generate({ prompt: 'hello cat', width: 32, height: 32, seed: 5, ...request });
  return image.latents;
}

describe('family detection', () => {
  test('each tiny folder is recognised from its encoders and configs', () => {
    const cases: Array<[keyof typeof dirs, string, string]> = [
      ['sdxl', 'sdxl', 'SDXL'],
      ['sdxlTurbo', 'sdxl', 'SDXL Turbo'],
      ['refiner', 'sdxl-refiner', 'SDXL refiner'],
      ['sd15', 'sd', 'SD 1.x'],
      ['sd2v', 'sd', 'SD 2.x, v-prediction'],
      ['sdTurbo', 'sd', 'SD 2.x Turbo'],
      ['lcm', 'sd', 'SD 1.x LCM'],
    ];
    for (const [key, family, label] of cases) {
      const model = readModelFolder(dirs[key]);
      assert.equal(model.family, family, key);
      assert.equal(familyLabel(model.details), label, key);
    }
    const sd = readModelFolder(dirs.sd15);
    assert.equal(sd.vae.scalingFactor, 0.18215);
    assert.equal(sd.forceZerosForEmptyPrompt, false);
    assert.deepEqual(sd.tokenizerDirs, [join(dirs.sd15, 'tokenizer')]);
    assert.equal(readModelFolder(dirs.lcm).details.timeCondProjDim, 13);
    assert.deepEqual(readModelFolder(dirs.refiner).tokenizerDirs, [join(dirs.refiner, 'tokenizer_2')]);
  });

  test("defaults follow the family: Turbo 1 step without guidance (2 for img2img at 0.5), LCM 4, SD guidance 7.5", () => {
    const defaults = (key: keyof typeof dirs, extra: { initImage?: string; strength?: number } = {}) => {
      const s = resolveSettings({ prompt: 'x', seed: 1, ...extra }, readModelFolder(dirs[key]), extra.initImage ? { width: 64, height: 64 } : undefined);
      return [s.steps, s.guidance, s.sampler, s.width];
    };
    assert.deepEqual(defaults('sdxlTurbo'), [1, 0, 'euler-a', 64]);
    assert.deepEqual(defaults('sdTurbo'), [1, 0, 'euler-a', 64]);
    assert.deepEqual(defaults('sdTurbo', { initImage: 'in.png' }), [2, 0, 'euler-a', 64]);
    assert.deepEqual(defaults('sdTurbo', { initImage: 'in.png', strength: 0.3 }), [4, 0, 'euler-a', 64]);
    assert.deepEqual(defaults('lcm'), [4, 8.5, 'lcm', 64]);
    assert.deepEqual(defaults('sd15'), [30, 7.5, 'pndm', 64]);
    assert.deepEqual(defaults('sd2v'), [30, 7.5, 'ddim', 96]);
    assert.deepEqual(defaults('sdxl'), [30, 5, 'euler', 64]);
  });

  test('an SDXL refiner refuses text-to-image on its own, saying what it is for', async () => {
    await assert.rejects(
      engine.generate({ modelDir: dirs.refiner, prompt: 'x', seed: 1 }),
      (error: unknown) =>
        error instanceof EngineError && error.code === 'bad-request' && /refines an existing image/.test(error.message),
    );
  });
});

describe('formulas', () => {
  test('guidanceScaleEmbedding is diffusers get_guidance_scale_embedding (sin ‖ cos, odd widths zero-padded)', () => {
    for (const dim of [12, 13]) {
      const w = 0.5;
      const half = Math.floor(dim / 2);
      const embedding = guidanceScaleEmbedding(w, dim);
      assert.equal(embedding.length, dim);
      for (let i = 0; i < half; i++) {
        const arg = w * 1000 * Math.exp((-i * Math.log(10000)) / (half - 1));
        assert.ok(Math.abs(embedding[i] - Math.sin(arg)) < 1e-4, `sin ${i}`);
        assert.ok(Math.abs(embedding[half + i] - Math.cos(arg)) < 1e-4, `cos ${i}`);
      }
      if (dim % 2 === 1) assert.equal(embedding[dim - 1], 0);
    }
  });

  test('rescaleNoiseCfg is φ·guided·std(cond)/std(guided) + (1−φ)·guided with unbiased std', () => {
    const cond = Float32Array.from([1, -2, 0.5, 3]);
    const guided = Float32Array.from([2, -5, 1, 7]);
    const std = (x: Float32Array) => {
      const mean = x.reduce((a, b) => a + b, 0) / x.length;
      return Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / (x.length - 1));
    };
    const ratio = std(cond) / std(guided);
    const out = rescaleNoiseCfg(guided, cond, 0.7);
    guided.forEach((g, i) => assert.ok(Math.abs(out[i] - (0.7 * g * ratio + 0.3 * g)) < 1e-5, `${i}`));
  });
});

describe('SD 2.x v-prediction with Karras sigmas', () => {
  /**
   * The expected latents from first principles: scaled_linear betas (DDPM, Ho et al. 2020),
   * σ_t = sqrt((1−ᾱ_t)/ᾱ_t); Karras et al. 2022 eq. 5 sigmas with ρ = 7 between σ(0) and σ(999)
   * (diffusers' Euler default spacing, linspace, ends there);
   * each σ's timestep by interpolation in log σ; x0 = x/(σ²+1) − σ·v/sqrt(σ²+1) for
   * v-prediction (Salimans & Ho 2022 in the σ parametrisation); Euler steps; classifier-free
   * guidance on the text encoder's last hidden state with '' as negative; guidance_rescale
   * (Lin et al. 2023). Everything in float64 from the raw ONNX sessions.
   */
  async function expectedLatents(
    steps: number,
    guidance: number,
    rescale: number,
  ): Promise<{ latents: Float64Array; tolerance: number }> {
    const dir = dirs.sd2v;
    const textEncoder = await InferenceSession.create(join(dir, 'text_encoder', 'model.onnx'));
    const unet = await InferenceSession.create(join(dir, 'unet', 'model.onnx'));
    const tokenizer = await ClipTokenizer.fromFolder(join(dir, 'tokenizer'));
    const encode = async (text: string) => {
      const ids = tokenizer.encodeForModel(text);
      const out = await textEncoder.run({ input_ids: new Tensor('int32', Int32Array.from(ids), [1, ids.length]) });
      return out.last_hidden_state.data as Float32Array;
    };
    const cond = await encode('hello cat');
    const uncond = await encode('');

    const betas = Array.from({ length: 1000 }, (_, i) => {
      const root = Math.sqrt(0.00085) + ((Math.sqrt(0.012) - Math.sqrt(0.00085)) * i) / 999;
      return root * root;
    });
    const trainSigmas: number[] = [];
    let alphaBar = 1;
    for (const beta of betas) {
      alphaBar *= 1 - beta;
      trainSigmas.push(Math.sqrt((1 - alphaBar) / alphaBar));
    }
    const logSigmas = trainSigmas.map(Math.log);
    const rho = 7;
    const [minInv, maxInv] = [trainSigmas[0] ** (1 / rho), trainSigmas[999] ** (1 / rho)];
    const sigmas = Array.from({ length: steps }, (_, i) => (maxInv + (i / (steps - 1)) * (minInv - maxInv)) ** rho);
    const timesteps = sigmas.map((sigma) => {
      const log = Math.log(sigma);
      let low = 0;
      while (low < 998 && logSigmas[low + 1] <= log) low++;
      const w = Math.min(1, Math.max(0, (logSigmas[low] - log) / (logSigmas[low] - logSigmas[low + 1])));
      return low + w;
    });
    sigmas.push(0);

    const shape = [1, 4, 4, 4];
    const noise = new TorchGenerator(5).randn(shape);
    // diffusers' EulerDiscreteScheduler.init_noise_sigma is σ_max itself under linspace spacing.
    let x = Float64Array.from(noise, (n) => n * sigmas[0]);
    for (let i = 0; i < steps; i++) {
      const sigma = sigmas[i];
      const scaled = Float32Array.from(x, (v) => v / Math.sqrt(sigma ** 2 + 1));
      const predict = async (context: Float32Array) => {
        const out = await unet.run({
          sample: new Tensor('float32', scaled, shape),
          timestep: new Tensor('float32', Float32Array.from([timesteps[i]]), []),
          encoder_hidden_states: new Tensor('float32', context, [1, 77, context.length / 77]),
        });
        return out.out_sample.data as Float32Array;
      };
      const c = await predict(cond);
      const u = await predict(uncond);
      const guided = Array.from(c, (cv, k) => u[k] + guidance * (cv - u[k]));
      const std = (values: ArrayLike<number>) => {
        const list = Array.from(values);
        const mean = list.reduce((a, b) => a + b, 0) / list.length;
        return Math.sqrt(list.reduce((a, b) => a + (b - mean) ** 2, 0) / (list.length - 1));
      };
      const ratio = std(c) / std(guided);
      const v = guided.map((g) => rescale * g * ratio + (1 - rescale) * g);
      x = x.map((xv, k) => {
        const x0 = xv / (sigma ** 2 + 1) - (sigma * v[k]) / Math.sqrt(sigma ** 2 + 1);
        return xv + ((xv - x0) / sigma) * (sigmas[i + 1] - sigma);
      });
    }
    await textEncoder.release();
    await unet.release();
    // The engine keeps latents in float32, whose rounding at the start (|x| up to σ_max·|noise|,
    // about 40) is what bounds the agreement; a wrong formula is off by the latents' own size.
    const start = sigmas[0] * Math.max(...Array.from(noise, Math.abs));
    return { latents: x, tolerance: 1e-5 * start };
  }

  test('the engine follows the formulas step for step', async () => {
    const expected = await expectedLatents(3, 4, 0.7);
    const actual = await latents({ modelDir: dirs.sd2v, sampler: 'euler', karras: true, steps: 3, guidance: 4, guidanceRescale: 0.7 });
    const error = maxAbsDiff(actual, expected.latents);
    assert.ok(error < expected.tolerance, `latents differ by ${error} (tolerance ${expected.tolerance})`);
  });

  test('without the rescale the result changes, so the check above exercises it', async () => {
    const expected = await expectedLatents(3, 4, 0);
    const actual = await latents({ modelDir: dirs.sd2v, sampler: 'euler', karras: true, steps: 3, guidance: 4 });
    const error = maxAbsDiff(actual, expected.latents);
    assert.ok(error < expected.tolerance, `latents differ by ${error} (tolerance ${expected.tolerance})`);
    const rescaled = await latents({ modelDir: dirs.sd2v, sampler: 'euler', karras: true, steps: 3, guidance: 4, guidanceRescale: 0.7 });
    assert.ok(maxAbsDiff(actual, rescaled) > 10 * expected.tolerance);
  });
});

describe('conditioning per family', () => {
  test("SD encodes '' when no negative is given (no force_zeros), and a negative changes the result", async () => {
    const none = await latents({ modelDir: dirs.sd15, steps: 2, guidance: 5, negativePrompt: null });
    const empty = await latents({ modelDir: dirs.sd15, steps: 2, guidance: 5, negativePrompt: '' });
    const other = await latents({ modelDir: dirs.sd15, steps: 2, guidance: 5, negativePrompt: 'bat' });
    assert.deepEqual(none, empty);
    assert.ok(maxAbsDiff(none, other) > 1e-4);
  });

  test('Turbo at guidance 0 skips the negative branch: the negative prompt changes nothing', async () => {
    for (const modelDir of [dirs.sdTurbo, dirs.sdxlTurbo]) {
      const a = await latents({ modelDir, negativePrompt: 'bat' });
      const b = await latents({ modelDir, negativePrompt: null });
      assert.deepEqual(a, b);
    }
  });

  test('an LCM UNet takes guidance as a timestep_cond embedding, never as a negative branch', async () => {
    const a = await latents({ modelDir: dirs.lcm, guidance: 8.5, negativePrompt: 'bat' });
    const b = await latents({ modelDir: dirs.lcm, guidance: 8.5, negativePrompt: null });
    const c = await latents({ modelDir: dirs.lcm, guidance: 2 });
    assert.deepEqual(a, b);
    assert.ok(maxAbsDiff(a, c) > 1e-4);
  });

  test('Turbo image-to-image whose steps × strength is below 1 names the steps needed', async () => {
    const input = join(work, 'input.png');
    const image = await engine.generate({ modelDir: dirs.sdTurbo, prompt: 'cat', width: 32, height: 32, seed: 1 });
    const { writeImage } = await import('../../src/engine/image/writeImage');
    await writeImage(input, image.rgb, image.width, image.height, { format: 'png', recipe: image.recipe });
    await assert.rejects(
      engine.generate({ modelDir: dirs.sdTurbo, prompt: 'cat', seed: 1, initImage: input, steps: 1, strength: 0.5 }),
      (error: unknown) => error instanceof EngineError && /use at least 2 steps/.test(error.message),
    );
    const ok = await engine.generate({ modelDir: dirs.sdTurbo, prompt: 'cat', seed: 1, initImage: input });
    assert.equal(ok.recipe.steps, 2);
    assert.equal(ok.recipe.strength, 0.5);
  });
});

describe('prompt weighting in the pipelines', () => {
  test('on, an unweighted prompt under 75 tokens gives exactly what diffusers parity gives', async () => {
    for (const modelDir of [dirs.sd15, dirs.sdxl]) {
      const off = await latents({ modelDir, steps: 2, guidance: 5, negativePrompt: 'bat' });
      const on = await latents({ modelDir, steps: 2, guidance: 5, negativePrompt: 'bat', promptWeighting: true });
      assert.deepEqual(on, off);
    }
  });

  test('weights change the result only when on', async () => {
    for (const modelDir of [dirs.sd15, dirs.sdxl]) {
      const plain = await latents({ modelDir, steps: 2, guidance: 5, prompt: 'hello cat' });
      const weighted = await latents({ modelDir, steps: 2, guidance: 5, prompt: 'hello (cat:1.5)', promptWeighting: true });
      assert.ok(maxAbsDiff(plain, weighted) > 1e-5);
    }
  });

  test('a prompt past 75 tokens is encoded in chunks when on, and cut at 77 when off', async () => {
    const long = `${Array(74).fill('cat').join(' ')} hello hello hello`;
    const cut = `${Array(74).fill('cat').join(' ')} hello`;
    for (const modelDir of [dirs.sd15, dirs.sdxl]) {
      const off = await latents({ modelDir, steps: 2, guidance: 5, prompt: long });
      const truncated = await latents({ modelDir, steps: 2, guidance: 5, prompt: cut });
      assert.deepEqual(off, truncated);
      const on = await latents({ modelDir, steps: 2, guidance: 5, prompt: long, promptWeighting: true });
      assert.ok(maxAbsDiff(on, off) > 1e-6);
    }
  });
});
