import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MT19937 } from '../../src/engine/random/mt19937';
import { TorchGenerator } from '../../src/engine/random/torchGenerator';
import { readReferenceJson, skipWithoutShared } from '../support/shared';

interface RandnReference {
  first: number[];
  last: number[];
  sum: number;
  sumsq: number;
  n: number;
}

function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function assertClose(
  actual: ArrayLike<number>,
  expected: readonly number[],
  tolerance: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    assert.ok(diff <= tolerance, `${what}[${i}]: ${actual[i]} vs ${expected[i]} (diff ${diff})`);
  }
}

describe('MT19937', () => {
  test('reproduces the standard sequence for the default seed', () => {
    const mt = new MT19937(5489);
    assert.equal(mt.nextUint32(), 3499211612);
    for (let i = 2; i < 10000; i++) mt.nextUint32();
    // C++11 [rand.predef] pins the 10000th output of a default-seeded std::mt19937.
    assert.equal(mt.nextUint32(), 4123659995);
  });

  test('fill writes the outputs nextUint32 returns, across twists and mixed with single draws', () => {
    const single = new MT19937(5489);
    const expected = Uint32Array.from({ length: 2000 }, () => single.nextUint32());
    const bulk = new MT19937(5489);
    const out = new Uint32Array(2000);
    // Chunks that start mid-state, end exactly on a twist (624) and span several twists.
    out[0] = bulk.nextUint32();
    bulk.fill(out, 1, 624);
    bulk.fill(out, 624, 625);
    out[625] = bulk.nextUint32();
    bulk.fill(out, 626, 2000);
    assert.deepEqual(out, expected);
    // An empty range draws nothing.
    bulk.fill(out, 5, 5);
    assert.equal(bulk.nextUint32(), single.nextUint32());
  });
});

describe('TorchGenerator', () => {
  test('seed 42, shape [10] starts with the values torch prints', () => {
    const values = new TorchGenerator(42).randn([10]);
    assertClose(values.subarray(0, 5), [0.3367, 0.1288, 0.2345, 0.2303, -1.1229], 5e-5, 'randn');
  });

  test('is deterministic per seed and differs between seeds', () => {
    const a = new TorchGenerator(7).randn([2, 3, 5]);
    assert.deepEqual(new TorchGenerator(7).randn([2, 3, 5]), a);
    assert.notDeepEqual(new TorchGenerator(8).randn([2, 3, 5]), a);
  });

  test('keeps only the low 32 bits of the seed and reads negatives as two\'s complement', () => {
    // mt19937's init_with_uint32 stores seed & 0xffffffff; Generator.manual_seed(-1) is 2^64-1.
    const expected = new TorchGenerator(0xffffffff).randn([16]);
    assert.deepEqual(new TorchGenerator(2n ** 64n - 1n).randn([16]), expected);
    assert.deepEqual(new TorchGenerator(-1).randn([16]), expected);
    assert.deepEqual(new TorchGenerator(2 ** 32 + 5).randn([16]), new TorchGenerator(5).randn([16]));
  });

  test('rejects seeds and shapes torch rejects', () => {
    assert.throws(() => new TorchGenerator(2n ** 64n), RangeError);
    assert.throws(() => new TorchGenerator(-(2n ** 63n) - 1n), RangeError);
    assert.throws(() => new TorchGenerator(1.5), RangeError);
    assert.throws(() => new TorchGenerator(0).randn([4, -1]), RangeError);
  });

  test('block-sized calls continue the stream as one larger call', () => {
    // normal_fill draws exactly `size` uniforms when size % 16 == 0 and transforms 16-blocks
    // independently, so two 16-calls see the same uniforms as one 32-call.
    const g = new TorchGenerator(3);
    assert.deepEqual(concat(g.randn([16]), g.randn([16])), new TorchGenerator(3).randn([32]));
  });

  test('a ragged size consumes 16 extra uniforms for its redrawn last block', () => {
    // randn([17]) draws 17 uniforms, then redraws the last block from draws 17..32. A [33] call
    // draws 33 and redraws its last block (outputs 17..32) from draws 33..48 — the ones a [16]
    // call right after randn([17]) gets.
    const g = new TorchGenerator(11);
    g.randn([17]);
    assert.deepEqual(g.randn([16]), new TorchGenerator(11).randn([33]).subarray(17));
  });

  test('small calls share the Box–Muller cache held by the generator', () => {
    const g = new TorchGenerator(42);
    const ten = new TorchGenerator(42).randn([10]);
    assert.deepEqual(concat(g.randn([5]), g.randn([5])), ten);

    const one = new TorchGenerator(42);
    const singles = Array.from({ length: 10 }, () => one.randn([1]));
    assert.deepEqual(concat(...singles), ten);
  });

  test('the cached sample survives a block-path call in between', () => {
    // randn([3]) leaves the sine of its second pair cached (the 4th value of a [4] call);
    // randn([16]) neither reads nor clears that cache.
    const g = new TorchGenerator(5);
    g.randn([3]);
    g.randn([16]);
    assert.equal(g.randn([1])[0], new TorchGenerator(5).randn([4])[3]);
  });

  test('an empty shape draws nothing; a 0-d shape draws one value', () => {
    const g = new TorchGenerator(9);
    assert.equal(g.randn([2, 0]).length, 0);
    assert.deepEqual(g.randn([]), new TorchGenerator(9).randn([1]));
  });
});

