import { basename, resolve } from 'node:path';
import type { TokenCount } from '../../protocol/engineProtocol';
import { readModelFolder } from '../models/modelFolder';
import { ClipTokenizer } from '../text/clipTokenizer';

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

  /** Per text, one count per tokenizer: BOS and EOS included, padding not. */
  async count(modelDir: string, texts: readonly string[]): Promise<TokenCount[][]> {
    const tokenizers = await this.tokenizers(modelDir);
    return texts.map((text) =>
      tokenizers.map(({ name, tokenizer }) => ({
        tokenizer: name,
        count: tokenizer.encode(text).length,
        limit: tokenizer.maxLength,
      })),
    );
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
