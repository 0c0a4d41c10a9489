// Timestep spacing as diffusers' set_timesteps computes it (EulerDiscreteScheduler, DDIMScheduler,
// DPMSolverMultistepScheduler, LCMScheduler), including numpy's rounding and arange/linspace arithmetic.
import type { TimestepSpacing } from '../../protocol/recipe';
import { EngineError } from '../errors';

/** np.round: halves go to the even neighbour (937.5 → 938 but 812.5 → 812), unlike Math.round. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * np.linspace in float64: `i * step + start`, with the last value pinned to `stop` when the
 * endpoint is included.
 */
export function npLinspace(start: number, stop: number, num: number, endpoint = true): Float64Array {
  const out = new Float64Array(num);
  const div = endpoint ? num - 1 : num;
  if (div <= 0) {
    out.fill(start);
    return out;
  }
  const step = (stop - start) / div;
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  if (endpoint) out[num - 1] = stop;
  return out;
}

/**
 * np.arange with a float step: the length is ceil((stop - start) / step) and numpy fills
 * `start + i * delta` where delta is re-derived from the first two values, which can differ
 * from `step` in the last bit.
 */
export function npArange(start: number, stop: number, step: number): Float64Array {
  const length = Math.max(0, Math.ceil((stop - start) / step));
  const out = new Float64Array(length);
  if (length === 0) return out;
  out[0] = start;
  if (length > 1) out[1] = start + step;
  const delta = out[1] - start;
  for (let i = 2; i < length; i++) out[i] = start + i * delta;
  return out;
}

/** `(np.arange(0, count) * ratio).round()[::-1] + offset` with an integer ratio. */
function leading(count: number, ratio: number, offset: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = (count - 1 - i) * ratio + offset;
  return out;
}

/** `np.arange(start, 0, -numTrain / steps).round() - 1`. */
function trailing(start: number, numTrain: number, steps: number): Float64Array {
  return npArange(start, 0, -numTrain / steps).map((t) => roundHalfEven(t) - 1);
}

function checkStepCount(steps: number, numTrain: number): void {
  if (!Number.isSafeInteger(steps) || steps < 1 || steps > numTrain) {
    throw new RangeError(`the number of steps must be an integer from 1 to num_train_timesteps (${numTrain}), got ${steps}`);
  }
}

function unknownSpacing(spacing: never): never {
  throw new Error(`timestep_spacing "${String(spacing)}" is not one of linspace, leading, trailing`);
}

/**
 * EulerDiscreteScheduler and EulerAncestralDiscreteScheduler: float32 timesteps; linspace is not
 * rounded (the sigmas are interpolated between training steps instead).
 */
export function eulerTimesteps(
  spacing: TimestepSpacing,
  numTrain: number,
  steps: number,
  stepsOffset: number,
): Float64Array {
  checkStepCount(steps, numTrain);
  switch (spacing) {
    case 'linspace':
      return npLinspace(0, numTrain - 1, steps).reverse().map(Math.fround);
    case 'leading':
      return leading(steps, Math.floor(numTrain / steps), stepsOffset).map(Math.fround);
    case 'trailing':
      return trailing(numTrain, numTrain, steps).map(Math.fround);
    default:
      return unknownSpacing(spacing);
  }
}

/** DDIMScheduler: integer timesteps; linspace is rounded half to even. */
export function ddimTimesteps(
  spacing: TimestepSpacing,
  numTrain: number,
  steps: number,
  stepsOffset: number,
): Float64Array {
  checkStepCount(steps, numTrain);
  switch (spacing) {
    case 'linspace':
      return npLinspace(0, numTrain - 1, steps).map(roundHalfEven).reverse();
    case 'leading':
      return leading(steps, Math.floor(numTrain / steps), stepsOffset);
    case 'trailing':
      return trailing(numTrain, numTrain, steps);
    default:
      return unknownSpacing(spacing);
  }
}

