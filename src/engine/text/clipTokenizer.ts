// CLIP's byte-level BPE, written after OpenAI CLIP's simple_tokenizer.py and transformers' tokenization_clip.py.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../errors';
import { cleanText } from './textCleanup';

export interface TokenizerFiles {
  vocab: Record<string, number>;
  /** merges.txt lines "a b", without the #version header. */
  merges: string[];
  padToken: string;
  /** Ids per text-encoder call; 77 when absent. */
  maxLength?: number;
}

const BOS_TOKEN = '<|startoftext|>';
const EOS_TOKEN = '<|endoftext|>';
const WORD_END = '</w>';
const DEFAULT_MAX_LENGTH = 77;
/** transformers reads at most this many merges (49152 - 256 - 2), whatever the file holds. */
const MAX_MERGES = 48894;
/** The word cache only has to hold one session's prompt vocabulary; past this it starts again. */
const CACHE_LIMIT = 20000;

const PRE_TOKENIZE =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

/**
 * GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the other bytes are shifted to U+0100 and
 * up, so every byte is a visible single character and BPE never sees whitespace or control characters.
 */
export function bytesToUnicode(): string[] {
  const table = new Array<string>(256);
  let shifted = 0;
  for (let byte = 0; byte < 256; byte++) {
    const printable =
      (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
    table[byte] = String.fromCharCode(printable ? byte : 256 + shifted++);
  }
  return table;
}

const BYTE_TO_CHAR = bytesToUnicode();
const utf8 = new TextEncoder();

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class ClipTokenizer {
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly maxLength: number;
  /** Looked up in place: copying 49408 entries into a Map would double the load time. */
  private readonly vocab: Record<string, number>;
  /** Key "left right", as the line reads in merges.txt. */
  private readonly ranks: Map<string, number>;
  /**
   * transformers cuts the text at its special tokens (BOS, EOS, pad) before cleaning it, so SDXL's second tokenizer,
   * whose pad token is "!", turns every "!" into id 0 where OpenAI CLIP would merge "!!!" into one token
   * (diffusers issue #4153).
   */
  private readonly specialSplit: RegExp;
  private readonly specialIds: Map<string, number>;
  private readonly cache = new Map<string, number[]>();

  /** The tokenizer of a model folder's tokenizer/ or tokenizer_2/. */
  static async fromFolder(dir: string): Promise<ClipTokenizer> {
    const [vocab, mergesText, specialTokensMap, config] = await Promise.all([
      readJson(join(dir, 'vocab.json'), true),
      readRequired(join(dir, 'merges.txt')),
      readJson(join(dir, 'special_tokens_map.json'), false),
      readJson(join(dir, 'tokenizer_config.json'), false),
    ]);
    if (!isPlainObject(vocab)) throw brokenFile(`${join(dir, 'vocab.json')}: expected an object of token -> id`);
    const merges = mergesText.trim().split('\n');
    if (merges[0]?.startsWith('#version')) merges.shift();

    const padToken = tokenContent(specialTokensMap, 'pad_token') ?? tokenContent(config, 'pad_token') ?? EOS_TOKEN;
    const configured = isPlainObject(config) ? config.model_max_length : undefined;
    // Folders without a real limit carry transformers' 1e30 sentinel; CLIP's position table has 77 rows.
    const maxLength =
      typeof configured === 'number' && Number.isInteger(configured) && configured >= 2 && configured <= 10000
        ? configured
        : DEFAULT_MAX_LENGTH;
    return new ClipTokenizer({ vocab: vocab as Record<string, number>, merges, padToken, maxLength }, dir);
  }

  /** `dir` names the folder in the errors about its files. */
  private constructor(
    files: TokenizerFiles,
    private readonly dir: string,
  ) {
    this.vocab = files.vocab;
    this.bosId = this.requireId(BOS_TOKEN, 'BOS token');
    this.eosId = this.requireId(EOS_TOKEN, 'EOS token');
    this.padId = this.requireId(files.padToken, 'pad token');
    this.maxLength = files.maxLength ?? DEFAULT_MAX_LENGTH;

    this.ranks = new Map();
    const count = Math.min(files.merges.length, MAX_MERGES);
    for (let rank = 0; rank < count; rank++) {
      // Trimming also drops the \r of CRLF files.
      const line = files.merges[rank].trim();
      const space = line.indexOf(' ');
      if (space <= 0 || space !== line.lastIndexOf(' ')) {
        throw brokenFile(`${dir}: merges.txt: merge ${rank + 1} is not a pair of symbols: ${JSON.stringify(line)}`);
      }
      // A pair listed twice keeps its later rank, as a Python dict built from zip() would.
      this.ranks.set(line, rank);
    }

    // Longest first, so one special token inside another is found the way transformers' trie finds it.
    const specials = [...new Set([BOS_TOKEN, EOS_TOKEN, files.padToken])]
      .filter((token) => token !== '')
      .sort((a, b) => b.length - a.length);
    this.specialSplit = new RegExp(`(${specials.map(escapeRegExp).join('|')})`);
    this.specialIds = new Map([
      [BOS_TOKEN, this.bosId],
      [EOS_TOKEN, this.eosId],
      [files.padToken, this.padId],
    ]);
  }

  /** [BOS, ...tokens, EOS] with neither padding nor truncation: what a prompt costs. */
  encode(text: string): number[] {
    const ids = [this.bosId];
    // split() with a capturing group alternates text and special tokens: odd indices are the specials.
    const pieces = text.split(this.specialSplit);
    for (let i = 0; i < pieces.length; i++) {
      if (i % 2 === 1) ids.push(this.specialIds.get(pieces[i]) as number);
      else if (pieces[i] !== '') this.encodeText(pieces[i], ids);
    }
    ids.push(this.eosId);
    return ids;
  }

  /** Exactly maxLength ids, as diffusers asks for them: padding "max_length", truncation on. */
  encodeForModel(text: string): number[] {
    const ids = this.encode(text);
    if (ids.length > this.maxLength) {
      ids.length = this.maxLength - 1;
      ids.push(this.eosId);
      return ids;
    }
    while (ids.length < this.maxLength) ids.push(this.padId);
    return ids;
  }

  /** Own properties only, so "constructor" and friends are not found on Object.prototype. */
  private idOf(token: string): number | undefined {
    if (!Object.hasOwn(this.vocab, token)) return undefined;
    const id = this.vocab[token];
    if (!Number.isInteger(id) || id < 0) throw brokenFile(`${this.dir}: vocab.json: id of ${JSON.stringify(token)} is not an index`);
    return id;
  }

  private requireId(token: string, role: string): number {
    const id = this.idOf(token);
    if (id === undefined) throw brokenFile(`${this.dir}: ${role} ${JSON.stringify(token)} is not in the vocabulary`);
    return id;
  }

  private encodeText(text: string, out: number[]): void {
    for (const match of cleanText(text).matchAll(PRE_TOKENIZE)) {
      const word = match[0];
      let ids = this.cache.get(word);
      if (ids === undefined) {
        // The regex keeps special tokens whole (say "<|EndOfText|>", which the case-sensitive split let through).
        ids = word === BOS_TOKEN ? [this.bosId] : word === EOS_TOKEN ? [this.eosId] : this.bpe(word);
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(word, ids);
      }
      for (const id of ids) out.push(id);
    }
  }

  private bpe(word: string): number[] {
    let symbols: string[] = [];
    for (const byte of utf8.encode(word)) symbols.push(BYTE_TO_CHAR[byte]);
    symbols[symbols.length - 1] += WORD_END;

    while (symbols.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < symbols.length - 1; i++) {
        const rank = this.ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      const left = symbols[best];
      const right = symbols[best + 1];
      const merged: string[] = symbols.slice(0, best);
      for (let i = best; i < symbols.length; i++) {
        if (i < symbols.length - 1 && symbols[i] === left && symbols[i + 1] === right) {
          merged.push(left + right);
          i++;
        } else {
          merged.push(symbols[i]);
        }
      }
      symbols = merged;
    }
    // transformers maps a symbol missing from the vocabulary to its unk token, which is EOS in CLIP folders.
    return symbols.map((symbol) => this.idOf(symbol) ?? this.eosId);
  }
}

/** A damaged or missing tokenizer file is the model folder's fault, reported as such rather than as a bug. */
function brokenFile(problem: string): EngineError {
  return new EngineError(`${problem}; fix the file or download the model again.`, 'model-folder');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** pad_token and friends are either a string or an AddedToken object with the string in `content`. */
function tokenContent(json: unknown, key: string): string | undefined {
  if (!isPlainObject(json)) return undefined;
  const value = json[key];
  if (typeof value === 'string') return value;
  if (isPlainObject(value) && typeof value.content === 'string') return value.content;
  return undefined;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw brokenFile(`cannot read tokenizer file ${path}: ${(error as Error).message}`);
  }
}

async function readRequired(path: string): Promise<string> {
  const text = await readOptional(path);
  if (text === undefined) throw brokenFile(`tokenizer file missing: ${path}`);
  return text;
}

async function readJson(path: string, required: boolean): Promise<unknown> {
  const text = required ? await readRequired(path) : await readOptional(path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw brokenFile(`${path}: invalid JSON (${(error as Error).message})`);
  }
}
