import type { TokenCount } from '../src/protocol/engineProtocol';

export interface TokenCountDisplay {
  text: string;
  /** Shown as a warning: over the limit (the rest of the prompt is cut, as diffusers does), or weights that cannot be read. */
  warning: boolean;
  /** A sentence for the tooltip and screen readers. */
  description: string;
}

/**
 * Without weighting "12 / 77" when every tokenizer agrees (SDXL's two CLIP tokenizers usually
 * do), otherwise one count per tokenizer; with weighting the prompt's own tokens and the chunks
 * they fill, "92 tokens · 2 chunks", which has no limit to be over. Empty when nothing has been
 * counted.
 */
export function tokenCountDisplay(counts: readonly TokenCount[], weighting: boolean): TokenCountDisplay {
  if (counts.length === 0) return { text: '', warning: false, description: '' };
  const problem = counts.find((c) => c.problem !== undefined)?.problem;
  if (problem !== undefined) return { text: 'check the weights', warning: true, description: problem };
  return weighting ? chunkedDisplay(counts) : plainDisplay(counts);
}

function plainDisplay(counts: readonly TokenCount[]): TokenCountDisplay {
  const over = counts.some((c) => c.count > c.limit);
  const first = counts[0];
  const allSame = counts.every((c) => c.count === first.count && c.limit === first.limit);
  const numbers = allSame
    ? `${first.count} / ${first.limit}`
    : counts.map((c) => `${c.tokenizer} ${c.count} / ${c.limit}`).join(' · ');
  // Said in words too, so the warning does not rest on colour alone.
  const text = over ? `${numbers} · over the limit` : numbers;
  const worst = counts.reduce((a, b) => (b.count - b.limit > a.count - a.limit ? b : a));
  const description = over
    ? `${worst.count} tokens: over the ${worst.limit}-token limit, so the end of the prompt is cut off.`
    : `${worst.count} of ${worst.limit} tokens used.`;
  return { text, warning: over, description };
}

function chunkedDisplay(counts: readonly TokenCount[]): TokenCountDisplay {
  const first = counts[0];
  const allSame = counts.every((c) => c.count === first.count && c.chunks === first.chunks);
  const text = allSame
    ? chunkText(first)
    : counts.map((c) => `${c.tokenizer} ${chunkText(c)}`).join(' · ');
  const most = counts.reduce((a, b) => (b.chunks > a.chunks ? b : a));
  const description =
    `${most.count} ${plural(most.count, 'token')} in ${most.chunks} ${plural(most.chunks, 'chunk')} of up to ${most.limit}, ` +
    'each encoded on its own and joined, as AUTOMATIC1111 does.';
  return { text, warning: false, description };
}

function chunkText(count: TokenCount): string {
  return `${count.count} ${plural(count.count, 'token')} · ${count.chunks} ${plural(count.chunks, 'chunk')}`;
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
