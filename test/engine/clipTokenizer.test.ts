import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ClipTokenizer } from '../../src/engine/text/clipTokenizer';
import { cleanText } from '../../src/engine/text/textCleanup';
import { clipDataDir, readReferenceJson, referenceDir, skipWithoutShared } from '../support/shared';
import { smallVocabSize, writeSmallClipTokenizer } from '../support/smallVocab';
import { tempFolder } from '../support/tempFolder';

const scratch = tempFolder('clip-tokenizer');
let folders = 0;

/** A fresh small tokenizer folder, so a test may damage its files. */
function smallFolder(padToken = '<|endoftext|>'): string {
  const dir = join(scratch, `tokenizer-${folders++}`);
  writeSmallClipTokenizer(dir, { padToken });
  return dir;
}

function readVocab(dir: string): Record<string, number> {
  return JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Record<string, number>;
}

describe('ClipTokenizer on a small vocabulary', () => {
  const dir = smallFolder();
  const vocab = readVocab(dir);
  const id = (token: string): number => {
    assert.ok(Object.hasOwn(vocab, token), `${token} is in the small vocabulary`);
    return vocab[token];
  };

  test('BOS and EOS come from the vocabulary, not fixed ids', async () => {
    const tokenizer = await ClipTokenizer.fromFolder(dir);
    assert.equal(tokenizer.bosId, smallVocabSize() - 2);
    assert.equal(tokenizer.eosId, smallVocabSize() - 1);
    assert.equal(tokenizer.maxLength, 77);
    assert.deepEqual(tokenizer.encode(''), [tokenizer.bosId, tokenizer.eosId]);
  });

  test('applies merges by rank and marks word ends', async () => {
    const tokenizer = await ClipTokenizer.fromFolder(dir);
    const { bosId, eosId } = tokenizer;
    assert.deepEqual(tokenizer.encode('hello cat'), [bosId, id('hello</w>'), id('cat</w>'), eosId]);
    assert.deepEqual(tokenizer.encode('bat'), [bosId, id('b'), id('at</w>'), eosId]);
    assert.deepEqual(tokenizer.encode('hell'), [bosId, id('he'), id('l'), id('l</w>'), eosId]);
    assert.deepEqual(tokenizer.encode('x'), [bosId, id('x</w>'), eosId]);
    // The cache must give the same answer the second time.
    assert.deepEqual(tokenizer.encode('hello hello'), [bosId, id('hello</w>'), id('hello</w>'), eosId]);
  });

  test('a merges.txt saved with Windows line endings gives the same tokens', async () => {
    const crlf = smallFolder();
    const mergesPath = join(crlf, 'merges.txt');
    writeFileSync(mergesPath, readFileSync(mergesPath, 'utf8').replace(/\n/g, '\r\n'));
    const [plain, windows] = await Promise.all([ClipTokenizer.fromFolder(dir), ClipTokenizer.fromFolder(crlf)]);
    assert.deepEqual(windows.encode('hello cat bat hell'), plain.encode('hello cat bat hell'));
  });

  test('lower-cases and collapses whitespace', async () => {
    const tokenizer = await ClipTokenizer.fromFolder(dir);
    assert.deepEqual(tokenizer.encode('  HeLLo \t\n\r CAT\u00a0 '), tokenizer.encode('hello cat'));
  });

  test('splits on the pre-tokenisation regex', async () => {
    const tokenizer = await ClipTokenizer.fromFolder(dir);
    const { bosId, eosId } = tokenizer;
    assert.deepEqual(tokenizer.encode("cat's"), [bosId, id('cat</w>'), id("'"), id('s</w>'), eosId]);
    assert.deepEqual(tokenizer.encode('cat42'), [bosId, id('cat</w>'), id('4</w>'), id('2</w>'), eosId]);
    assert.deepEqual(tokenizer.encode('cat,.'), [bosId, id('cat</w>'), id(','), id('.</w>'), eosId]);
  });

  test('a character outside the vocabulary still encodes through its UTF-8 bytes', async () => {
    const tokenizer = await ClipTokenizer.fromFolder(dir);
    const { bosId, eosId } = tokenizer;
    // é is C3 A9, bytes_to_unicode keeps both as themselves: "Ã", "©".
    assert.deepEqual(tokenizer.encode('é'), [bosId, id('Ã'), id('©</w>'), eosId]);
    // 🚀 is F0 9F 9A 80; 0x9F, 0x9A and 0x80 are not printable, so GPT-2's table moves them to U+0100 and up.
    assert.deepEqual(tokenizer.encode('🚀'), [bosId, id('ð'), id('Ł'), id('ļ'), id('Ģ</w>'), eosId]);
  });

  test('special tokens in the text keep their ids', async () => {
    const tokenizer = await ClipTokenizer.fromFolder(dir);
    const { bosId, eosId } = tokenizer;
    assert.deepEqual(tokenizer.encode('cat<|endoftext|>cat'), [bosId, id('cat</w>'), eosId, id('cat</w>'), eosId]);
    assert.deepEqual(tokenizer.encode('<|StartOfText|> cat'), [bosId, bosId, id('cat</w>'), eosId]);
  });

  test('pads on the right with the folder pad token', async () => {
    const withEos = await ClipTokenizer.fromFolder(dir);
    const withBang = await ClipTokenizer.fromFolder(smallFolder('!'));
    assert.equal(withEos.padId, withEos.eosId);
    assert.equal(withBang.padId, 0);
    for (const tokenizer of [withEos, withBang]) {
      const ids = tokenizer.encodeForModel('hello cat');
      assert.equal(ids.length, 77);
      assert.deepEqual(ids.slice(0, 4), [tokenizer.bosId, id('hello</w>'), id('cat</w>'), tokenizer.eosId]);
      assert.ok(ids.slice(4).every((x) => x === tokenizer.padId));
    }
  });

  test('a pad token other than EOS is split out of the text, as transformers does', async () => {
    const withEos = await ClipTokenizer.fromFolder(dir);
    const withBang = await ClipTokenizer.fromFolder(smallFolder('!'));
    assert.deepEqual(withEos.encode('cat!!!'), [withEos.bosId, id('cat</w>'), id('!!!</w>'), withEos.eosId]);
    assert.deepEqual(withBang.encode('cat!!!'), [withBang.bosId, id('cat</w>'), 0, 0, 0, withBang.eosId]);
  });

  test('truncation keeps BOS, the first maxLength - 2 tokens and EOS', async () => {
    const tokenizer = await ClipTokenizer.fromFolder(dir);
    const text = Array.from({ length: 100 }, (_, i) => (i < 75 ? 'cat' : 'hello')).join(' ');
    assert.equal(tokenizer.encode(text).length, 102);
    const ids = tokenizer.encodeForModel(text);
    assert.equal(ids.length, 77);
    assert.equal(ids[0], tokenizer.bosId);
    assert.ok(ids.slice(1, 76).every((x) => x === id('cat</w>')));
    assert.equal(ids[76], tokenizer.eosId);
  });

  test('reads model_max_length when it is sane', async () => {
    const shortDir = smallFolder();
    const configPath = join(shortDir, 'tokenizer_config.json');
    writeFileSync(configPath, JSON.stringify({ model_max_length: 5 }));
    const short = await ClipTokenizer.fromFolder(shortDir);
    assert.equal(short.maxLength, 5);
    const cat = id('cat</w>');
    assert.deepEqual(short.encodeForModel('cat cat cat cat'), [short.bosId, cat, cat, cat, short.eosId]);
    writeFileSync(configPath, JSON.stringify({ model_max_length: 1e30 }));
    assert.equal((await ClipTokenizer.fromFolder(shortDir)).maxLength, 77);
  });
});

