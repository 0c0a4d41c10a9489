// The pndm sampler (diffusers' PNDMScheduler) without diffusers: its config, its timesteps as
// diffusers' numpy builds them, every kind of step against formula (9) of the PNDM paper and the
// Adams–Bashforth / Runge–Kutta weights computed here in float64, image-to-image, and a run
// through the built CLI on the tiny SD 1.5 model. pndmReference.test.ts checks diffusers' numbers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import sharp from 'sharp';
import { formatA1111Parameters, parseA1111Parameters } from '../../src/engine/image/a1111Parameters';
import { readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { DenoisedEstimate } from '../../src/engine/pipelines/denoisedEstimate';
import type { TorchGenerator } from '../../src/engine/random/torchGenerator';
import type { Recipe } from '../../src/protocol/recipe';
import { createScheduler, type Scheduler } from '../../src/engine/schedulers/scheduler';
import { resolveSchedulerConfig, SCHEDULER_DEFAULTS } from '../../src/engine/schedulers/schedulerConfig';
import { roundHalfEven } from '../../src/engine/schedulers/timesteps';
import { runCli } from '../support/cli';
import { assertClose, scaledLinearAlphaBar } from '../support/schedulerChecks';
import { tempFolder } from '../support/tempFolder';
import { buildTinySd, SD15_SCHEDULER_CONFIG } from '../support/tinyModels';

/** runwayml/stable-diffusion-v1-5's scheduler_config.json: no timestep_spacing, so the class default. */
const SD15 = SD15_SCHEDULER_CONFIG;
const PRK = { ...SD15, skip_prk_steps: false };

/**
 * The hand formulas take ᾱ in plain float64 while diffusers' is float32; the difference grows
 * to ~1e-5 where 1 − ᾱ is small. A wrong formula is off by far more.
 */
const HAND_TOLERANCE = 1e-4;
const assertFormula = (actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void => {
  assertClose(actual, expected, what, 1, HAND_TOLERANCE);
};

const ALPHA_BAR = scaledLinearAlphaBar();
/** ᾱ past t = 0 with set_alpha_to_one false: ᾱ_0. */
const alphaBarAt = (t: number): number => (t >= 0 ? ALPHA_BAR[t] : ALPHA_BAR[0]);

/**
 * Formula (9) of Liu et al. 2022 (PNDM) as the paper writes it, the transfer from x_t with ε to
 * t − δ: x + (ᾱ' − ᾱ)·(x / (√ᾱ(√ᾱ + √ᾱ')) − ε / (√ᾱ(√((1 − ᾱ')ᾱ) + √((1 − ᾱ)ᾱ')))).
 */
function transfer(x: ArrayLike<number>, eps: ArrayLike<number>, t: number, prevT: number): number[] {
  const a = alphaBarAt(t);
  const ap = alphaBarAt(prevT);
  const xScale = 1 / (Math.sqrt(a) * (Math.sqrt(a) + Math.sqrt(ap)));
  const epsScale = 1 / (Math.sqrt(a) * (Math.sqrt((1 - ap) * a) + Math.sqrt((1 - a) * ap)));
  return Array.from(x, (xk, k) => xk + (ap - a) * (xScale * xk - epsScale * eps[k]));
}

/** Σ wᵢ·outputsᵢ elementwise. */
function combine(weights: number[], outputs: ArrayLike<number>[]): number[] {
  return Array.from(outputs[0], (_, k) => weights.reduce((sum, w, i) => sum + w * outputs[i][k], 0));
}

/** A generator that must not be used: PNDM never draws. */
const NO_RANDOM = {
  randn(): Float32Array {
    throw new Error('the pndm sampler drew noise');
  },
} as unknown as TorchGenerator;
const SHAPE = [1, 1, 1, 3] as const;
const SAMPLE = Float32Array.of(1, -2, 0.5);
/** A different model output for every call, so that each weight shows. */
const outputFor = (call: number): Float32Array => Float32Array.of(0.3 + 0.1 * call, -0.2 * call + 0.05, 1 - 0.15 * call);

/** Runs the schedule with outputFor(i) at call i, returning what every call returned. */
function runCalls(scheduler: Scheduler, start: Float32Array = SAMPLE, beginIndex = 0): Float32Array[] {
  const returned: Float32Array[] = [];
  let latents = start;
  scheduler.timesteps.subarray(beginIndex).forEach((t, i) => {
    latents = scheduler.step(outputFor(i), t, scheduler.scaleModelInput(latents, t), NO_RANDOM, SHAPE);
    returned.push(latents);
  });
  return returned;
}

describe('pndm config', () => {
  test("missing keys take PNDMScheduler.__init__'s defaults, which include no rescale_betas_zero_snr", () => {
    assert.deepEqual(resolveSchedulerConfig('pndm', {}), {
      num_train_timesteps: 1000,
      beta_start: 0.0001,
      beta_end: 0.02,
      beta_schedule: 'linear',
      trained_betas: null,
      skip_prk_steps: false,
      set_alpha_to_one: false,
      prediction_type: 'epsilon',
      timestep_spacing: 'leading',
      steps_offset: 0,
    });
    assert.deepEqual(resolveSchedulerConfig('pndm', SCHEDULER_DEFAULTS.pndm), SCHEDULER_DEFAULTS.pndm);
  });

  test("SD 1.5's file: its keys win, the spacing is the class default, other classes' keys are ignored", () => {
    const config = resolveSchedulerConfig('pndm', { ...SD15, rescale_betas_zero_snr: true, use_karras_sigmas: true });
    assert.deepEqual(
      [config.skip_prk_steps, config.steps_offset, config.beta_schedule, config.timestep_spacing],
      [true, 1, 'scaled_linear', 'leading'],
    );
    for (const key of ['clip_sample', 'rescale_betas_zero_snr', 'use_karras_sigmas', '_class_name']) assert.equal(key in config, false, key);
    assert.throws(() => resolveSchedulerConfig('pndm', { skip_prk_steps: 'yes' }), /skip_prk_steps must be true or false/);
  });

  test('Karras is refused as for the other samplers without use_karras_sigmas; prediction "sample" is unsupported', () => {
    assert.throws(() => createScheduler('pndm', SD15, { karras: true }), /Karras sigmas are not available with the pndm sampler/);
    assert.doesNotThrow(() => createScheduler('pndm', SD15, { karras: false }));
    assert.equal(createScheduler('pndm', SD15, { timestepSpacing: 'trailing' }).config.timestep_spacing, 'trailing');
    assert.throws(() => createScheduler('pndm', { ...SD15, prediction_type: 'sample' }), /prediction_type "sample"/);
  });

  test("the previews' denoised estimate reads the pndm config (no rescale_betas_zero_snr there)", () => {
    const x0 = Float32Array.of(0.5, -1, 2);
    const eps = Float32Array.of(1, 0.25, -0.5);
    const a = ALPHA_BAR[500];
    const input = x0.map((x, k) => Math.sqrt(a) * x + Math.sqrt(1 - a) * eps[k]);
    const v = x0.map((x, k) => Math.sqrt(a) * eps[k] - Math.sqrt(1 - a) * x);
    for (const [prediction, output] of [['epsilon', eps], ['v_prediction', v]] as const) {
      const scheduler = createScheduler('pndm', { ...SD15, prediction_type: prediction });
      assertFormula(new DenoisedEstimate(scheduler).estimate(input, output, 500), x0, prediction);
    }
  });

  test('AUTOMATIC1111 calls it PLMS, both ways', () => {
    const recipe: Recipe = {
      version: 1, model: 'sd15', prompt: 'a fox', negativePrompt: null, width: 512, height: 512, steps: 20,
      guidance: 7.5, sampler: 'pndm', karras: false, timestepSpacing: null, seed: 1,
    };
    const text = formatA1111Parameters(recipe);
    assert.match(text, /Sampler: PLMS, Schedule type: Automatic/);
    assert.equal(parseA1111Parameters(text).sampler, 'pndm');
  });
});

/**
 * PNDMScheduler.set_timesteps' numpy, transcribed independently of the port:
 *   linspace: ts = np.linspace(0, N − 1, n).round() (last pinned to N − 1, one step is [0])
 *   leading: ts = np.arange(0, n) * (N // n) + steps_offset
 *   trailing: ts = np.round(np.arange(N, 0, −N / n))[::-1] − 1
 *   skip_prk_steps: np.concatenate([ts[:-1], ts[-2:-1], ts[-1:]])[::-1]
 *   otherwise: prk = ts[-4:].repeat(2) + np.tile([0, N // n // 2], 4); prk = prk[:-1].repeat(2)[1:-1][::-1];
 *              np.concatenate([prk, ts[:-3][::-1]])  (numpy cannot broadcast for n < 4)
 */
function numpyTimesteps(spacing: 'linspace' | 'leading' | 'trailing', n: number, skipPrk: boolean, offset: number): number[] {
  const N = 1000;
  const range = Array.from({ length: n }, (_, i) => i);
  const ts =
    spacing === 'linspace'
      ? range.map((i) => (n === 1 ? 0 : roundHalfEven(i === n - 1 ? N - 1 : i * ((N - 1) / (n - 1)))))
      : spacing === 'leading'
        ? range.map((i) => i * Math.floor(N / n) + offset)
        : range.map((i) => roundHalfEven(N - i * (N / n)) - 1).reverse();
  if (skipPrk) return [...ts.slice(0, -1), ...ts.slice(-2, -1), ...ts.slice(-1)].reverse();
  if (n < 4) throw new Error('operands could not be broadcast together');
  const half = Math.floor(Math.floor(N / n) / 2);
  const paired = ts.slice(-4).flatMap((t) => [t, t + half]);
  const prk = paired.slice(0, -1).flatMap((t) => [t, t]).slice(1, -1).reverse();
  return [...prk, ...ts.slice(0, -3).reverse()];
}

describe('pndm timesteps', () => {
  const timesteps = (config: Record<string, unknown>, n: number): number[] => {
    const scheduler = createScheduler('pndm', config);
    scheduler.setTimesteps(n);
    return [...scheduler.timesteps];
  };

  test('PLMS (skip_prk_steps): the second timestep twice, for the warm-up; one step has no repeat', () => {
    const expected: Record<string, Record<number, number[]>> = {
      leading: {
        1: [1],
        2: [501, 1, 1],
        3: [667, 334, 334, 1],
        4: [751, 501, 501, 251, 1],
        10: [901, 801, 801, 701, 601, 501, 401, 301, 201, 101, 1],
      },
      linspace: {
        1: [0],
        2: [999, 0, 0],
        3: [999, 500, 500, 0],
        4: [999, 666, 666, 333, 0],
        10: [999, 888, 888, 777, 666, 555, 444, 333, 222, 111, 0],
      },
      trailing: {
        1: [999],
        2: [999, 499, 499],
        3: [999, 666, 666, 332],
        4: [999, 749, 749, 499, 249],
        10: [999, 899, 899, 799, 699, 599, 499, 399, 299, 199, 99],
      },
    };
    for (const [spacing, bySteps] of Object.entries(expected)) {
      for (const [n, values] of Object.entries(bySteps)) {
        assert.deepEqual(timesteps({ ...SD15, timestep_spacing: spacing }, Number(n)), values, `${spacing}/${n}`);
      }
    }
  });

  test('PRK: twelve Runge–Kutta calls over the top three intervals, then PLMS from the fourth timestep', () => {
    const expected: Record<string, Record<number, number[]>> = {
      leading: {
        4: [751, 626, 626, 501, 501, 376, 376, 251, 251, 126, 126, 1, 1],
        10: [901, 851, 851, 801, 801, 751, 751, 701, 701, 651, 651, 601, 601, 501, 401, 301, 201, 101, 1],
      },
      // The midpoints are the lower end + N // n // 2, whatever the spacing.
      linspace: {
        4: [999, 791, 791, 666, 666, 458, 458, 333, 333, 125, 125, 0, 0],
        10: [999, 938, 938, 888, 888, 827, 827, 777, 777, 716, 716, 666, 666, 555, 444, 333, 222, 111, 0],
      },
      trailing: {
        4: [999, 874, 874, 749, 749, 624, 624, 499, 499, 374, 374, 249, 249],
        10: [999, 949, 949, 899, 899, 849, 849, 799, 799, 749, 749, 699, 699, 599, 499, 399, 299, 199, 99],
      },
    };
    for (const [spacing, bySteps] of Object.entries(expected)) {
      for (const [n, values] of Object.entries(bySteps)) {
        assert.deepEqual(timesteps({ ...PRK, timestep_spacing: spacing }, Number(n)), values, `${spacing}/${n}`);
      }
      for (const n of [1, 2, 3]) {
        assert.throws(() => timesteps({ ...PRK, timestep_spacing: spacing }, n), /needs at least 4 steps/, `${spacing}/${n}`);
      }
    }
    // The class defaults: PRK, no steps_offset.
    assert.deepEqual(timesteps({}, 4), [750, 625, 625, 500, 500, 375, 375, 250, 250, 125, 125, 0, 0]);
  });

  test("every spacing, with and without PRK, as diffusers' numpy builds it", () => {
    for (const spacing of ['linspace', 'leading', 'trailing'] as const) {
      for (const skipPrk of [true, false]) {
        for (const n of [1, 2, 3, 4, 10, 25, 50]) {
          const config = { ...SD15, timestep_spacing: spacing, skip_prk_steps: skipPrk };
          const what = `${spacing}/${skipPrk ? 'plms' : 'prk'}/${n}`;
          if (!skipPrk && n < 4) {
            assert.throws(() => timesteps(config, n), /needs at least 4 steps/, what);
            continue;
          }
          const expected = numpyTimesteps(spacing, n, skipPrk, 1);
          assert.equal(expected.length, skipPrk ? (n === 1 ? 1 : n + 1) : n + 9, what);
          assert.deepEqual(timesteps(config, n), expected, what);
        }
      }
    }
  });
});

describe('pndm steps, computed by hand', () => {
  test('PLMS: Euler, then Heun from the saved sample, then Adams–Bashforth of order 2, 3 and 4', () => {
    const scheduler = createScheduler('pndm', SD15);
    scheduler.setTimesteps(4);
    assert.deepEqual([...scheduler.timesteps], [751, 501, 501, 251, 1]);
    const got = runCalls(scheduler);
    const e = [0, 1, 2, 3, 4].map(outputFor);
    const x1 = transfer(SAMPLE, e[0], 751, 501);
    assertFormula(got[0], x1, 'call 0: first order');
    // The second call is at 501 but redoes 751 → 501 from the first sample with the mean output.
    const x2 = transfer(SAMPLE, combine([1 / 2, 1 / 2], [e[1], e[0]]), 751, 501);
    assertFormula(got[1], x2, 'call 1: mean of both outputs');
    // The second call's output is not kept in the history.
    const x3 = transfer(got[1], combine([3 / 2, -1 / 2], [e[2], e[0]]), 501, 251);
    assertFormula(got[2], x3, 'call 2: AB2');
    const x4 = transfer(got[2], combine([23 / 12, -16 / 12, 5 / 12], [e[3], e[2], e[0]]), 251, 1);
    assertFormula(got[3], x4, 'call 3: AB3');
    // Past t = 0 the step lands on ᾱ_0 (set_alpha_to_one false).
    const x5 = transfer(got[3], combine([55 / 24, -59 / 24, 37 / 24, -9 / 24], [e[4], e[3], e[2], e[0]]), 1, -249);
    assertFormula(got[4], x5, 'call 4: AB4');
  });

  test('PLMS keeps the latest four outputs: AB4 on a sliding window', () => {
    const scheduler = createScheduler('pndm', SD15);
    scheduler.setTimesteps(10);
    const ts = [...scheduler.timesteps];
    const got = runCalls(scheduler);
    // From call 5 on, the four newest outputs are those of the last four calls (call 1's is never kept).
    for (let call = 5; call < ts.length; call++) {
      const newest = [call, call - 1, call - 2, call - 3].map(outputFor);
      const eps = combine([55 / 24, -59 / 24, 37 / 24, -9 / 24], newest);
      assertFormula(got[call], transfer(got[call - 1], eps, ts[call], ts[call] - 100), `call ${call}`);
    }
  });

  test('v-prediction: ε = √ᾱ·v + √(1 − ᾱ)·x at the start of the transfer, the Heun call included', () => {
    const scheduler = createScheduler('pndm', { ...SD15, prediction_type: 'v_prediction' });
    scheduler.setTimesteps(2);
    assert.deepEqual([...scheduler.timesteps], [501, 1, 1]);
    const got = runCalls(scheduler);
    const epsOf = (v: ArrayLike<number>, x: ArrayLike<number>, t: number): number[] =>
      Array.from(v, (vk, k) => Math.sqrt(ALPHA_BAR[t]) * vk + Math.sqrt(1 - ALPHA_BAR[t]) * x[k]);
    assertFormula(got[0], transfer(SAMPLE, epsOf(outputFor(0), SAMPLE, 501), 501, 1), 'call 0');
    const mean = combine([1 / 2, 1 / 2], [outputFor(1), outputFor(0)]);
    assertFormula(got[1], transfer(SAMPLE, epsOf(mean, SAMPLE, 501), 501, 1), 'call 1');
    const ab2 = combine([3 / 2, -1 / 2], [outputFor(2), outputFor(0)]);
    assertFormula(got[2], transfer(got[1], epsOf(ab2, got[1], 1), 1, -499), 'call 2');
  });

  test('PRK: RK4 weights 1/6, 1/3, 1/3, 1/6, every stage a transfer from the interval start (Algorithm 2), then AB4', () => {
    const scheduler = createScheduler('pndm', PRK);
    scheduler.setTimesteps(4);
    const got = runCalls(scheduler);
    assert.equal(got.length, 13);
    let x: ArrayLike<number> = SAMPLE;
    const intervals: [number, number][] = [
      [751, 501],
      [501, 251],
      [251, 1],
    ];
    intervals.forEach(([t, s], g) => {
      const mid = s + 125;
      const [a, b, c, d] = [0, 1, 2, 3].map((stage) => outputFor(4 * g + stage));
      assertFormula(got[4 * g], transfer(x, a, t, mid), `interval ${g}: to the midpoint with the first output`);
      assertFormula(got[4 * g + 1], transfer(x, b, t, mid), `interval ${g}: to the midpoint with the second`);
      assertFormula(got[4 * g + 2], transfer(x, c, t, s), `interval ${g}: to the end with the third`);
      const rk4 = combine([1 / 6, 1 / 3, 1 / 3, 1 / 6], [a, b, c, d]);
      x = transfer(x, rk4, t, s);
      assertFormula(got[4 * g + 3], x, `interval ${g}: the RK4 step`);
    });
    // The history holds each interval's first output.
    const eps = combine([55 / 24, -59 / 24, 37 / 24, -9 / 24], [outputFor(12), outputFor(8), outputFor(4), outputFor(0)]);
    assertFormula(got[12], transfer(got[11], eps, 1, -249), 'first PLMS call');
  });

  test('image-to-image: add_noise at timesteps[begin]; the warm-up restarts on the slice, as the counter does in diffusers', () => {
    const scheduler = createScheduler('pndm', SD15);
    scheduler.setTimesteps(10);
    // get_timesteps at strength 0.5: t_start = 10 − int(10 · 0.5) = 5, timesteps[5:].
    const begin = 5;
    assert.deepEqual([...scheduler.timesteps.subarray(begin)], [501, 401, 301, 201, 101, 1]);
    scheduler.setBeginIndex(begin);
    const noise = Float32Array.of(0.5, 1, -1);
    const a = ALPHA_BAR[501];
    const noised = scheduler.addNoise(SAMPLE, noise, 501);
    assertFormula(noised, [...SAMPLE].map((x, k) => Math.sqrt(a) * x + Math.sqrt(1 - a) * noise[k]), 'add_noise');
    const got = runCalls(scheduler, noised, begin);
    assertFormula(got[0], transfer(noised, outputFor(0), 501, 401), 'call 0: first order');
    assertFormula(got[1], transfer(noised, combine([0.5, 0.5], [outputFor(1), outputFor(0)]), 501, 401), 'call 1: from the saved sample');
    // Then diffusers steps from the timestep it is given, 301, though the sample sits at 401.
    assertFormula(got[2], transfer(got[1], combine([1.5, -0.5], [outputFor(2), outputFor(0)]), 301, 201), 'call 2');
  });

  test('deterministic and stateless across setTimesteps: no noise, identity input scaling, same results on a rerun', () => {
    const scheduler = createScheduler('pndm', PRK);
    assert.throws(() => scheduler.step(SAMPLE, 1, SAMPLE, NO_RANDOM, SHAPE), /setTimesteps/);
    assert.equal(scheduler.order, 1);
    assert.equal(scheduler.initNoiseSigma, 1);
    scheduler.setTimesteps(5);
    assert.equal(scheduler.scaleModelInput(SAMPLE, 1), SAMPLE);
    assert.ok(scheduler.timesteps.every((_, i) => !scheduler.drawsNoiseAt(i)));
    const first = runCalls(scheduler);
    scheduler.setTimesteps(5);
    assert.deepEqual(runCalls(scheduler), first);
  });

  test('the history is copied: a caller reusing its output buffer does not change later steps', () => {
    const reference = createScheduler('pndm', SD15);
    reference.setTimesteps(6);
    const expected = runCalls(reference);
    const scheduler = createScheduler('pndm', SD15);
    scheduler.setTimesteps(6);
    const buffer = new Float32Array(3);
    let latents: Float32Array = SAMPLE;
    scheduler.timesteps.forEach((t, i) => {
      buffer.set(outputFor(i));
      latents = scheduler.step(buffer, t, latents, NO_RANDOM, SHAPE);
      assert.deepEqual(latents, expected[i], `call ${i}`);
    });
  });
});

describe('sdxl-assets generate --sampler pndm on the tiny SD 1.5 model', () => {
  const work = tempFolder('sdxl-pndm');
  let model = '';
  let input = '';
  before(async () => {
    model = join(work, 'sd15');
    buildTinySd(model, { version: 1 });
    input = join(work, 'input.png');
    const pixels = new Uint8Array(64 * 64 * 3).map((_, i) => (i * 13) & 255);
    await sharp(pixels, { raw: { width: 64, height: 64, channels: 3 } }).png().toFile(input);
  });

  const generate = (out: string, extra: string[]) =>
    runCli(['generate', '--model', model, '--prompt', 'a red fox', '--sampler', 'pndm', '--steps', '3', '--out', out, ...extra]);

  test('writes a PNG whose recipe names pndm; the same seed gives the same bytes, another seed others', async () => {
    const [a, b, c] = ['a.png', 'b.png', 'c.png'].map((name) => join(work, name));
    const first = await generate(a, ['--seed', '11']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim(), a);
    // Three PLMS steps are four model calls: the warm-up repeats the second timestep.
    assert.match(first.stderr, /step 4\/4/);
    const meta = await sharp(a).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 64, 64]);
    const recipe = await readRecipeFromFile(a);
    assert.equal(recipe?.sampler, 'pndm');
    assert.equal(recipe?.steps, 3);

    const again = await generate(b, ['--seed', '11']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(readFileSync(b), readFileSync(a));
    const other = await generate(c, ['--seed', '12']);
    assert.equal(other.code, 0, other.stderr);
    assert.notDeepEqual(readFileSync(c), readFileSync(a));
  });

  test('image-to-image runs the sliced schedule: strength 0.5 of 4 steps is timesteps[2:], three calls', async () => {
    const out = join(work, 'img2img.png');
    const result = await runCli([
      'generate', '--model', model, '--prompt', 'a red fox', '--sampler', 'pndm', '--steps', '4', '--seed', '3',
      '--init-image', input, '--strength', '0.5', '--out', out,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /step 3\/3/);
    assert.equal((await readRecipeFromFile(out))?.sampler, 'pndm');
  });

  test('--karras is refused with pndm', async () => {
    const result = await generate(join(work, 'karras.png'), ['--seed', '1', '--karras']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Karras sigmas are not available with the pndm sampler/);
  });
});
