// scheduler_config.json resolved per sampler like diffusers' ConfigMixin.from_config: keys in the
// file win, missing keys take that scheduler class's __init__ defaults, other keys are ignored.
import { EngineError } from '../errors';
import { samplerSupportsKarras } from '../../protocol/karras';
import type { SamplerName, TimestepSpacing } from '../../protocol/recipe';

export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';
export type FinalSigmasType = 'zero' | 'sigma_min';

/** The __init__ arguments every scheduler here shares. */
export interface CommonConfig {
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  beta_schedule: BetaSchedule;
  trained_betas: number[] | null;
  prediction_type: PredictionType;
  timestep_spacing: TimestepSpacing;
  steps_offset: number;
  rescale_betas_zero_snr: boolean;
}

interface ThresholdingConfig {
  thresholding: boolean;
  dynamic_thresholding_ratio: number;
  sample_max_value: number;
}

/** EulerDiscreteScheduler.__init__ */
export interface EulerConfig extends CommonConfig {
  interpolation_type: 'linear' | 'log_linear';
  use_karras_sigmas: boolean;
  use_exponential_sigmas: boolean;
  use_beta_sigmas: boolean;
  sigma_min: number | null;
  sigma_max: number | null;
  timestep_type: 'discrete' | 'continuous';
  final_sigmas_type: FinalSigmasType;
}

/** EulerAncestralDiscreteScheduler.__init__ */
export type EulerAncestralConfig = CommonConfig;

/** DDIMScheduler.__init__ */
export interface DdimConfig extends CommonConfig, ThresholdingConfig {
  clip_sample: boolean;
  set_alpha_to_one: boolean;
  clip_sample_range: number;
}

/** DPMSolverMultistepScheduler.__init__ */
export interface DpmSolverMultistepConfig extends CommonConfig, ThresholdingConfig {
  solver_order: number;
  algorithm_type: 'dpmsolver' | 'dpmsolver++' | 'sde-dpmsolver' | 'sde-dpmsolver++';
  solver_type: 'midpoint' | 'heun';
  lower_order_final: boolean;
  euler_at_final: boolean;
  use_karras_sigmas: boolean;
  use_exponential_sigmas: boolean;
  use_beta_sigmas: boolean;
  use_lu_lambdas: boolean;
  use_flow_sigmas: boolean;
  flow_shift: number;
  final_sigmas_type: FinalSigmasType;
  lambda_min_clipped: number;
  variance_type: 'learned' | 'learned_range' | null;
  use_dynamic_shifting: boolean;
  time_shift_type: 'exponential';
}

/** LCMScheduler.__init__ */
export interface LcmConfig extends CommonConfig, ThresholdingConfig {
  original_inference_steps: number;
  clip_sample: boolean;
  clip_sample_range: number;
  set_alpha_to_one: boolean;
  timestep_scaling: number;
}

/** PNDMScheduler.__init__, which has no rescale_betas_zero_snr. */
export interface PndmConfig extends Omit<CommonConfig, 'rescale_betas_zero_snr'> {
  skip_prk_steps: boolean;
  set_alpha_to_one: boolean;
}

export interface SchedulerConfigs {
  euler: EulerConfig;
  'euler-a': EulerAncestralConfig;
  ddim: DdimConfig;
  'dpmpp-2m': DpmSolverMultistepConfig;
  lcm: LcmConfig;
  pndm: PndmConfig;
}

export type AnySchedulerConfig = SchedulerConfigs[SamplerName];

export interface SchedulerOverrides {
  /** Replaces the file's timestep_spacing. */
  timestepSpacing?: TimestepSpacing;
  /** use_karras_sigmas; only Euler and DPM-Solver++ have it. */
  karras?: boolean;
}

/** The __init__ defaults the classes share: DDPM's linear betas (Ho et al. 2020); LCM alone defaults to latent diffusion's. */
const COMMON_DEFAULTS: CommonConfig = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  prediction_type: 'epsilon',
  timestep_spacing: 'linspace',
  steps_offset: 0,
  rescale_betas_zero_snr: false,
};

const { rescale_betas_zero_snr: _zeroSnr, ...COMMON_WITHOUT_ZERO_SNR } = COMMON_DEFAULTS;

const THRESHOLDING_DEFAULTS: ThresholdingConfig = {
  thresholding: false,
  dynamic_thresholding_ratio: 0.995,
  sample_max_value: 1.0,
};

