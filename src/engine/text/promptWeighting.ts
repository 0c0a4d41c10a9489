// AUTOMATIC1111's prompt syntax (modules/prompt_parser.py parse_prompt_attention) and its
// long-prompt chunking (modules/sd_hijack_clip.py tokenize_line), so that a prompt copied from
// A1111 weighs its words and splits past 75 tokens the same way.
import { EngineError } from '../errors';
import type { ClipTokenizer } from './clipTokenizer';

/** A run of prompt text with its attention weight, or a BREAK that ends the current chunk. */
export type PromptPiece = { text: string; weight: number } | { break: true };

/** One encoder input: maxLength ids and a weight per id. */
export interface PromptChunk {
  ids: number[];
  weights: number[];
}

const ROUND_MULTIPLIER = 1.1;
const SQUARE_MULTIPLIER = 1 / 1.1;
/** A1111's opts.comma_padding_backtrack default: a full chunk breaks after a comma this close to its end. */
const COMMA_BACKTRACK = 20;

/** parse_prompt_attention's re_attention, alternative for alternative. */
const ATTENTION = /\\\(|\\\)|\\\[|\\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|\]|[^\\()[\]:]+|:/g;
const BREAK = /\s*\bBREAK\b\s*/;

/**
 * `(text)` ×1.1, `[text]` ÷1.1, `(text:w)` ×w, nesting multiplies, `\(` etc. are literal.
 * As in A1111, brackets left open weigh to the end and a stray closing bracket is text; a
 * weight that is not a number (say `(cat:1.2.3)`) is an error rather than A1111's crash.
 */
export function parsePromptAttention(text: string): PromptPiece[] {
  const pieces: Array<{ text: string; weight: number } | { break: true }> = [];
  const round: number[] = [];
  const square: number[] = [];
  const multiplyFrom = (start: number, multiplier: number) => {
    for (let i = start; i < pieces.length; i++) {
      const piece = pieces[i];
      if (!('break' in piece)) piece.weight *= multiplier;
    }
  };
  for (const match of text.matchAll(ATTENTION)) {
    const token = match[0];
    const weight = match[1];
    if (token.startsWith('\\')) {
      pieces.push({ text: token.slice(1), weight: 1 });
    } else if (token === '(') {
      round.push(pieces.length);
    } else if (token === '[') {
      square.push(pieces.length);
    } else if (weight !== undefined && round.length > 0) {
      multiplyFrom(round.pop() as number, parseWeight(weight, text));
    } else if (token === ')' && round.length > 0) {
      multiplyFrom(round.pop() as number, ROUND_MULTIPLIER);
    } else if (token === ']' && square.length > 0) {
      multiplyFrom(square.pop() as number, SQUARE_MULTIPLIER);
    } else {
      token.split(BREAK).forEach((part, i) => {
        if (i > 0) pieces.push({ break: true });
        pieces.push({ text: part, weight: 1 });
      });
    }
  }
  for (const start of round) multiplyFrom(start, ROUND_MULTIPLIER);
  for (const start of square) multiplyFrom(start, SQUARE_MULTIPLIER);
  if (pieces.length === 0) return [{ text: '', weight: 1 }];
  // Neighbours of equal weight are tokenized together, as A1111 merges them.
  const merged: PromptPiece[] = [];
  for (const piece of pieces) {
    const last = merged[merged.length - 1];
    if (last && !('break' in last) && !('break' in piece) && last.weight === piece.weight) last.text += piece.text;
    else merged.push({ ...piece });
  }
  return merged;
}

function parseWeight(value: string, prompt: string): number {
  const weight = /^[+-]?(\d+\.?\d*|\.\d+)$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(weight)) {
    throw new EngineError(
      `The prompt weight "${value}" in "${prompt}" is not a number; write weights like (word:1.2).`,
      'bad-request',
    );
  }
  return weight;
}

/**
 * A1111's tokenize_line: the weighted pieces' tokens in chunks of maxLength − 2, each wrapped in
 * BOS/EOS and padded, a BREAK or a full chunk starting the next one; a full chunk with a comma
 * among its last 20 tokens moves the tokens after that comma to the next chunk. A1111 pads with
 * EOS and then replaces everything after the first EOS by the pad id, which is the tokenizer's
 * own padding. BOS, EOS and padding weigh 1.
 */
export function weightedChunks(tokenizer: ClipTokenizer, text: string): PromptChunk[] {
  const chunkLength = tokenizer.maxLength - 2;
  const comma = tokenizer.encode(',')[1];
  const chunks: PromptChunk[] = [];
  let ids: number[] = [];
  let weights: number[] = [];
  let lastComma = -1;
  const nextChunk = () => {
    chunks.push(wrapChunk(tokenizer, ids, weights));
    ids = [];
    weights = [];
    lastComma = -1;
  };
  for (const piece of parsePromptAttention(text)) {
    if ('break' in piece) {
      nextChunk();
      continue;
    }
    const tokens = tokenizer.encode(piece.text).slice(1, -1);
    for (const token of tokens) {
      if (token === comma) {
        lastComma = ids.length;
      } else if (ids.length === chunkLength && lastComma !== -1 && ids.length - lastComma <= COMMA_BACKTRACK) {
        const moved = ids.splice(lastComma + 1);
        const movedWeights = weights.splice(lastComma + 1);
        nextChunk();
        ids = moved;
        weights = movedWeights;
      }
      if (ids.length === chunkLength) nextChunk();
      ids.push(token);
      weights.push(piece.weight);
    }
  }
  if (ids.length > 0 || chunks.length === 0) nextChunk();
  return chunks;
}

/** The chunk an empty prompt gives: what A1111 pads the shorter of prompt and negative with. */
export function emptyChunk(tokenizer: ClipTokenizer): PromptChunk {
  return wrapChunk(tokenizer, [], []);
}

function wrapChunk(tokenizer: ClipTokenizer, content: number[], contentWeights: number[]): PromptChunk {
  const ids = [tokenizer.bosId, ...content, tokenizer.eosId];
  const weights = [1, ...contentWeights, 1];
  while (ids.length < tokenizer.maxLength) {
    ids.push(tokenizer.padId);
    weights.push(1);
  }
  return { ids, weights };
}

/**
 * A1111's "Original" emphasis (sd_hijack_clip.py process_tokens): each token's embedding times
 * its weight, then the whole chunk rescaled so that its mean is what it was before weighting.
 * `hidden` is [tokens, width], changed in place; float32 products like torch's.
 */
export function applyChunkWeights(hidden: Float32Array, weights: readonly number[]): void {
  const width = hidden.length / weights.length;
  let before = 0;
  for (let i = 0; i < hidden.length; i++) before += hidden[i];
  let after = 0;
  for (let t = 0; t < weights.length; t++) {
    const w = Math.fround(weights[t]);
    for (let i = t * width; i < (t + 1) * width; i++) {
      hidden[i] = Math.fround(hidden[i] * w);
      after += hidden[i];
    }
  }
  const ratio = Math.fround(Math.fround(before / hidden.length) / Math.fround(after / hidden.length));
  for (let i = 0; i < hidden.length; i++) hidden[i] = Math.fround(hidden[i] * ratio);
}
