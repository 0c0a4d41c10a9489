// The samplers against diffusers. Always on: config resolution, timestep spacing and the
// published step formulas computed by hand in float64. With ../shared: diffusers' timestep and
// sigma tables, the tiny SDXL cases' effective configs, and whole toy sampling loops, all to a
// relative 1e-5.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { samplerSupportsKarras } from '../../src/protocol/karras';
import { SAMPLERS as ALL_SAMPLERS, type SamplerName } from '../../src/protocol/recipe';
import { TorchGenerator } from '../../src/engine/random/torchGenerator';
import { createScheduler, type Scheduler } from '../../src/engine/schedulers/scheduler';
import {
  resolveSchedulerConfig,
  SCHEDULER_DEFAULTS,
  type SchedulerOverrides,
} from '../../src/engine/schedulers/schedulerConfig';
import {
  ddimTimesteps,
  dpmSolverTimesteps,
  eulerTimesteps,
  indexForTimestep,
  lcmTimesteps,
  npArange,
  roundHalfEven,
} from '../../src/engine/schedulers/timesteps';
import {
  assertClose as assertCloseWithin,
  assertFinalLatents,
  runTrajectory,
  scaledLinearAlphaBar,
  type FinalLatents,
} from '../support/schedulerChecks';
import { readReferenceJson, skipWithoutShared } from '../support/shared';
import { SDXL_SCHEDULER_CONFIG } from '../support/tinyModels';

const SAMPLERS: readonly SamplerName[] = ['euler', 'euler-a', 'ddim', 'dpmpp-2m', 'lcm'];


/** Against diffusers' own numbers. */
const TOLERANCE = 1e-5;
/**
 * Against the hand formulas, whose ᾱ is plain float64 while diffusers' is float32: the 1e-7
 * difference grows to ~1e-5 where 1 − ᾱ ≈ 1e-3 (t near 0) divides it. A wrong formula is off
 * by far more.
 */
const HAND_TOLERANCE = 1e-4;

/** Against diffusers' own numbers, relative to the value or to `floor`. */
const assertClose = (actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, floor = 0, tolerance = TOLERANCE): number =>
  assertCloseWithin(actual, expected, what, floor, tolerance);

const ALPHA_BAR = scaledLinearAlphaBar();
const sigmaAt = (t: number): number => Math.sqrt((1 - ALPHA_BAR[t]) / ALPHA_BAR[t]);

/** A generator that must not be used: the deterministic samplers never draw. */
const NO_RANDOM = {
  randn(): Float32Array {
    throw new Error('a deterministic sampler drew noise');
  },
} as unknown as TorchGenerator;

/** Counts the draws a sampler makes from a real seeded generator. */
function countingGenerator(seed: number): { generator: TorchGenerator; draws: () => number } {
  const real = new TorchGenerator(seed);
  let draws = 0;
  const generator = {
    randn(shape: readonly number[]): Float32Array {
      draws++;
      return real.randn(shape);
    },
  } as unknown as TorchGenerator;
  return { generator, draws: () => draws };
}

const SHAPE = [1, 1, 1, 3] as const;
const SAMPLE = Float32Array.of(1, -2, 0.5);
const OUTPUT = Float32Array.of(0.3, 0.1, -1);