export const SCHEDULER_DEFAULTS: { readonly [N in SamplerName]: Readonly<SchedulerConfigs[N]> } = {
  euler: {
    ...COMMON_DEFAULTS,
    interpolation_type: 'linear',
    use_karras_sigmas: false,
    use_exponential_sigmas: false,
    use_beta_sigmas: false,
    sigma_min: null,
    sigma_max: null,
    timestep_type: 'discrete',
    final_sigmas_type: 'zero',
  },
  'euler-a': { ...COMMON_DEFAULTS },
  ddim: {
    ...COMMON_DEFAULTS,
    ...THRESHOLDING_DEFAULTS,
    clip_sample: true,
    set_alpha_to_one: true,
    clip_sample_range: 1.0,
    timestep_spacing: 'leading',
  },
  'dpmpp-2m': {
    ...COMMON_DEFAULTS,
    ...THRESHOLDING_DEFAULTS,
    solver_order: 2,
    algorithm_type: 'dpmsolver++',
    solver_type: 'midpoint',
    lower_order_final: true,
    euler_at_final: false,
    use_karras_sigmas: false,
    use_exponential_sigmas: false,
    use_beta_sigmas: false,
    use_lu_lambdas: false,
    use_flow_sigmas: false,
    flow_shift: 1.0,
    final_sigmas_type: 'zero',
    lambda_min_clipped: -Infinity,
    variance_type: null,
    use_dynamic_shifting: false,
    time_shift_type: 'exponential',
  },
  lcm: {
    ...COMMON_DEFAULTS,
    ...THRESHOLDING_DEFAULTS,
    beta_start: 0.00085,
    beta_end: 0.012,
    beta_schedule: 'scaled_linear',
    original_inference_steps: 50,
    clip_sample: false,
    clip_sample_range: 1.0,
    set_alpha_to_one: true,
    timestep_spacing: 'leading',
    timestep_scaling: 10.0,
  },
  pndm: {
    ...COMMON_WITHOUT_ZERO_SNR,
    skip_prk_steps: false,
    set_alpha_to_one: false,
    timestep_spacing: 'leading',
  },
};

type KeySpec =
  | { kind: 'number' | 'integer' | 'boolean' | 'betas' }
  | { kind: 'integer'; min: number; max?: number }
  | { kind: 'number'; nullable: true }
  | { kind: 'enum'; values: readonly (string | null)[]; aliases?: Readonly<Record<string, string>> };

const enumOf = (...values: (string | null)[]): KeySpec => ({ kind: 'enum', values });

/** What each key may hold in the file; a key means the same in every scheduler that has it. */
const KEY_SPECS: Readonly<Record<string, KeySpec>> = {
  // Sizes of arrays the schedulers allocate: a negative one would throw deep inside them.
  num_train_timesteps: { kind: 'integer', min: 1, max: 100_000 },
  beta_start: { kind: 'number' },
  beta_end: { kind: 'number' },
  beta_schedule: enumOf('linear', 'scaled_linear', 'squaredcos_cap_v2'),
  trained_betas: { kind: 'betas' },
  prediction_type: enumOf('epsilon', 'v_prediction', 'sample'),
  timestep_spacing: enumOf('linspace', 'leading', 'trailing'),
  steps_offset: { kind: 'integer', min: 0 },
  rescale_betas_zero_snr: { kind: 'boolean' },
  interpolation_type: enumOf('linear', 'log_linear'),
  use_karras_sigmas: { kind: 'boolean' },
  use_exponential_sigmas: { kind: 'boolean' },
  use_beta_sigmas: { kind: 'boolean' },
  use_lu_lambdas: { kind: 'boolean' },
  use_flow_sigmas: { kind: 'boolean' },
  sigma_min: { kind: 'number', nullable: true },
  sigma_max: { kind: 'number', nullable: true },
  timestep_type: enumOf('discrete', 'continuous'),
  final_sigmas_type: enumOf('zero', 'sigma_min'),
  thresholding: { kind: 'boolean' },
  dynamic_thresholding_ratio: { kind: 'number' },
  sample_max_value: { kind: 'number' },
  clip_sample: { kind: 'boolean' },
  clip_sample_range: { kind: 'number' },
  set_alpha_to_one: { kind: 'boolean' },
  skip_prk_steps: { kind: 'boolean' },
  solver_order: { kind: 'integer', min: 1, max: 3 },
  // DPMSolverMultistepScheduler re-registers DEIS's and UniPC's names, so their configs load.
  algorithm_type: {
    kind: 'enum',
    values: ['dpmsolver', 'dpmsolver++', 'sde-dpmsolver', 'sde-dpmsolver++'],
    aliases: { deis: 'dpmsolver++' },
  },
  solver_type: {
    kind: 'enum',
    values: ['midpoint', 'heun'],
    aliases: { logrho: 'midpoint', bh1: 'midpoint', bh2: 'midpoint' },
  },
  lower_order_final: { kind: 'boolean' },
  euler_at_final: { kind: 'boolean' },
  flow_shift: { kind: 'number' },
  lambda_min_clipped: { kind: 'number' },
  variance_type: enumOf('learned', 'learned_range', null),
  use_dynamic_shifting: { kind: 'boolean' },
  time_shift_type: enumOf('exponential'),
  original_inference_steps: { kind: 'integer', min: 1, max: 100_000 },
  timestep_scaling: { kind: 'number' },
};

