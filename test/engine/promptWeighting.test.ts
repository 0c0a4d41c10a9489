// AUTOMATIC1111's prompt attention syntax and long-prompt chunks; expected values follow
// modules/prompt_parser.py parse_prompt_attention and sd_hijack_clip.py tokenize_line.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { EngineError } from '../../src/engine/errors';
import { ClipTokenizer } from '../../src/engine/text/clipTokenizer';
import {
  applyChunkWeights,
  emptyChunk,
  parsePromptAttention,
  weightedChunks,
} from '../../src/engine/text/promptWeighting';
import { writeSmallClipTokenizer } from '../support/smallVocab';
import { tempFolder } from '../support/tempFolder';

const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} ≠ ${expected}`);

function assertPieces(text: string, expected: Array<[string, number] | 'BREAK'>): void {
  const pieces = parsePromptAttention(text);
  assert.equal(pieces.length, expected.length, JSON.stringify(pieces));
  pieces.forEach((piece, i) => {
    const want = expected[i];
    if (want === 'BREAK') {
      assert.ok('break' in piece);
      return;
    }
    assert.ok(!('break' in piece));
    assert.equal(piece.text, want[0]);
    close(piece.weight, want[1]);
  });
}

describe('parsePromptAttention', () => {
  test('plain text is one piece of weight 1, and an empty prompt too', () => {
    assertPieces('a red fox', [['a red fox', 1]]);
    assertPieces('', [['', 1]]);
  });

  test('round brackets ×1.1, square ÷1.1, explicit weights, nesting multiplies', () => {
    // The examples of A1111's own docstring.
    assertPieces('normal text', [['normal text', 1]]);
    assertPieces('an (important) word', [['an ', 1], ['important', 1.1], [' word', 1]]);
    assertPieces('(unbalanced', [['unbalanced', 1.1]]);
    assertPieces('(literal]', [['literal]', 1.1]]);
    assertPieces('(unnecessary)(parens)', [['unnecessaryparens', 1.1]]);
    // The third "(" before house never closes, so it weighs everything after it.
    assertPieces('a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).', [
      ['a ', 1],
      ['house', 1.3 * 1.1 * 1.1],
      [' ', 1.1],
      ['on', 1],
      [' a ', 1.1],
      ['hill', 0.55],
      [', sun, ', 1.1],
      ['sky', 1.1 ** 4],
      ['.', 1.1],
    ]);
    assertPieces('[[cat]]', [['cat', 1 / 1.1 / 1.1]]);
    assertPieces('(cat: 1.5 )', [['cat', 1.5]]);
    assertPieces('(cat:-0.5)', [['cat', -0.5]]);
  });

  test('backslash escapes make brackets literal', () => {
    assertPieces('\\(literal\\]', [['(literal]', 1]]);
    assertPieces('a \\(b\\) (c)', [['a (b) ', 1], ['c', 1.1]]);
    assertPieces('back\\\\slash', [['back\\slash', 1]]);
    assertPieces('(x\\:y)', [['x:y', 1.1]]);
  });

  test('a stray closing bracket is text, a colon without a number is text', () => {
    assertPieces('a) b]', [['a) b]', 1]]);
    assertPieces('(ratio: wide)', [['ratio: wide', 1.1]]);
    assertPieces('(cat:+)', [['cat:+', 1.1]]);
  });

  test('BREAK separates pieces', () => {
    // As in A1111, the text after BREAK up to the bracket is an empty piece.
    assertPieces('a cat BREAK (a dog)', [['a cat', 1], 'BREAK', ['', 1], ['a dog', 1.1]]);
  });

  test('a weight that is not a number is a clear bad-request error', () => {
    for (const text of ['(cat:1.2.3)', '(cat:.)', '((cat:1..5))', '(cat:-.)']) {
      assert.throws(
        () => parsePromptAttention(text),
        (error: unknown) =>
          error instanceof EngineError && error.code === 'bad-request' && /prompt weight ".*" .* is not a number/.test(error.message),
        text,
      );
    }
  });
});

describe('weightedChunks', () => {
  const work = tempFolder('sdxl-weights');
  let tokenizer: ClipTokenizer;
  before(async () => {
    writeSmallClipTokenizer(join(work, 'tokenizer'), { padToken: '!' });
    tokenizer = await ClipTokenizer.fromFolder(join(work, 'tokenizer'));
  });

  test('a short unweighted prompt gives exactly the ids diffusers feeds, all of weight 1', () => {
    const chunks = weightedChunks(tokenizer, 'hello cat, bat');
    assert.equal(chunks.length, 1);
    assert.deepEqual(chunks[0].ids, tokenizer.encodeForModel('hello cat, bat'));
    assert.ok(chunks[0].weights.every((w) => w === 1));
  });

  test('weights land on their tokens; BOS, EOS and padding weigh 1', () => {
    const [chunk] = weightedChunks(tokenizer, 'hello (cat:1.5) [bat]');
    const ids = tokenizer.encode('hello cat bat');
    assert.deepEqual(chunk.ids.slice(0, ids.length), ids);
    // hello, cat, b+at: one token each for hello and cat, two for bat.
    assert.deepEqual(chunk.weights.slice(0, 6).map((w) => Math.round(w * 1e6) / 1e6), [1, 1, 1.5, 0.909091, 0.909091, 1]);
    assert.equal(chunk.ids[ids.length], tokenizer.padId);
  });

  test('past 75 tokens the prompt continues in another 77-token chunk', () => {
    const words = Array.from({ length: 80 }, () => 'cat').join(' ');
    const chunks = weightedChunks(tokenizer, words);
    assert.equal(chunks.length, 2);
    for (const chunk of chunks) {
      assert.equal(chunk.ids.length, 77);
      assert.equal(chunk.weights.length, 77);
      assert.equal(chunk.ids[0], tokenizer.bosId);
    }
    const cat = tokenizer.encode('cat')[1];
    assert.deepEqual(chunks[0].ids.slice(1, 76), Array(75).fill(cat));
    assert.equal(chunks[0].ids[76], tokenizer.eosId);
    assert.deepEqual(chunks[1].ids.slice(1, 6), Array(5).fill(cat));
    assert.equal(chunks[1].ids[6], tokenizer.eosId);
    assert.deepEqual(chunks[1].ids.slice(7), Array(70).fill(tokenizer.padId));
  });

  test('a full chunk moves the words after a late comma to the next chunk', () => {
    // 70 cats, a comma, 10 cats: the chunk fills at 75 with the comma 5 tokens back, within 20.
    const text = `${Array(70).fill('cat').join(' ')}, ${Array(10).fill('cat').join(' ')}`;
    const chunks = weightedChunks(tokenizer, text);
    const comma = tokenizer.encode(',')[1];
    assert.equal(chunks.length, 2);
    assert.equal(chunks[0].ids[71], comma);
    assert.equal(chunks[0].ids[72], tokenizer.eosId);
    const cat = tokenizer.encode('cat')[1];
    assert.deepEqual(chunks[1].ids.slice(1, 11), Array(10).fill(cat));
  });

  test('BREAK starts a new chunk; an empty chunk is BOS, EOS and padding', () => {
    const chunks = weightedChunks(tokenizer, 'cat BREAK bat');
    assert.equal(chunks.length, 2);
    assert.deepEqual(chunks[0].ids, tokenizer.encodeForModel('cat'));
    assert.deepEqual(chunks[1].ids, tokenizer.encodeForModel('bat'));
    assert.deepEqual(emptyChunk(tokenizer).ids, tokenizer.encodeForModel(''));
  });
});

describe('applyChunkWeights', () => {
  test("multiplies each token's row by its weight, then restores the chunk's mean (A1111's Original emphasis)", () => {
    const hidden = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const weights = [1, 2, 0.5];
    applyChunkWeights(hidden, weights);
    const weighted = [1, 2, 6, 8, 2.5, 3];
    const ratio = 21 / 6 / (22.5 / 6);
    weighted.forEach((value, i) => assert.ok(Math.abs(hidden[i] - value * ratio) < 1e-6, `${i}: ${hidden[i]}`));
    const mean = hidden.reduce((a, b) => a + b, 0) / hidden.length;
    assert.ok(Math.abs(mean - 3.5) < 1e-6);
  });

  test('weights of 1 leave the states bit for bit', () => {
    const hidden = Float32Array.from([0.1, -0.7, 3.3, 1e-3]);
    const copy = hidden.slice();
    applyChunkWeights(hidden, [1, 1]);
    assert.deepEqual(hidden, copy);
  });
});
