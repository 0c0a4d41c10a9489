import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { EngineError } from '../../engine/errors';
import { findCatalogEntry, loadCatalog, type CatalogEntry } from '../../engine/models/catalog';
import { LOCK_FILE, type Manifest, type ManifestProblem } from '../../engine/manifest/manifest';
import { emptyLock, readLock, type ManifestLock } from '../../engine/manifest/manifestLock';
import { buildOrder, manifestStatus, type AssetStatus } from '../../engine/manifest/manifestStatus';
import { folderDigest, hashModelFolder, type HashCache } from '../../engine/manifest/modelHashes';
import { mattingKeys } from '../../engine/manifest/mattingModels';
import { parseManifest } from '../../engine/manifest/parseManifest';

export interface ManifestAssessment {
  manifest: Manifest;
  problems: ManifestProblem[];
  /** Every valid entry's state, in build order. */
  statuses: AssetStatus[];
  lock: ManifestLock;
}

/**
 * What the editor shows for a manifest: its mistakes and each asset's state, by the same rules
 * as `sdxl-assets build --check`. Model files are compared with the lock only where their hashes
 * are already in the cache (the editor never reads gigabytes to draw a squiggle); the build
 * hashes what the cache lacks.
 */
export async function assessManifest(
  text: string,
  path: string,
  folders: {
    modelDir: (key: string, manifestDir: string) => string | undefined;
    mattingDir: (key: string, manifestDir: string) => string | undefined;
  },
  cache: HashCache,
): Promise<ManifestAssessment> {
  const { manifest, problems } = parseManifest(text, path);
  const { order, problems: cycles } = buildOrder(manifest);
  let lock = emptyLock();
  try {
    lock = await readLock(join(manifest.dir, LOCK_FILE));
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
    problems.push({ message: error.message, start: 0, end: 1 });
  }
  const digests = new Map<string, string>();
  const models = [...new Set(order.flatMap((a) => (a.refiner === undefined ? [a.model] : [a.model, a.refiner])))].map((key) => [key, folders.modelDir] as const);
  const mattings = mattingKeys(order).map((key) => [key, folders.mattingDir] as const);
  for (const [key, folderOf] of [...models, ...mattings]) {
    const dir = folderOf(key, manifest.dir);
    if (dir === undefined || !existsSync(dir)) continue;
    const files = await hashModelFolder(dir, { cache, cachedOnly: true }).catch(() => undefined);
    if (files) digests.set(key, folderDigest(files));
  }
  const statuses = await manifestStatus(manifest, order, lock, digests);
  return { manifest, problems: [...problems, ...cycles], statuses, lock };
}

/**
 * The folder of a manifest's model, read as the build reads it: a path relative to the manifest,
 * or a catalog id (found by `catalogDir` where it is downloaded), a catalog id winning over a
 * same-named folder.
 */
export function manifestModelDir(key: string, manifestDir: string, catalogDir: (entry: CatalogEntry) => string | undefined): string | undefined {
  if (isAbsolute(key)) return key;
  const looksLikePath = /[/\\]/.test(key) || key.startsWith('.');
  const entry = looksLikePath ? undefined : findCatalogEntry(loadCatalog(), key);
  return entry ? catalogDir(entry) : resolve(manifestDir, key);
}
