import type { TokenCount } from '../src/protocol/engineProtocol';

export interface TokenCountDisplay {
  text: string;
  /** Some tokenizer is over its limit: the rest of the prompt is cut, as diffusers does. */
  over: boolean;
  /** A sentence for the tooltip and screen readers. */
  description: string;
}

/**
 * "12 / 77" when every tokenizer agrees (SDXL's two CLIP tokenizers usually do), otherwise
 * one count per tokenizer; empty when nothing has been counted.
 */
export function tokenCountDisplay(counts: readonly TokenCount[]): TokenCountDisplay {
  if (counts.length === 0) return { text: '', over: false, description: '' };
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
  return { text, over, description };
}
