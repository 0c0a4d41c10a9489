// Mirrors at::mt19937 in PyTorch's aten/src/ATen/core/MT19937RNGEngine.h.

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** The 32-bit Mersenne Twister, seeded the way torch seeds its CPU generator. */
export class MT19937 {
  private readonly state = new Uint32Array(N);
  private index = N;

  /** `seed` is a uint32: torch keeps only the low 32 bits of its 64-bit seed. */
  constructor(seed: number) {
    const mt = this.state;
    mt[0] = seed;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1];
      mt[i] = Math.imul(1812433253, prev ^ (prev >>> 30)) + i;
    }
  }

  /** A copy of the state words and the position of the next one to temper (N: the next draw twists). */
  getState(): { words: Uint32Array; index: number } {
    return { words: this.state.slice(), index: this.index };
  }

  setState(words: Uint32Array, index: number): void {
    if (words.length !== N) throw new RangeError(`MT19937 state must have ${N} words, got ${words.length}`);
    if (!Number.isInteger(index) || index < 0 || index > N) throw new RangeError(`MT19937 index must be in [0, ${N}], got ${index}`);
    this.state.set(words);
    this.index = index;
  }

  /** The next 32-bit output, as a non-negative number. */
  nextUint32(): number {
    if (this.index === N) this.twist();
    return temper(this.state[this.index++]) >>> 0;
  }

  /**
   * Writes the next `end - start` outputs to out[start..end), the values as many nextUint32
   * calls return. Bulk draws (randn's uniforms) skip the per-output call and state checks.
   */
  fill(out: Uint32Array, start: number, end: number): void {
    const mt = this.state;
    let k = start;
    while (k < end) {
      if (this.index === N) this.twist();
      let i = this.index;
      const stop = Math.min(end, k + N - i);
      while (k < stop) out[k++] = temper(mt[i++]);
      this.index = i;
    }
  }

  /** Regenerates all N words; the wrap-around at (i + 1) and (i + M) mod N is split into three loops. */
  private twist(): void {
    const mt = this.state;
    let i = 0;
    for (; i < N - M; i++) mt[i] = mt[i + M] ^ mix(mt[i], mt[i + 1]);
    for (; i < N - 1; i++) mt[i] = mt[i + M - N] ^ mix(mt[i], mt[i + 1]);
    mt[N - 1] = mt[M - 1] ^ mix(mt[N - 1], mt[0]);
    this.index = 0;
  }
}

/** The twist of one word from its own upper bit and the next word's lower bits (int32 result). */
function mix(word: number, next: number): number {
  const y = (word & UPPER_MASK) | (next & LOWER_MASK);
  return (y >>> 1) ^ (-(y & 1) & MATRIX_A);
}

/** MT19937's output tempering, as an int32 with the same bits as the uint32 output. */
function temper(y: number): number {
  y ^= y >>> 11;
  y ^= (y << 7) & 0x9d2c5680;
  y ^= (y << 15) & 0xefc60000;
  return y ^ (y >>> 18);
}