const skip = skipWithoutShared('reference', 'torch_randn.json');
const reference: Record<string, RandnReference> = skip ? {} : readReferenceJson('torch_randn.json');

describe('TorchGenerator against torch.randn', { skip }, () => {
  for (const [key, expected] of Object.entries(reference)) {
    const [seed, dims] = key.split('/');
    const shape = dims.split('x').map(Number);

    test(key, () => {
      const values = new TorchGenerator(BigInt(seed)).randn(shape);
      assert.equal(values.length, expected.n);
      assertClose(values.subarray(0, expected.first.length), expected.first, 1e-6, 'first');
      assertClose(values.subarray(values.length - expected.last.length), expected.last, 1e-6, 'last');
      let sum = 0;
      let sumsq = 0;
      for (const v of values) {
        sum += v;
        sumsq += v * v;
      }
      // The float64 sums differ only by summation order; an absolute floor keeps sums near 0 fair.
      const sumTolerance = 1e-6 * Math.max(1, Math.abs(expected.sum));
      assert.ok(Math.abs(sum - expected.sum) <= sumTolerance, `sum ${sum} vs ${expected.sum}`);
      const sumsqTolerance = 1e-6 * expected.sumsq;
      assert.ok(Math.abs(sumsq - expected.sumsq) <= sumsqTolerance, `sumsq ${sumsq} vs ${expected.sumsq}`);
    });
  }

  test('matches the x86-64 (AVX2) build of torch bit for bit', () => {
    for (const [key, expected] of Object.entries(reference)) {
      const [seed, dims] = key.split('/');
      const values = new TorchGenerator(BigInt(seed)).randn(dims.split('x').map(Number));
      const first = Array.from(values.subarray(0, expected.first.length));
      const last = Array.from(values.subarray(values.length - expected.last.length));
      assert.deepEqual(first, expected.first, `${key} first`);
      assert.deepEqual(last, expected.last, `${key} last`);
    }
  });

  test('consecutive calls continue one stream', () => {
    const latent = reference['0/1x4x8x8'];
    const g = new TorchGenerator(0);
    const values = concat(g.randn([64]), g.randn([64]), g.randn([64]), g.randn([64]));
    assert.deepEqual(Array.from(values.subarray(0, 16)), latent.first);
    assert.deepEqual(Array.from(values.subarray(256 - 16)), latent.last);

    const small = reference['1234/10'];
    const h = new TorchGenerator(1234);
    assert.deepEqual(Array.from(concat(h.randn([3]), h.randn([7]))), small.first);
  });
});