/**
 * DPMSolverMultistepScheduler: integer timesteps taken from `steps + 1` points with the final
 * (lowest) one dropped, counted up to `lastTimestep` (below num_train_timesteps when
 * lambda_min_clipped cuts the end of the schedule).
 */
export function dpmSolverTimesteps(
  spacing: TimestepSpacing,
  numTrain: number,
  lastTimestep: number,
  steps: number,
  stepsOffset: number,
): Float64Array {
  checkStepCount(steps, numTrain);
  switch (spacing) {
    case 'linspace':
      return npLinspace(0, lastTimestep - 1, steps + 1).map(roundHalfEven).reverse().slice(0, steps);
    case 'leading':
      return leading(steps + 1, Math.floor(lastTimestep / (steps + 1)), stepsOffset).slice(0, steps);
    case 'trailing':
      return trailing(lastTimestep, numTrain, steps);
    default:
      return unknownSpacing(spacing);
  }
}

/**
 * LCMScheduler: the distillation schedule `k·i − 1` (k = numTrain // originalSteps), walked from
 * the top and sampled at `floor(linspace(0, len, steps, endpoint=False))`. timestep_spacing and
 * steps_offset play no part.
 */
export function lcmTimesteps(numTrain: number, originalSteps: number, steps: number): Float64Array {
  if (originalSteps > numTrain) {
    throw new EngineError(
      `scheduler_config.json: original_inference_steps ${originalSteps} exceeds num_train_timesteps ${numTrain}.`,
      'model-folder',
    );
  }
  checkStepCount(steps, numTrain);
  if (steps > originalSteps) {
    throw new RangeError(`LCM takes at most original_inference_steps (${originalSteps}) steps, got ${steps}`);
  }
  const k = Math.floor(numTrain / originalSteps);
  const indices = npLinspace(0, originalSteps, steps, false);
  // Reversed origin schedule: index j holds (originalSteps - j) * k - 1.
  return indices.map((index) => (originalSteps - Math.floor(index)) * k - 1);
}

/**
 * diffusers' index_for_timestep: the second match when a timestep repeats, so that starting
 * mid-schedule (image-to-image) does not skip a sigma; -1 when the timestep is absent.
 */
export function indexForTimestep(timesteps: Float64Array, timestep: number): number {
  const first = timesteps.indexOf(timestep);
  if (first < 0) return -1;
  const second = timesteps.indexOf(timestep, first + 1);
  return second < 0 ? first : second;
}

/**
 * diffusers' _step_index / _begin_index bookkeeping for the samplers that walk their schedule by
 * position: the first call finds the position from the timestep (or takes the begin index set for
 * image-to-image) and each step() advances it by one.
 */
export class StepIndex {
  private step: number | null = null;
  private begin: number | null = null;

  /** `missing`: DPMSolverMultistepScheduler falls back to the last step for an unknown timestep. */
  constructor(private readonly missing: 'throw' | 'last') {}

  reset(): void {
    this.step = null;
    this.begin = null;
  }

  setBegin(index: number): void {
    if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`begin index must be >= 0, got ${index}`);
    this.begin = index;
  }

  current(timesteps: Float64Array, timestep: number): number {
    this.step ??= this.begin ?? this.lookup(timesteps, timestep);
    return this.step;
  }

  advance(): void {
    if (this.step !== null) this.step += 1;
  }

  /** add_noise before the first step uses the begin index, during the loop (inpainting) the current step. */
  forAddNoise(timesteps: Float64Array, timestep: number): number {
    if (this.begin === null) return this.lookup(timesteps, timestep);
    return this.step ?? this.begin;
  }

  private lookup(timesteps: Float64Array, timestep: number): number {
    const index = indexForTimestep(timesteps, timestep);
    if (index >= 0) return index;
    if (this.missing === 'last') return timesteps.length - 1;
    throw new Error(`timestep ${timestep} is not in the schedule [${timesteps.join(', ')}]`);
  }
}
