import { basename, resolve } from 'node:path';
import type { TokenCount } from '../../protocol/engineProtocol';
import { readModelFolder } from '../models/modelFolder';
import { ClipTokenizer } from '../text/clipTokenizer';
import { weightedChunks } from '../text/promptWeighting';

interface NamedTokenizer {
  name: string;
  tokenizer: ClipTokenizer;
}

/**
 * Counts prompt tokens as the text encoders will see them, while the user types. Tokenizers
 * are read once per model folder (CLIP's vocabulary takes a noticeable moment to parse) and
 * kept apart from the engine's loaded model, so counting never unloads a model.
 */
export class TokenCounter {
  private readonly cache = new Map<string, Promise<NamedTokenizer[]>>();

  /** Per text, one count per tokenizer; with `weighting`, as the prompt-weighting parser reads it. */
  async count(modelDir: string, texts: readonly string[], weighting: boolean): Promise<TokenCount[][]> {
    const tokenizers = await this.tokenizers(modelDir);
    const countOf = weighting ? weightedCount : plainCount;
    return texts.map((text) => tokenizers.map(({ name, tokenizer }) => ({ tokenizer: name, ...countOf(tokenizer, text) })));
  }

  clear(): void {
    this.cache.clear();
  }

  private tokenizers(modelDir: string): Promise<NamedTokenizer[]> {
    const key = resolve(modelDir);
    let pending = this.cache.get(key);
    if (!pending) {
      pending = load(key);
      this.cache.set(key, pending);
      // A folder fixed after a failed read must be read again.
      pending.catch(() => this.cache.delete(key));
    }
    return pending;
  }
}

async function load(dir: string): Promise<NamedTokenizer[]> {
  const folder = readModelFolder(dir);
  return Promise.all(
    folder.tokenizerDirs.map(async (tokenizerDir) => ({
      name: basename(tokenizerDir),
      tokenizer: await ClipTokenizer.fromFolder(tokenizerDir),
    })),
  );
}

/** BOS and EOS included, padding not; past maxLength the encoder cuts the rest. */
function plainCount(tokenizer: ClipTokenizer, text: string): Omit<TokenCount, 'tokenizer'> {
  return { count: tokenizer.encode(text).length, limit: tokenizer.maxLength, chunks: 1 };
}

/**
 * The text's own tokens as the weighting parser splits it, and the chunks it fills. Each chunk
 * is BOS, its tokens, EOS, padding, and text never encodes to EOS, so the first EOS after BOS
 * ends the chunk's own tokens. A weight that is not a number would fail the job; the count
 * says why instead of failing, since the user is still typing.
 */
function weightedCount(tokenizer: ClipTokenizer, text: string): Omit<TokenCount, 'tokenizer'> {
  try {
    const chunks = weightedChunks(tokenizer, text);
    const count = chunks.reduce((sum, chunk) => sum + chunk.ids.indexOf(tokenizer.eosId, 1) - 1, 0);
    return { count, limit: tokenizer.maxLength - 2, chunks: chunks.length };
  } catch (error) {
    return { ...plainCount(tokenizer, text), problem: error instanceof Error ? error.message : String(error) };
  }
}