describe('scheduler config resolution', () => {
  test("missing keys take each sampler's own diffusers __init__ defaults", () => {
    for (const name of SAMPLERS) {
      assert.deepEqual(resolveSchedulerConfig(name, {}), SCHEDULER_DEFAULTS[name], name);
      // Every default is also a value the file may hold.
      assert.deepEqual(resolveSchedulerConfig(name, SCHEDULER_DEFAULTS[name]), SCHEDULER_DEFAULTS[name], name);
    }
    assert.equal(resolveSchedulerConfig('euler', {}).timestep_spacing, 'linspace');
    const ddim = resolveSchedulerConfig('ddim', {});
    assert.equal(ddim.timestep_spacing, 'leading');
    assert.equal(ddim.clip_sample, true);
    assert.equal(ddim.set_alpha_to_one, true);
    const lcm = resolveSchedulerConfig('lcm', {});
    assert.deepEqual([lcm.beta_schedule, lcm.beta_start, lcm.beta_end], ['scaled_linear', 0.00085, 0.012]);
    assert.deepEqual([lcm.original_inference_steps, lcm.timestep_scaling], [50, 10]);
    const dpm = resolveSchedulerConfig('dpmpp-2m', {});
    assert.deepEqual([dpm.solver_order, dpm.algorithm_type, dpm.lower_order_final], [2, 'dpmsolver++', true]);
    assert.equal(dpm.lambda_min_clipped, -Infinity);
  });

  test('keys in the file win and keys the class does not take are ignored', () => {
    const ddim = resolveSchedulerConfig('ddim', SDXL_SCHEDULER_CONFIG);
    assert.deepEqual([ddim.clip_sample, ddim.set_alpha_to_one, ddim.steps_offset], [false, false, 1]);
    assert.equal(ddim.beta_schedule, 'scaled_linear');
    for (const key of ['_class_name', 'interpolation_type', 'use_karras_sigmas', 'skip_prk_steps']) {
      assert.equal(key in ddim, false, key);
    }
    const euler = resolveSchedulerConfig('euler', SDXL_SCHEDULER_CONFIG);
    assert.equal('clip_sample' in euler, false);
    assert.deepEqual([euler.timestep_spacing, euler.final_sigmas_type], ['leading', 'zero']);
  });

  test('overrides: spacing for every sampler, Karras only where the class has use_karras_sigmas', () => {
    for (const name of SAMPLERS) {
      assert.equal(resolveSchedulerConfig(name, SDXL_SCHEDULER_CONFIG, { timestepSpacing: 'trailing' }).timestep_spacing, 'trailing');
    }
    assert.equal(resolveSchedulerConfig('euler', SDXL_SCHEDULER_CONFIG, { karras: true }).use_karras_sigmas, true);
    assert.equal(resolveSchedulerConfig('dpmpp-2m', SDXL_SCHEDULER_CONFIG, { karras: true }).use_karras_sigmas, true);
    assert.equal(resolveSchedulerConfig('euler', { use_karras_sigmas: true }, { karras: false }).use_karras_sigmas, false);
    for (const name of ['ddim', 'euler-a', 'lcm'] as const) {
      assert.throws(() => createScheduler(name, SDXL_SCHEDULER_CONFIG, { karras: true }), /Karras sigmas are not available with the/);
      assert.doesNotThrow(() => createScheduler(name, SDXL_SCHEDULER_CONFIG, { karras: false }));
    }
  });

  test("the panel's Karras rule names exactly the samplers whose scheduler class has use_karras_sigmas", () => {
    for (const name of ALL_SAMPLERS) {
      assert.equal(samplerSupportsKarras(name), Object.hasOwn(SCHEDULER_DEFAULTS[name], 'use_karras_sigmas'), name);
    }
  });

  test("DPM-Solver takes DEIS's and UniPC's solver names as diffusers does", () => {
    const dpm = resolveSchedulerConfig('dpmpp-2m', { algorithm_type: 'deis', solver_type: 'bh2' });
    assert.deepEqual([dpm.algorithm_type, dpm.solver_type], ['dpmsolver++', 'midpoint']);
  });

  test('a malformed value names its key', () => {
    assert.throws(() => resolveSchedulerConfig('euler', { beta_schedule: 'cosine' }), /beta_schedule must be one of/);
    assert.throws(() => resolveSchedulerConfig('ddim', { steps_offset: 1.5 }), /steps_offset must be an integer/);
    assert.throws(
      () => resolveSchedulerConfig('euler', { use_karras_sigmas: 'yes' }),
      /use_karras_sigmas must be true or false/,
    );
    assert.throws(() => resolveSchedulerConfig('euler', { trained_betas: [0.1, 'x'] }), /trained_betas/);
  });

  test('diffusers options this port does not implement fail when the scheduler is created', () => {
    const cases: [SamplerName, Record<string, unknown>, RegExp][] = [
      ['dpmpp-2m', { algorithm_type: 'sde-dpmsolver++' }, /algorithm_type/],
      ['dpmpp-2m', { solver_order: 3 }, /solver_order/],
      ['dpmpp-2m', { use_lu_lambdas: true }, /use_lu_lambdas/],
      ['euler', { use_exponential_sigmas: true }, /use_exponential_sigmas/],
      ['euler', { timestep_type: 'continuous', prediction_type: 'v_prediction' }, /continuous/],
      ['euler-a', { prediction_type: 'sample' }, /prediction_type "sample"/],
      ['ddim', { thresholding: true }, /thresholding/],
    ];
    for (const [name, raw, message] of cases) assert.throws(() => createScheduler(name, raw), message);
  });
});

