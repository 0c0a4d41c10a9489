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

/** A torch.Generator on the CPU after manual_seed(seed), drawing float32 standard normals. */
export class TorchGenerator {
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

  /** Like torch.randn(shape, generator=g, dtype=torch.float32), continuing this generator's stream. */
  randn(shape: readonly number[]): Float32Array {
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

  /** normal_fill: all uniforms first, then Box–Muller per 16-block pairing element j with j + 8. */
  private normalFill(data: Float32Array): void {
    const size = data.length;
    for (let i = 0; i < size; i++) data[i] = this.uniformFloat();
    for (let i = 0; i + BLOCK <= size; i += BLOCK) boxMuller16(data, i);
    if (size % BLOCK !== 0) {
      // torch redraws the whole last block rather than transforming a ragged tail, so the
      // tail's first uniforms are discarded and 16 more are consumed.
      const start = size - BLOCK;
      for (let i = start; i < size; i++) data[i] = this.uniformFloat();
      boxMuller16(data, start);
    }
  }

  /** uniform_real_distribution<float>: the low 24 bits of one 32-bit draw. */
  private uniformFloat(): number {
    return (this.engine.nextUint32() & 0xffffff) * TWO_POW_MINUS_24;
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
const sinCos = new Float64Array(2);

/**
 * normal_fill_16_AVX2, which x86-64 builds of torch use for float32 (AVX-512 CPUs are routed to
 * it too). Its log and sincos are float32 Cephes polynomials, not libm, so libm here would be
 * off by an ulp in about a third of the values.
 */
function boxMuller16(data: Float32Array, offset: number): void {
  for (let j = offset; j < offset + 8; j++) {
    const radius = f(Math.sqrt(-2 * logf(1 - data[j])));
    sinCosf(f(TWO_PI_F * data[j + 8]));
    data[j] = radius * sinCos[1];
    data[j + 8] = radius * sinCos[0];
  }
}

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
const bitsF32 = new Float32Array(1);
const bitsI32 = new Int32Array(bitsF32.buffer);

/**
 * log256_ps for one lane. Inputs are 1 - uniform, in [2^-24, 1], so its clamp of denormals and
 * NaN for x <= 0 never apply. torch compiles it with FMA contraction, hence the fmaf calls
 * exactly where GCC fuses a multiply into the add that consumes it.
 */
function logf(value: number): number {
  bitsF32[0] = value;
  const bits = bitsI32[0];
  let e = (bits >>> 23) - 126;
  bitsI32[0] = (bits & 0x807fffff) | 0x3f000000;
  let x = bitsF32[0];
  // Exact in float: x is in [0.5, 1).
  if (x < SQRT_HALF) {
    e -= 1;
    x = x + x - 1;
  } else {
    x -= 1;
  }
  const z = f(x * x);
  let y = fmaf(LOG_P0, x, LOG_P1);
  y = fmaf(y, x, LOG_P2);
  y = fmaf(y, x, LOG_P3);
  y = fmaf(y, x, LOG_P4);
  y = fmaf(y, x, LOG_P5);
  y = fmaf(y, x, LOG_P6);
  y = fmaf(y, x, LOG_P7);
  y = fmaf(y, x, LOG_P8);
  y = f(y * x);
  y = fmaf(y, z, f(e * LOG_Q1));
  y = f(y - z * 0.5);
  return fmaf(e, LOG_Q2, f(x + y));
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

/** sincos256_ps for one lane and x >= 0 (theta = 2π·u): writes sinCos[0] = sin, sinCos[1] = cos. */
function sinCosf(x: number): void {
  const octant = (Math.trunc(f(x * FOUR_OVER_PI)) + 1) & ~1;
  x = fmaf(octant, MINUS_DP1, x);
  x = fmaf(octant, MINUS_DP2, x);
  x = fmaf(octant, MINUS_DP3, x);
  const z = f(x * x);

  let c = fmaf(fmaf(COS_P0, z, COS_P1), z, COS_P2);
  c = f(c * z);
  c = f(fmaf(c, z, -z * 0.5) + 1);
  let s = fmaf(SIN_P0, z, SIN_P1);
  s = f(fmaf(s, z, SIN_P2) * z);
  s = fmaf(s, x, x);

  const swapPolynomials = (octant & 2) !== 0;
  const sin = swapPolynomials ? c : s;
  const cos = swapPolynomials ? s : c;
  sinCos[0] = octant & 4 ? -sin : sin;
  sinCos[1] = (octant - 2) & 4 ? cos : -cos;
}

/**
 * Float32 fused multiply-add. a*b is exact in a double, so this is one rounding of the exact
 * a*b + c unless the double sum lands exactly on a float tie; across all 2^24 inputs logf and
 * sinCosf can receive that never happens (checked exhaustively against a TwoSum-corrected FMA).
 */
function fmaf(a: number, b: number, c: number): number {
  return f(a * b + c);
}
