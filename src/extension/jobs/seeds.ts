import type { SeedMode } from '../../protocol/panelProtocol';

/**
 * Seeds for a batch, AUTOMATIC1111's convention: consecutive from the first, so each image
 * regenerates alone from its own recipe. `last` continues from the last seed used; with none
 * yet it behaves like `random`.
 */
export function batchSeeds(
  mode: SeedMode,
  fixedSeed: number,
  lastSeed: number | undefined,
  batch: number,
  random: () => number,
): number[] {
  const first = mode === 'fixed' ? fixedSeed : mode === 'last' && lastSeed !== undefined ? lastSeed : random();
  return Array.from({ length: batch }, (_, i) => first + i);
}