describe('timestep spacing', () => {
  test('numpy rounding and arange', () => {
    assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 937.5, 812.5, 2.4].map(roundHalfEven), [0, 2, 2, -0, -2, 938, 812, 2]);
    assert.equal(npArange(1000, 0, -1000 / 3).length, 3);
  });

  test('a step count outside 1..num_train_timesteps is refused', () => {
    for (const steps of [0, -1, 2.5, 1001]) {
      assert.throws(() => createScheduler('euler', SDXL_SCHEDULER_CONFIG).setTimesteps(steps), /number of steps/);
      assert.throws(() => createScheduler('dpmpp-2m', SDXL_SCHEDULER_CONFIG).setTimesteps(steps), /number of steps/);
    }
  });

  test('trailing rounds halves to even (numpy), DDIM and Euler alike', () => {
    const expected = [999, 937, 874, 811, 749, 687, 624, 561, 499, 437, 374, 311, 249, 187, 124, 61];
    assert.deepEqual([...ddimTimesteps('trailing', 1000, 16, 1)], expected);
    assert.deepEqual([...eulerTimesteps('trailing', 1000, 16, 1)], expected);
  });

  test('linspace: Euler keeps fractions, DDIM rounds them, DPM-Solver spaces steps + 1 points', () => {
    assert.deepEqual([...eulerTimesteps('linspace', 1000, 7, 0)], [999, 832.5, 666, 499.5, 333, 166.5, 0]);
    assert.deepEqual([...ddimTimesteps('linspace', 1000, 7, 0)], [999, 832, 666, 500, 333, 166, 0]);
    assert.deepEqual([...dpmSolverTimesteps('linspace', 1000, 1000, 4, 0)], [999, 749, 500, 250]);
  });

  test('leading: Euler and DDIM step by num_train // steps, DPM-Solver by num_train // (steps + 1)', () => {
    assert.deepEqual([...eulerTimesteps('leading', 1000, 3, 1)], [667, 334, 1]);
    assert.deepEqual([...ddimTimesteps('leading', 1000, 3, 1)], [667, 334, 1]);
    assert.deepEqual([...dpmSolverTimesteps('leading', 1000, 1000, 4, 1)], [801, 601, 401, 201]);
  });

  test('LCM picks from the 50-step distillation schedule', () => {
    assert.deepEqual([...lcmTimesteps(1000, 50, 4)], [999, 759, 499, 259]);
    assert.deepEqual([...lcmTimesteps(1000, 50, 1)], [999]);
    assert.throws(() => lcmTimesteps(1000, 50, 51), /at most original_inference_steps/);
  });

  test('a repeated timestep resolves to its second position, as in diffusers', () => {
    assert.equal(indexForTimestep(Float64Array.of(5, 5, 3), 5), 1);
    assert.equal(indexForTimestep(Float64Array.of(9, 5, 3), 5), 1);
    assert.equal(indexForTimestep(Float64Array.of(9, 5, 3), 4), -1);
  });
});

