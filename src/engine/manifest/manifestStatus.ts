import { existsSync } from 'node:fs';
import { readRecipeFromFile } from '../image/recipeMetadata';
import type { Recipe } from '../../protocol/recipe';
import { finishFacts } from './assetFinish';
import { staleReasons, type StaleReason } from './assetStaleness';
import { entryName } from './parseManifest';
import type { Manifest, ManifestAsset, ManifestProblem } from './manifest';
import type { ManifestLock } from './manifestLock';
import { hashFile } from './modelHashes';

export interface AssetStatus {
  asset: ManifestAsset;
  /** Empty when the file is what the entry describes. */
  reasons: StaleReason[];
  recipe: Recipe | null | 'none';
  sourceSha256?: string;
}

/**
 * The assets in the order a build makes them: an asset that is another's source comes before it.
 * A cycle of sources cannot be built and is reported on each entry in it.
 */
export function buildOrder(manifest: Manifest): { order: ManifestAsset[]; problems: ManifestProblem[] } {
  const byOutput = new Map(manifest.assets.map((a) => [a.outputPath, a]));
  const order: ManifestAsset[] = [];
  const state = new Map<ManifestAsset, 'visiting' | 'done'>();
  const problems: ManifestProblem[] = [];
  const visit = (asset: ManifestAsset, chain: ManifestAsset[]): void => {
    const seen = state.get(asset);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      const cycle = chain.slice(chain.indexOf(asset));
      for (const member of cycle) {
        problems.push({
          message: `${entryName(member.index, member.output)}: its source depends on itself through ${cycle.map((a) => a.output).join(' → ')}`,
          start: member.start,
          end: member.end,
        });
      }
      return;
    }
    state.set(asset, 'visiting');
    const source = asset.sourcePath === undefined ? undefined : byOutput.get(asset.sourcePath);
    if (source) visit(source, [...chain, asset]);
    state.set(asset, 'done');
    order.push(asset);
  };
  for (const asset of manifest.assets) visit(asset, []);
  const broken = new Set(problems.map((p) => p.start));
  return { order: order.filter((a) => !broken.has(a.start)), problems };
}

/**
 * Every asset's state, in build order. An asset whose source is itself stale is stale too.
 * `modelDigests` holds the model folders' current digests where they are known.
 */
export async function manifestStatus(
  manifest: Manifest,
  order: readonly ManifestAsset[],
  lock: ManifestLock,
  modelDigests?: ReadonlyMap<string, string>,
): Promise<AssetStatus[]> {
  const rebuilding = new Set<string>();
  const statuses: AssetStatus[] = [];
  for (const asset of order) {
    const recipe = await recipeOf(asset.outputPath);
    const sourceSha256 =
      asset.sourcePath !== undefined && existsSync(asset.sourcePath) && !rebuilding.has(asset.sourcePath)
        ? await hashFile(asset.sourcePath)
        : undefined;
    const finish = recipe === null || recipe === 'none' ? undefined : await finishFacts(asset.finish, manifest.dir);
    const reasons = staleReasons(asset, manifest, {
      recipe,
      lock,
      rebuilding,
      ...(modelDigests ? { modelDigests } : {}),
      ...(sourceSha256 ? { sourceSha256 } : {}),
      ...(finish ? { finish } : {}),
    });
    if (reasons.length > 0) rebuilding.add(asset.outputPath);
    statuses.push({ asset, reasons, recipe, ...(sourceSha256 ? { sourceSha256 } : {}) });
  }
  return statuses;
}

/** The recipe of the file at `path`: null when there is no file, 'none' when it carries no readable recipe. */
export async function recipeOf(path: string): Promise<Recipe | null | 'none'> {
  if (!existsSync(path)) return null;
  try {
    return (await readRecipeFromFile(path)) ?? 'none';
  } catch {
    return 'none';
  }
}
