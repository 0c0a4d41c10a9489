// Reproduces torch.randn on a CPU torch.Generator: aten/src/ATen/CPUGeneratorImpl.cpp (generator),
// aten/src/ATen/native/cpu/DistributionTemplates.h (normal_kernel / normal_fill_AVX2),
// aten/src/ATen/native/cpu/avx_mathfun.h (log256_ps / sincos256_ps) and
// aten/src/ATen/core/DistributionsHelper.h (normal_distribution).
import { MT19937 } from './mt19937';

const TWO_PI = 2 * Math.PI;
const TWO_POW_MINUS_24 = 2 ** -24;
const TWO_POW_MINUS_53 = 2 ** -53;
const TWO_POW_32 = 2 ** 32;
const MIN_SEED = -(2n ** 63n);
const MAX_SEED = 2n ** 64n - 1n;
/** torch switches from the per-element double path to 16-element Box–Muller blocks at this size. */
const BLOCK = 16;

/** Where a sampler takes its noise from: a generator, or noise a worker drew from the same stream. */
export interface NoiseSource {
  /** Like torch.randn(shape, generator=g, dtype=torch.float32): the next values of the stream. */
  randn(shape: readonly number[]): Float32Array;
}

/**
 * Everything a TorchGenerator's stream depends on, as data that structured clone carries to a
 * worker thread (torch's get_state / set_state, in another layout).
 */
export interface TorchGeneratorState {
  /** MT19937's 624 state words. */
  words: Uint32Array;
  /** Position of the next word to temper; 624 when the next draw twists first. */
  index: number;
  /** The scalar path's cached second normal (torch's next_double_normal_sample). */
  nextDoubleNormal: number | null;
}

/** A torch.Generator on the CPU after manual_seed(seed), drawing float32 standard normals. */
export class TorchGenerator implements NoiseSource {
  private readonly engine: MT19937;
  /** Box–Muller's second double sample, which torch keeps in the generator between calls. */
  private nextDoubleNormal: number | null = null;

  /** Seeds as torch does: integers in [-2^63, 2^64-1], negatives read as two's complement. */
  constructor(seed: number | bigint) {
    if (typeof seed === 'number' && !Number.isInteger(seed)) {
      throw new RangeError(`seed must be an integer, got ${seed}`);
    }
    const big = BigInt(seed);
    if (big < MIN_SEED || big > MAX_SEED) {
      throw new RangeError(`seed ${big} is outside [-2^63, 2^64-1]`);
    }
    this.engine = new MT19937(Number(BigInt.asUintN(32, big)));
  }

  /** A snapshot of the stream's position; the generator goes on independently of it. */
  getState(): TorchGeneratorState {
    return { ...this.engine.getState(), nextDoubleNormal: this.nextDoubleNormal };
  }

  /** Continues the stream from a snapshot, as the generator it came from would have. */
  setState(state: TorchGeneratorState): void {
    this.engine.setState(state.words, state.index);
    this.nextDoubleNormal = state.nextDoubleNormal;
  }

  /** Like torch.randn(shape, generator=g, dtype=torch.float32), continuing this generator's stream. */
  randn(shape: readonly number[]): Float32Array<ArrayBuffer> {
    let size = 1;
    for (const dim of shape) {
      if (!Number.isSafeInteger(dim) || dim < 0) throw new RangeError(`bad dimension ${dim} in [${shape}]`);
      size *= dim;
    }
    const out = new Float32Array(size);
    if (size >= BLOCK) this.normalFill(out);
    else for (let i = 0; i < size; i++) out[i] = this.normalDouble();
    return out;
  }

  /**
   * normal_fill: all uniforms first, then Box–Muller per 16-block pairing element j with j + 8.
   * The raw 32-bit draws go straight into the output's bytes, and each block reads its 16 draws
   * before it overwrites them with normals.
   */
  private normalFill(data: Float32Array): void {
    const size = data.length;
    const draws = new Uint32Array(data.buffer, data.byteOffset, size);
    this.engine.fill(draws, 0, size);
    for (let i = 0; i + BLOCK <= size; i += BLOCK) boxMuller16(draws, data, i);
    if (size % BLOCK !== 0) {
      // torch redraws the whole last block rather than transforming a ragged tail, so the
      // tail's first uniforms are discarded and 16 more are consumed.
      const start = size - BLOCK;
      this.engine.fill(draws, start, size);
      boxMuller16(draws, data, start);
    }
  }

  /** uniform_real_distribution<double>: the low 53 bits of random64(), whose first draw is the high word. */
  private uniformDouble(): number {
    const hi = this.engine.nextUint32() & 0x1fffff;
    const lo = this.engine.nextUint32();
    return (hi * TWO_POW_32 + lo) * TWO_POW_MINUS_53;
  }

  /** normal_distribution<double>: u1 sets the angle, u2 the radius; the sine is cached for the next call. */
  private normalDouble(): number {
    const cached = this.nextDoubleNormal;
    if (cached !== null) {
      this.nextDoubleNormal = null;
      return cached;
    }
    const u1 = this.uniformDouble();
    const u2 = this.uniformDouble();
    const radius = Math.sqrt(-2 * Math.log1p(-u2));
    const theta = TWO_PI * u1;
    this.nextDoubleNormal = radius * Math.sin(theta);
    return radius * Math.cos(theta);
  }
}

const f = Math.fround;
const TWO_PI_F = f(TWO_PI);
const TWO_POW_24 = 2 ** 24;
const sinCos = new Float64Array(2);

/**
 * normal_fill_16_AVX2, which x86-64 builds of torch use for float32 (AVX-512 CPUs are routed to
 * it too), from the 16 raw draws at draws[offset..offset + 16) to normals in data at the same
 * place (the two may share memory). Its log and sincos are float32 Cephes polynomials, not libm,
 * so libm here would be off by an ulp in about a third of the values.
 */