describe('step formulas, computed by hand', () => {
  const assertFormula = (actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void => {
    assertClose(actual, expected, what, 1, HAND_TOLERANCE);
  };
  const withPrediction = (prediction: string): Record<string, unknown> => ({ ...SDXL_SCHEDULER_CONFIG, prediction_type: prediction });

  test('Euler: x0 from epsilon, v (c_skip = 1/(σ²+1), c_out = −σ/√(σ²+1)) and sample; x + (x − x0)/σ·(σ_next − σ)', () => {
    const x0Of: Record<string, (x: number, m: number, sigma: number) => number> = {
      epsilon: (x, m, sigma) => x - sigma * m,
      v_prediction: (x, m, sigma) => x / (sigma * sigma + 1) - (sigma / Math.sqrt(sigma * sigma + 1)) * m,
      sample: (_x, m) => m,
    };
    for (const [prediction, x0] of Object.entries(x0Of)) {
      const scheduler = createScheduler('euler', withPrediction(prediction));
      scheduler.setTimesteps(4);
      assert.deepEqual([...scheduler.timesteps], [751, 501, 251, 1]);
      const sigma = sigmaAt(751);
      const next = sigmaAt(501);
      const scaled = scheduler.scaleModelInput(SAMPLE, 751);
      assertFormula(scaled, [...SAMPLE].map((x) => x / Math.sqrt(sigma * sigma + 1)), `${prediction} scaled`);
      const prev = scheduler.step(OUTPUT, 751, SAMPLE, NO_RANDOM, SHAPE);
      const expected = [...SAMPLE].map((x, k) => x + ((x - x0(x, OUTPUT[k], sigma)) / sigma) * (next - sigma));
      assertFormula(prev, expected, prediction);
    }
  });

  test('Euler ancestral: σ_up = √(σ_to²(σ_from² − σ_to²)/σ_from²), noise drawn on every step', () => {
    const scheduler = createScheduler('euler-a', withPrediction('v_prediction'));
    scheduler.setTimesteps(2);
    const [t0, t1] = scheduler.timesteps;
    const draws = new TorchGenerator(7);
    const { generator, draws: count } = countingGenerator(7);
    const sigmaFrom = sigmaAt(t0);
    const sigmaTo = sigmaAt(t1);
    const sigmaUp = Math.sqrt((sigmaTo ** 2 * (sigmaFrom ** 2 - sigmaTo ** 2)) / sigmaFrom ** 2);
    const sigmaDown = Math.sqrt(sigmaTo ** 2 - sigmaUp ** 2);
    const noise = draws.randn(SHAPE);
    const prev = scheduler.step(OUTPUT, t0, SAMPLE, generator, SHAPE);
    const expected = [...SAMPLE].map((x, k) => {
      const x0 = x / (sigmaFrom ** 2 + 1) - (sigmaFrom / Math.sqrt(sigmaFrom ** 2 + 1)) * OUTPUT[k];
      return x + ((x - x0) / sigmaFrom) * (sigmaDown - sigmaFrom) + noise[k] * sigmaUp;
    });
    assertFormula(prev, expected, 'first step');
    scheduler.step(OUTPUT, t1, prev, generator, SHAPE);
    assert.equal(count(), 2, 'the last step draws too (with σ_up = 0)');
  });

  test('DDIM (eta 0): x0 and ε from epsilon, v and sample; √ᾱ_prev·x0 + √(1 − ᾱ_prev)·ε', () => {
    const split: Record<string, (x: number, m: number, a: number) => [number, number]> = {
      epsilon: (x, m, a) => [(x - Math.sqrt(1 - a) * m) / Math.sqrt(a), m],
      v_prediction: (x, m, a) => [Math.sqrt(a) * x - Math.sqrt(1 - a) * m, Math.sqrt(a) * m + Math.sqrt(1 - a) * x],
      sample: (x, m, a) => [m, (x - Math.sqrt(a) * m) / Math.sqrt(1 - a)],
    };
    for (const [prediction, formula] of Object.entries(split)) {
      const scheduler = createScheduler('ddim', withPrediction(prediction));
      scheduler.setTimesteps(4);
      // The last step goes past t = 0 and takes ᾱ_0, as set_alpha_to_one false asks.
      for (const [t, prevT] of [[751, 501], [1, 0]] as const) {
        const a = ALPHA_BAR[t];
        const aPrev = ALPHA_BAR[prevT];
        const prev = scheduler.step(OUTPUT, t, SAMPLE, NO_RANDOM, SHAPE);
        const expected = [...SAMPLE].map((x, k) => {
          const [x0, eps] = formula(x, OUTPUT[k], a);
          return Math.sqrt(aPrev) * x0 + Math.sqrt(1 - aPrev) * eps;
        });
        assertFormula(prev, expected, `${prediction} t=${t}`);
      }
    }
  });

  test('DDIM clips x0 when clip_sample is set (its default)', () => {
    const scheduler = createScheduler('ddim', { ...SDXL_SCHEDULER_CONFIG, clip_sample: true, prediction_type: 'sample' });
    scheduler.setTimesteps(4);
    const big = Float32Array.of(5, -5, 0.5);
    const a = ALPHA_BAR[1];
    const aPrev = ALPHA_BAR[0];
    const prev = scheduler.step(big, 1, SAMPLE, NO_RANDOM, SHAPE);
    const expected = [...SAMPLE].map((x, k) => {
      const eps = (x - Math.sqrt(a) * big[k]) / Math.sqrt(1 - a);
      return Math.sqrt(aPrev) * Math.min(Math.max(big[k], -1), 1) + Math.sqrt(1 - aPrev) * eps;
    });
    assertFormula(prev, expected, 'clipped');
  });

  test('DPM-Solver++: x0 from v is α·x − σ·v and the final first-order step to σ = 0 returns it', () => {
    const scheduler = createScheduler('dpmpp-2m', withPrediction('v_prediction'));
    scheduler.setTimesteps(1);
    assert.deepEqual([...scheduler.timesteps], [501]);
    const sigma = sigmaAt(501);
    const alpha = 1 / Math.sqrt(sigma * sigma + 1);
    const prev = scheduler.step(OUTPUT, 501, SAMPLE, NO_RANDOM, SHAPE);
    assertFormula(prev, [...SAMPLE].map((x, k) => alpha * x - sigma * alpha * OUTPUT[k]), 'x0');
  });

  test('DPM-Solver++ 2M: first order, then the midpoint second-order update (Lu et al. 2022, eq. 18)', () => {
    const scheduler = createScheduler('dpmpp-2m', SDXL_SCHEDULER_CONFIG);
    scheduler.setTimesteps(3);
    const ts = [...scheduler.timesteps];
    assert.deepEqual(ts, [751, 501, 251]);
    const vp = (s: number): { alpha: number; sigma: number; lambda: number } => {
      const alpha = 1 / Math.sqrt(s * s + 1);
      return { alpha, sigma: s * alpha, lambda: Math.log(1 / s) };
    };
    const [s0, s1, s2] = ts.map((t) => vp(sigmaAt(t)));
    const x0 = (x: number, eps: number, s: { alpha: number; sigma: number }): number => (x - s.sigma * eps) / s.alpha;
    const out1 = Float32Array.of(0.2, -0.4, 0.9);
    const first = scheduler.step(OUTPUT, ts[0], SAMPLE, NO_RANDOM, SHAPE);
    const h1 = s1.lambda - s0.lambda;
    const m0 = [...SAMPLE].map((x, k) => x0(x, OUTPUT[k], s0));
    const expectedFirst = [...SAMPLE].map((x, k) => (s1.sigma / s0.sigma) * x - s1.alpha * (Math.exp(-h1) - 1) * m0[k]);
    assertFormula(first, expectedFirst, 'first order');
    const second = scheduler.step(out1, ts[1], first, NO_RANDOM, SHAPE);
    const h2 = s2.lambda - s1.lambda;
    const r = h1 / h2;
    const expectedSecond = [...first].map((x, k) => {
      const d0 = x0(x, out1[k], s1);
      const d1 = (d0 - m0[k]) / r;
      const phi = s2.alpha * (Math.exp(-h2) - 1);
      return (s2.sigma / s1.sigma) * x - phi * d0 - 0.5 * phi * d1;
    });
    assertFormula(second, expectedSecond, 'second order');
  });

  test('LCM: c_skip = σ_d²/((10t)² + σ_d²), c_out = 10t/√((10t)² + σ_d²); noise on all steps but the last', () => {
    const scheduler = createScheduler('lcm', withPrediction('sample'));
    scheduler.setTimesteps(1);
    const scaled = 9990;
    const cSkip = 0.25 / (scaled * scaled + 0.25);
    const cOut = scaled / Math.sqrt(scaled * scaled + 0.25);
    const prev = scheduler.step(OUTPUT, 999, SAMPLE, NO_RANDOM, SHAPE);
    assertFormula(prev, [...SAMPLE].map((x, k) => cOut * OUTPUT[k] + cSkip * x), 'one step');

    const multi = createScheduler('lcm', SDXL_SCHEDULER_CONFIG);
    multi.setTimesteps(4);
    const { generator, draws } = countingGenerator(3);
    let latents: Float32Array = SAMPLE;
    for (const t of multi.timesteps) latents = multi.step(OUTPUT, t, latents, generator, SHAPE);
    assert.equal(draws(), 3);
  });

  test('the deterministic samplers never draw noise', () => {
    for (const name of ['euler', 'ddim', 'dpmpp-2m'] as const) {
      const scheduler = createScheduler(name, SDXL_SCHEDULER_CONFIG);
      scheduler.setTimesteps(5);
      let latents: Float32Array = SAMPLE;
      for (const t of scheduler.timesteps) latents = scheduler.step(OUTPUT, t, latents, NO_RANDOM, SHAPE);
      assert.ok(latents.every(Number.isFinite), name);
    }
  });

  test('every step returns a new array that later steps leave as it was', () => {
    // DPM-Solver++ reuses the buffer of the prediction leaving its history, which must never
    // be one a caller holds.
    for (const name of SAMPLERS) {
      const scheduler = createScheduler(name, name === 'lcm' ? { ...SDXL_SCHEDULER_CONFIG, set_alpha_to_one: true } : SDXL_SCHEDULER_CONFIG);
      scheduler.setTimesteps(6);
      const generator = new TorchGenerator(0);
      const returned: [Float32Array, Float32Array][] = [];
      let latents: Float32Array = SAMPLE;
      for (const t of scheduler.timesteps) {
        const next = scheduler.step(OUTPUT, t, scheduler.scaleModelInput(latents, t), generator, SHAPE);
        assert.ok(next !== latents && next !== OUTPUT, `${name}: step returned one of its inputs`);
        returned.push([next, next.slice()]);
        latents = next;
      }
      for (const [array, copy] of returned) assert.deepEqual(array, copy, `${name}: a later step changed a result`);
    }
  });

  test('image-to-image: add_noise at the begin index, then the loop starts there', () => {
    const noise = Float32Array.of(0.5, 1, -1);
    const euler = createScheduler('euler', SDXL_SCHEDULER_CONFIG);
    euler.setTimesteps(5);
    euler.setBeginIndex(2);
    const sigma = sigmaAt(401);
    assertFormula(euler.addNoise(SAMPLE, noise, 401), [...SAMPLE].map((x, k) => x + sigma * noise[k]), 'euler');
    assertFormula(euler.scaleModelInput(SAMPLE, 401), [...SAMPLE].map((x) => x / Math.sqrt(sigma * sigma + 1)), 'scaled');

    const dpm = createScheduler('dpmpp-2m', SDXL_SCHEDULER_CONFIG);
    dpm.setTimesteps(4);
    dpm.setBeginIndex(1);
    const alpha = Math.sqrt(ALPHA_BAR[601]);
    const expected = [...SAMPLE].map((x, k) => alpha * x + Math.sqrt(1 - ALPHA_BAR[601]) * noise[k]);
    assertFormula(dpm.addNoise(SAMPLE, noise, 601), expected, 'dpm');

    const ddim = createScheduler('ddim', SDXL_SCHEDULER_CONFIG);
    ddim.setTimesteps(4);
    const a = ALPHA_BAR[501];
    const expectedDdim = [...SAMPLE].map((x, k) => Math.sqrt(a) * x + Math.sqrt(1 - a) * noise[k]);
    assertFormula(ddim.addNoise(SAMPLE, noise, 501), expectedDdim, 'ddim');
  });
});

// ---- Reference data from diffusers (../shared/reference) ----

const SCHEDULER_CONFIG = 'sdxl-tiny/model/scheduler/scheduler_config.json';

interface TableEntry {
  timesteps: number[];
  sigmas?: number[];
  init_noise_sigma: number;
}

const TABLE_SAMPLERS: Record<string, [SamplerName, SchedulerOverrides]> = {
  euler_leading: ['euler', {}],
  euler_trailing: ['euler', { timestepSpacing: 'trailing' }],
  euler_karras: ['euler', { karras: true }],
  euler_a_leading: ['euler-a', {}],
  dpmpp2m_karras: ['dpmpp-2m', { karras: true }],
  ddim_leading: ['ddim', {}],
};

function checkSchedule(scheduler: Scheduler, expected: TableEntry, what: string): number {
  assert.deepEqual([...scheduler.timesteps].length, expected.timesteps.length, `${what} timesteps`);
  let worst = assertClose(scheduler.timesteps, expected.timesteps, `${what} timesteps`);
  if (expected.sigmas) {
    assert.ok(scheduler.sigmas, `${what} has sigmas`);
    worst = Math.max(worst, assertClose(scheduler.sigmas, expected.sigmas, `${what} sigmas`));
  }
  return Math.max(worst, assertClose([scheduler.initNoiseSigma], [expected.init_noise_sigma], `${what} init_noise_sigma`));
}

describe('diffusers scheduler tables', { skip: skipWithoutShared('reference', 'scheduler_tables.json') }, () => {
  test('timesteps, sigmas and init_noise_sigma for the SDXL config', (t: TestContext) => {
    const raw = readReferenceJson<Record<string, unknown>>(SCHEDULER_CONFIG);
    const tables = readReferenceJson<Record<string, TableEntry>>('scheduler_tables.json');
    let worst = 0;
    for (const [key, expected] of Object.entries(tables)) {
      const [table, steps] = key.split('/');
      const [name, overrides] = TABLE_SAMPLERS[table];
      const scheduler = createScheduler(name, raw, overrides);
      scheduler.setTimesteps(Number(steps));
      worst = Math.max(worst, checkSchedule(scheduler, expected, key));
    }
    t.diagnostic(`${Object.keys(tables).length} tables, worst relative error ${worst.toExponential(2)}`);
  });
});

interface FixtureCase {
  id: string;
  num_inference_steps: number;
  scheduler: { class_name: string; overrides: Record<string, unknown> };
  derived: {
    scheduler_config_effective: Record<string, unknown>;
    scheduler_timesteps_all: number[];
    scheduler_sigmas?: number[];
    init_noise_sigma: number;
  };
}

const SAMPLER_OF_CLASS: Record<string, SamplerName> = {
  EulerDiscreteScheduler: 'euler',
  EulerAncestralDiscreteScheduler: 'euler-a',
  DDIMScheduler: 'ddim',
  DPMSolverMultistepScheduler: 'dpmpp-2m',
};

/** The fixture writes Python's float('-inf') as "-inf". */
const asFixtureValue = (value: unknown): unknown => (value === -Infinity ? '-inf' : value);

const casesSkip = skipWithoutShared('reference', 'sdxl-tiny', 'cases.json');
describe('tiny SDXL cases: effective scheduler config and schedule', { skip: casesSkip }, () => {
  test('from_config with the case overrides, as diffusers registered it', (t: TestContext) => {
    const raw = readReferenceJson<Record<string, unknown>>(SCHEDULER_CONFIG);
    const { cases } = readReferenceJson<{ cases: FixtureCase[] }>('sdxl-tiny/cases.json');
    let worst = 0;
    for (const c of cases) {
      const name = SAMPLER_OF_CLASS[c.scheduler.class_name];
      assert.ok(name, `${c.id}: sampler for ${c.scheduler.class_name}`);
      const { timestep_spacing: spacing, use_karras_sigmas: karras } = c.scheduler.overrides;
      const overrides: SchedulerOverrides = {
        ...(spacing === undefined ? {} : { timestepSpacing: spacing as SchedulerOverrides['timestepSpacing'] }),
        ...(karras === undefined ? {} : { karras: karras as boolean }),
      };
      const config = Object.fromEntries(Object.entries(resolveSchedulerConfig(name, raw, overrides)));
      const effective = c.derived.scheduler_config_effective;
      // diffusers also keeps the file's keys that the class does not take; those are not config.
      const foreign = Object.keys(raw).filter((key) => !(key in config));
      const expectedKeys = Object.keys(effective).filter((key) => !key.startsWith('_') && !foreign.includes(key));
      assert.deepEqual(Object.keys(config).sort(), expectedKeys.sort(), `${c.id}: config keys`);
      for (const key of expectedKeys) assert.deepEqual(asFixtureValue(config[key]), effective[key], `${c.id}: ${key}`);

      const scheduler = createScheduler(name, raw, overrides);
      scheduler.setTimesteps(c.num_inference_steps);
      assert.deepEqual([...scheduler.timesteps], c.derived.scheduler_timesteps_all, `${c.id}: timesteps`);
      worst = Math.max(
        worst,
        checkSchedule(
          scheduler,
          {
            timesteps: c.derived.scheduler_timesteps_all,
            sigmas: c.derived.scheduler_sigmas,
            init_noise_sigma: c.derived.init_noise_sigma,
          },
          c.id,
        ),
      );
    }
    t.diagnostic(`${cases.length} cases, worst relative error ${worst.toExponential(2)}`);
  });
});

interface Trajectory extends FinalLatents {
  scheduler: string;
  steps: number;
  seed: number;
  shape: number[];
  timesteps: number[];
}

const TRAJECTORY_SAMPLERS: Record<string, [SamplerName, SchedulerOverrides, Record<string, unknown>?]> = {
  euler: ['euler', {}],
  euler_trailing: ['euler', { timestepSpacing: 'trailing' }],
  euler_a: ['euler-a', {}],
  euler_a_trailing: ['euler-a', { timestepSpacing: 'trailing' }],
  dpmpp_2m_karras: ['dpmpp-2m', { karras: true }],
  ddim: ['ddim', {}],
  lcm: ['lcm', {}, { set_alpha_to_one: true }],
};

const trajectoriesSkip = skipWithoutShared('reference', 'scheduler_trajectories.json');
describe('diffusers sampling loops with a toy model', { skip: trajectoriesSkip }, () => {
  test('final latents: first values, sum and sum of squares', (t: TestContext) => {
    const raw = readReferenceJson<Record<string, unknown>>(SCHEDULER_CONFIG);
    const entries = readReferenceJson<Trajectory[]>('scheduler_trajectories.json');
    let worst = 0;
    for (const entry of entries) {
      const what = `${entry.scheduler}/${entry.steps}/seed ${entry.seed}`;
      const [name, overrides, extra] = TRAJECTORY_SAMPLERS[entry.scheduler];
      const scheduler = createScheduler(name, { ...raw, ...extra }, overrides);
      const latents = runTrajectory(scheduler, entry);
      assert.deepEqual([...scheduler.timesteps], entry.timesteps, `${what}: timesteps`);
      worst = Math.max(worst, assertFinalLatents(latents, entry, what, TOLERANCE));
    }
    t.diagnostic(`${entries.length} loops, worst relative error ${worst.toExponential(2)}`);
  });
});
