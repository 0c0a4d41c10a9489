// The counts the panel shows under the prompts, from a tiny model's real tokenizer files.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { TokenCounter } from '../../../src/engine/server/tokenCounter';
import { ClipTokenizer } from '../../../src/engine/text/clipTokenizer';
import { tempFolder } from '../../support/tempFolder';
import { buildTinySdxl } from '../../support/tinyModels';

const work = tempFolder('sdxl-token-counter');
let model = '';
let tokenizer: ClipTokenizer;
/** The text's own tokens, without BOS and EOS. */
const own = (text: string) => tokenizer.encode(text).length - 2;

before(async () => {
  model = join(work, 'tiny-sdxl');
  buildTinySdxl(model);
  tokenizer = await ClipTokenizer.fromFolder(join(model, 'tokenizer'));
});

describe('token counter', () => {
  const counter = new TokenCounter();
  const long = Array.from({ length: 100 }, () => 'cat').join(' ');

  test('without weighting: BOS and EOS included, against one 77-token input', async () => {
    const [short, longCounts] = await counter.count(model, ['a (cat:1.3)', long], false);
    assert.deepEqual(short, ['tokenizer', 'tokenizer_2'].map((name) => ({ tokenizer: name, count: own('a (cat:1.3)') + 2, limit: 77, chunks: 1 })));
    assert.deepEqual(longCounts[0], { tokenizer: 'tokenizer', count: 102, limit: 77, chunks: 1 });
  });

  test('with weighting: the words without their weight syntax, in chunks of 75', async () => {
    const [weighted, longCounts, broken] = await counter.count(model, ['a (cat:1.3), [hello]', long, 'cat BREAK cat'], true);
    assert.deepEqual(weighted[0], { tokenizer: 'tokenizer', count: own('a cat, hello'), limit: 75, chunks: 1 });
    assert.deepEqual(longCounts[1], { tokenizer: 'tokenizer_2', count: 100, limit: 75, chunks: 2 });
    assert.deepEqual(broken[0], { tokenizer: 'tokenizer', count: 2, limit: 75, chunks: 2 }, 'BREAK starts a chunk');
  });

  test('an empty prompt is one empty chunk', async () => {
    const [[empty]] = await counter.count(model, [''], true);
    assert.deepEqual(empty, { tokenizer: 'tokenizer', count: 0, limit: 75, chunks: 1 });
  });

  test('an open bracket weighs to the end, as in A1111; a weight that is no number is reported, not thrown', async () => {
    const [[unclosed], [badWeight]] = await counter.count(model, ['(unclosed', '(cat:1.2.3)'], true);
    assert.deepEqual(unclosed, { tokenizer: 'tokenizer', count: own('unclosed'), limit: 75, chunks: 1 });
    assert.equal(badWeight.count, own('(cat:1.2.3)') + 2, 'the count without weighting');
    assert.equal(badWeight.chunks, 1);
    assert.match(badWeight.problem ?? '', /weight "1\.2\.3" .* is not a number/);
  });
});
