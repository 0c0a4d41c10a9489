import type { SeedMode } from '../src/protocol/panelProtocol';

export const SEED_MODE_LABELS: Record<SeedMode, string> = {
  random: 'Random',
  fixed: 'Fixed',
  last: 'Reuse last',
};

/**
 * Which seeds a Generate click will use, in words. Mirrors the host's rule: a batch takes
 * consecutive seeds from the first, and "reuse last" without a last seed draws a random one.
 */
export function seedSummary(mode: SeedMode, seed: number, lastSeed: number | undefined, batch: number): string {
  const count = Math.max(1, batch);
  const rest = count === 1 ? '' : `, then the next ${count - 1} for the batch`;
  if (mode === 'random') return `A new random seed${rest}.`;
  if (mode === 'last' && lastSeed === undefined) return `No previous seed yet: a random one${rest}.`;
  const first = mode === 'last' && lastSeed !== undefined ? lastSeed : seed;
  const range = count === 1 ? `Seed ${first}` : `Seeds ${first}–${first + count - 1}`;
  return mode === 'last' ? `${range}, from the last image.` : `${range}.`;
}