function boxMuller16(draws: Uint32Array, data: Float32Array, offset: number): void {
  for (let j = offset; j < offset + 8; j++) {
    // uniform_real_distribution<float> is the low 24 bits k of a draw times 2^-24, so the radius
    // takes the log of 1 - u = (2^24 - k)·2^-24, exactly.
    const radius = f(Math.sqrt(-2 * logf(TWO_POW_24 - (draws[j] & 0xffffff))));
    sinCosf(f(TWO_PI_F * ((draws[j + 8] & 0xffffff) * TWO_POW_MINUS_24)));
    data[j] = radius * sinCos[1];
    data[j + 8] = radius * sinCos[0];
  }
}

// The polynomials below evaluate f(a * b + c) where torch's build contracts a float multiply
// and add into an FMA: a*b is exact in a double, so this is one rounding of the exact a*b + c
// unless the double sum lands exactly on a float tie; across all 2^24 inputs logf and sinCosf
// can receive that never happens (checked exhaustively against a TwoSum-corrected FMA). It is
// written out rather than called as a helper, whose inlined copies would use up V8's inlining
// budget and leave logf a real call in boxMuller16's loop. Branches on the data would
// mispredict about half the time, so the per-lane choices of log256_ps and sincos256_ps are
// arithmetic here, as they are masks in the vector code.

const SQRT_HALF = f(0.707106781186547524);
const LOG_P0 = f(7.0376836292e-2);
const LOG_P1 = f(-1.151461031e-1);
const LOG_P2 = f(1.167699874e-1);
const LOG_P3 = f(-1.2420140846e-1);
const LOG_P4 = f(1.4249322787e-1);
const LOG_P5 = f(-1.6668057665e-1);
const LOG_P6 = f(2.0000714765e-1);
const LOG_P7 = f(-2.4999993993e-1);
const LOG_P8 = f(3.3333331174e-1);
const LOG_Q1 = f(-2.1219444e-4);
const LOG_Q2 = f(0.693359375);
/** 2^-n for the bit lengths n of logf's inputs. */
const INVERSE_POWERS_OF_TWO = Float64Array.from({ length: 26 }, (_, n) => 2 ** -n);

/**
 * log256_ps for one lane, of m·2^-24 for an integer m in [1, 2^24]: the inputs 1 - uniform, so
 * its clamp of denormals and NaN for x <= 0 never apply. The exponent and mantissa it reads from
 * the float's bits come from m's bit length instead.
 */
function logf(m: number): number {
  // m·2^-24 = x·2^e with x in [0.5, 1), exactly.
  const bitLength = 32 - Math.clz32(m);
  let x = m * INVERSE_POWERS_OF_TWO[bitLength];
  // Below sqrt(1/2), x becomes 2x - 1 and e drops by one; x - 1 otherwise. Exact in float.
  const below = +(x < SQRT_HALF);
  const e = bitLength - 24 - below;
  x = x * (1 + below) - 1;
  const z = f(x * x);
  let y = f(LOG_P0 * x + LOG_P1);
  y = f(y * x + LOG_P2);
  y = f(y * x + LOG_P3);
  y = f(y * x + LOG_P4);
  y = f(y * x + LOG_P5);
  y = f(y * x + LOG_P6);
  y = f(y * x + LOG_P7);
  y = f(y * x + LOG_P8);
  y = f(y * x);
  y = f(y * z + f(e * LOG_Q1));
  y = f(y - z * 0.5);
  return f(e * LOG_Q2 + f(x + y));
}

const FOUR_OVER_PI = f(1.27323954473516);
const MINUS_DP1 = f(-0.78515625);
const MINUS_DP2 = f(-2.4187564849853515625e-4);
const MINUS_DP3 = f(-3.77489497744594108e-8);
const SIN_P0 = f(-1.9515295891e-4);
const SIN_P1 = f(8.3321608736e-3);
const SIN_P2 = f(-1.6666654611e-1);
const COS_P0 = f(2.443315711809948e-5);
const COS_P1 = f(-1.388731625493765e-3);
const COS_P2 = f(4.166664568298827e-2);
/** The two polynomials of the reduced angle, [sine, cosine], indexed by whether the octant swaps them. */
const polynomials = new Float64Array(2);

/** sincos256_ps for one lane and x >= 0 (theta = 2π·u): writes sinCos[0] = sin, sinCos[1] = cos. */
function sinCosf(x: number): void {
  // x·4/π is in [0, 8], so | 0 truncates it like the vector code's cvttps.
  const octant = ((f(x * FOUR_OVER_PI) | 0) + 1) & ~1;
  // The first two steps of the Cody–Waite reduction are exact in float, so they skip the
  // rounding (octant·DP1 lies within a factor of two of x; the DP2 step checked over all inputs).
  x = octant * MINUS_DP1 + x;
  x = octant * MINUS_DP2 + x;
  x = f(octant * MINUS_DP3 + x);
  const z = f(x * x);

  let c = f(f(COS_P0 * z + COS_P1) * z + COS_P2);
  c = f(c * z);
  polynomials[1] = f(f(c * z + -z * 0.5) + 1);
  let s = f(SIN_P0 * z + SIN_P1);
  s = f(f(s * z + SIN_P2) * z);
  polynomials[0] = f(s * x + x);

  // Octants 2, 3, 6 and 7 swap the polynomials; the signs are factors of ±1, exact like negation.
  const swap = (octant >> 1) & 1;
  sinCos[0] = polynomials[swap] * (1 - ((octant & 4) >> 1));
  sinCos[1] = polynomials[swap ^ 1] * ((((octant - 2) & 4) >> 1) - 1);
}