describe('ClipTokenizer.fromFolder pad token and errors', () => {
  test('pad token: special_tokens_map.json, then tokenizer_config.json, then EOS', async () => {
    const dir = smallFolder('!');
    writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify({ pad_token: { content: '!' } }));
    assert.equal((await ClipTokenizer.fromFolder(dir)).padId, 0);
    rmSync(join(dir, 'special_tokens_map.json'));
    assert.equal((await ClipTokenizer.fromFolder(dir)).padId, 0, 'from tokenizer_config.json');
    rmSync(join(dir, 'tokenizer_config.json'));
    const fallback = await ClipTokenizer.fromFolder(dir);
    assert.equal(fallback.padId, fallback.eosId);
    assert.equal(fallback.maxLength, 77);
  });

  test('a missing merges.txt is named in the error', async () => {
    const dir = smallFolder();
    rmSync(join(dir, 'merges.txt'));
    await assert.rejects(ClipTokenizer.fromFolder(dir), /merges\.txt/);
  });

  test('a missing vocab.json is named in the error', async () => {
    const dir = smallFolder();
    rmSync(join(dir, 'vocab.json'));
    await assert.rejects(ClipTokenizer.fromFolder(dir), /vocab\.json/);
  });

  test('invalid JSON and bad contents are named in the error', async () => {
    const dir = smallFolder();
    writeFileSync(join(dir, 'special_tokens_map.json'), '{ not json');
    await assert.rejects(ClipTokenizer.fromFolder(dir), /special_tokens_map\.json: invalid JSON/);

    const noEos = smallFolder();
    const vocab = readVocab(noEos);
    delete vocab['<|endoftext|>'];
    writeFileSync(join(noEos, 'vocab.json'), JSON.stringify(vocab));
    await assert.rejects(ClipTokenizer.fromFolder(noEos), /EOS token "<\|endoftext\|>" is not in the vocabulary/);

    const badPad = smallFolder();
    writeFileSync(join(badPad, 'special_tokens_map.json'), JSON.stringify({ pad_token: '<pad>' }));
    await assert.rejects(ClipTokenizer.fromFolder(badPad), /pad token "<pad>" is not in the vocabulary/);

    const badMerges = smallFolder();
    writeFileSync(join(badMerges, 'merges.txt'), '#version: 0.2\nh e\nabc\n');
    await assert.rejects(ClipTokenizer.fromFolder(badMerges), /merges\.txt: merge 2 is not a pair/);
  });
});

