import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToUnicode } from '../../src/engine/text/clipTokenizer';

/**
 * A few merges, so tests see BPE at work: "hello", "cat" and "!!!" become single tokens, and "bat" shows rank order
 * ("a t</w>" outranks "b a", giving "b" + "at</w>").
 */
const MERGES = ['h e', 'l l', 'he ll', 'hell o</w>', 'c a', 'ca t</w>', 'a t</w>', 'b a', '! !', '!! !</w>'];

/**
 * Laid out like CLIP's vocabulary: the 256 byte symbols in bytes_to_unicode order (so "!" is 0), the same with
 * "</w>", one entry per merge, then BOS and EOS as the two largest ids.
 */
function smallVocab(): Record<string, number> {
  // Sorting by code point gives bytes_to_unicode's own order: printable bytes first, then the shifted ones.
  const symbols = [...bytesToUnicode()].sort((a, b) => a.charCodeAt(0) - b.charCodeAt(0));
  const tokens = [
    ...symbols,
    ...symbols.map((symbol) => `${symbol}</w>`),
    ...MERGES.map((merge) => merge.replace(' ', '')),
    '<|startoftext|>',
    '<|endoftext|>',
  ];
  return Object.fromEntries(tokens.map((token, id) => [token, id]));
}

/** Ids in the small vocabulary, for sizing a toy text encoder's embedding table. */
export function smallVocabSize(): number {
  return Object.keys(smallVocab()).length;
}

/**
 * Writes a Hugging Face tokenizer folder (vocab.json, merges.txt, special_tokens_map.json, tokenizer_config.json
 * with model_max_length 77) over the small vocabulary. The pad token must be in it: "<|endoftext|>" as in SDXL's
 * `tokenizer`, or "!" (id 0) as in `tokenizer_2`.
 */
export function writeSmallClipTokenizer(dir: string, opts: { padToken: string }): void {
  const vocab = smallVocab();
  if (!Object.hasOwn(vocab, opts.padToken)) {
    throw new Error(`pad token ${JSON.stringify(opts.padToken)} is not in the small vocabulary`);
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(vocab));
  writeFileSync(join(dir, 'merges.txt'), ['#version: 0.2', ...MERGES, ''].join('\n'));
  const special = {
    bos_token: { content: '<|startoftext|>', lstrip: false, normalized: true, rstrip: false, single_word: false },
    eos_token: { content: '<|endoftext|>', lstrip: false, normalized: true, rstrip: false, single_word: false },
    pad_token: opts.padToken,
    unk_token: { content: '<|endoftext|>', lstrip: false, normalized: true, rstrip: false, single_word: false },
  };
  writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify(special, null, 2));
  const config = {
    bos_token: '<|startoftext|>',
    do_lower_case: true,
    eos_token: '<|endoftext|>',
    model_max_length: 77,
    pad_token: opts.padToken,
    tokenizer_class: 'CLIPTokenizer',
    unk_token: '<|endoftext|>',
  };
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(config, null, 2));
}