function readKey(key: string, value: unknown): unknown {
  const spec = KEY_SPECS[key];
  const bad = (expected: string): never => {
    throw new EngineError(
      `scheduler_config.json: ${key} must be ${expected}, got ${JSON.stringify(value)}; fix the model's scheduler/scheduler_config.json or download the model again.`,
      'model-folder',
    );
  };
  switch (spec.kind) {
    case 'number':
      if (value === null && 'nullable' in spec) return null;
      return typeof value === 'number' && !Number.isNaN(value) ? value : bad('a number');
    case 'integer': {
      const { min, max } = 'min' in spec ? spec : { min: -Infinity, max: undefined };
      const range = max !== undefined ? ` from ${min} to ${max}` : Number.isFinite(min) ? ` of at least ${min}` : '';
      const fits = Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= (max ?? Infinity);
      return fits ? value : bad(`an integer${range}`);
    }
    case 'boolean':
      return typeof value === 'boolean' ? value : bad('true or false');
    case 'betas':
      if (value === null) return null;
      return Array.isArray(value) && value.length > 0 && value.every((b) => typeof b === 'number')
        ? [...(value as number[])]
        : bad('null or a list of numbers');
    case 'enum': {
      const aliased = typeof value === 'string' ? (spec.aliases?.[value] ?? value) : value;
      return spec.values.includes(aliased as string | null)
        ? aliased
        : bad(`one of ${spec.values.map((v) => JSON.stringify(v)).join(', ')}`);
    }
  }
}

/**
 * The effective config of sampler `name` for a raw scheduler_config.json object (whichever
 * class wrote it), with the recipe's overrides applied on top, as
 * `<Class>.from_config(raw, **overrides)` would register it.
 */
export function resolveSchedulerConfig<N extends SamplerName>(
  name: N,
  raw: Readonly<Record<string, unknown>>,
  overrides: SchedulerOverrides = {},
): SchedulerConfigs[N] {
  const defaults: object = SCHEDULER_DEFAULTS[name];
  const resolved: Record<string, unknown> = {};
  for (const [key, fallback] of Object.entries(defaults)) {
    resolved[key] = Object.hasOwn(raw, key) ? readKey(key, raw[key]) : fallback;
  }
  if (overrides.timestepSpacing !== undefined) resolved.timestep_spacing = overrides.timestepSpacing;
  if (overrides.karras !== undefined) {
    if (samplerSupportsKarras(name)) {
      resolved.use_karras_sigmas = overrides.karras;
    } else if (overrides.karras) {
      throw new EngineError(
        `Karras sigmas are not available with the ${name} sampler (diffusers' scheduler for it has no ` +
          'use_karras_sigmas); use euler or dpmpp-2m, or turn Karras off.',
        'bad-request',
      );
    }
  }
  return resolved as unknown as SchedulerConfigs[N];
}

/**
 * Throws for a config value that diffusers accepts but this port does not implement: the user's
 * to work around with another sampler, so a refused request rather than a broken folder.
 */
export function rejectUnsupported(name: SamplerName, key: string, value: unknown, supported: readonly unknown[]): void {
  if (!supported.includes(value)) {
    throw new EngineError(
      `the ${name} sampler does not support ${key} ${JSON.stringify(value)} ` +
        `(supported: ${supported.map((v) => JSON.stringify(v)).join(', ')}).`,
      'bad-request',
    );
  }
}