describe('cleanText (transformers CLIPTokenizer without ftfy)', () => {
  test('drops control and format characters, keeps tab and newline as spaces', () => {
    assert.equal(cleanText('a\u200db\u0000c\ufffd\u0007d\te\nf'), 'abcd e f');
  });

  test('spaces CJK ideographs apart but not kana or hangul', () => {
    assert.equal(cleanText('猫の絵'), '猫 の 絵');
    assert.equal(cleanText('ねこ 고양이'), 'ねこ 고양이');
  });

  test('composes to NFC and lower-cases', () => {
    assert.equal(cleanText('Cafe\u0301 ΟΔΟΣ'), 'caf\u00e9 οδο\u03c2');
  });

  test('leaves HTML entities alone', () => {
    assert.equal(cleanText('fish &amp; chips'), 'fish &amp; chips');
  });
});

describe('ClipTokenizer on the real CLIP vocabulary', () => {
  interface TokenCase {
    prompt: string;
    ids: number[];
  }
  interface Case {
    id: string;
    prompt: string;
    negative_prompt: string | null;
    guidance_scale: number;
    derived: { text_encoder_calls: { model: 'text_encoder' | 'text_encoder_2'; input_ids: number[][] }[] };
  }
  const tinyModel = join(referenceDir, 'sdxl-tiny', 'model');

  test(
    'encode reproduces OpenAI CLIP on clip_tokens.json',
    { skip: skipWithoutShared('data', 'clip') || skipWithoutShared('reference', 'clip_tokens.json') },
    async () => {
      const tokenizer = await ClipTokenizer.fromFolder(clipDataDir);
      assert.equal(tokenizer.bosId, 49406);
      assert.equal(tokenizer.eosId, 49407);
      for (const { prompt, ids } of readReferenceJson<TokenCase[]>('clip_tokens.json')) {
        assert.deepEqual(tokenizer.encode(prompt), ids, JSON.stringify(prompt));
      }
    },
  );

  test(
    'encodeForModel reproduces every text-encoder call of the sdxl-tiny cases',
    { skip: skipWithoutShared('reference', 'sdxl-tiny', 'cases.json') },
    async () => {
      const tokenizers = {
        text_encoder: await ClipTokenizer.fromFolder(join(tinyModel, 'tokenizer')),
        text_encoder_2: await ClipTokenizer.fromFolder(join(tinyModel, 'tokenizer_2')),
      };
      assert.equal(tokenizers.text_encoder.padId, 49407);
      assert.equal(tokenizers.text_encoder_2.padId, 0);
      const { cases } = readReferenceJson<{ cases: Case[] }>('sdxl-tiny/cases.json');
      let checked = 0;
      for (const c of cases) {
        const texts = [c.prompt];
        if (typeof c.negative_prompt === 'string' && c.guidance_scale > 1) texts.push(c.negative_prompt);
        const expected = c.derived.text_encoder_calls;
        assert.equal(expected.length, texts.length * 2, c.id);
        expected.forEach((call, i) => {
          assert.equal(call.model, i % 2 === 0 ? 'text_encoder' : 'text_encoder_2');
          const ids = tokenizers[call.model].encodeForModel(texts[Math.floor(i / 2)]);
          assert.deepEqual([ids], call.input_ids, `${c.id} call ${i}`);
          checked++;
        });
      }
      assert.ok(checked >= 20, `checked ${checked} calls`);
    },
  );

  test(
    "tokenizer_2 turns every '!' into its pad id 0, as diffusers does (diffusers issue #4153)",
    { skip: skipWithoutShared('reference', 'sdxl-tiny', 'model', 'tokenizer_2') },
    async () => {
      const first = await ClipTokenizer.fromFolder(join(tinyModel, 'tokenizer'));
      const second = await ClipTokenizer.fromFolder(join(tinyModel, 'tokenizer_2'));
      assert.deepEqual(first.encode('! !! !!!'), [49406, 256, 748, 995, 49407]);
      assert.deepEqual(second.encode('! !! !!!'), [49406, 0, 0, 0, 0, 0, 0, 49407]);
    },
  );

  test(
    'loads and encodes fast',
    { skip: skipWithoutShared('data', 'clip') },
    async () => {
      // Generous bounds against accidental quadratic work; the targets are < 100 ms and well under 1 ms.
      const start = performance.now();
      const tokenizer = await ClipTokenizer.fromFolder(clipDataDir);
      const loadMs = performance.now() - start;
      assert.ok(loadMs < 1000, `load took ${loadMs.toFixed(0)} ms`);
      const scene = Array.from({ length: 5 }, () => 'a cozy log cabin in a pine forest at sunset, low poly,');
      const prompt = `${scene.join(' ')} warm light, sharp focus`;
      assert.equal(tokenizer.encode(prompt).length, 77);
      const runs = 200;
      const t0 = performance.now();
      for (let i = 0; i < runs; i++) tokenizer.encode(prompt);
      const perCallMs = (performance.now() - t0) / runs;
      assert.ok(perCallMs < 1, `encode took ${perCallMs.toFixed(3)} ms`);
    },
  );
});
