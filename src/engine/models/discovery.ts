import { readdirSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { CatalogEntry } from './catalogSchema';
import { cacheFolderOfRepo, cachedCommit, cachedSnapshots } from './hfCache';
import { readModelFolder } from './modelFolder';
import { readDownloadRecord, storedModelDir } from './modelStore';

export type ModelSource = 'models-directory' | 'hf-cache';

export interface DiscoveredModel {
  dir: string;
  source: ModelSource;
  /** The catalog entry the folder holds, when known. */
  entry?: CatalogEntry;
}

export interface ModelLocations {
  catalog: readonly CatalogEntry[];
  modelsDir: string;
  hubDir: string;
}

/**
 * Model folders that are already on this machine and load: each sub-folder of the models
 * directory, and each Hugging Face cache snapshot (at the catalog's path prefix for the
 * catalog's repositories). Used in place, never copied. Folders that do not load are left out
 * here, since a download in progress is one of them.
 */
export function discoverModels(locations: ModelLocations): DiscoveredModel[] {
  const found: DiscoveredModel[] = [];
  for (const name of safeReaddir(locations.modelsDir).sort()) {
    const dir = join(locations.modelsDir, name);
    if (loads(dir)) found.push(withEntry({ dir, source: 'models-directory' }, catalogEntryForFolder(dir, locations.catalog)));
  }
  for (const snapshot of cachedSnapshots(locations.hubDir)) {
    const entries = locations.catalog.filter((entry) => entry.repo === snapshot.repo);
    const dirs = new Set([snapshot.dir, ...entries.map((entry) => join(snapshot.dir, entry.pathPrefix))]);
    for (const dir of dirs) {
      if (!loads(dir)) continue;
      const entry = entries.find((e) => join(snapshot.dir, e.pathPrefix) === dir);
      found.push(withEntry({ dir, source: 'hf-cache' }, entry));
    }
  }
  return found;
}

/**
 * The folder of a catalog model that is here already: a finished download in the models
 * directory (any revision: a newer pin should not force a download before generating), else
 * the cache's snapshot of the pinned revision, else another cached snapshot of the repository.
 */
export function locateCatalogModel(entry: CatalogEntry, locations: Omit<ModelLocations, 'catalog'>): string | undefined {
  const stored = storedModelDir(locations.modelsDir, entry);
  const record = readDownloadRecord(stored);
  if (record?.complete && record.id === entry.id && loads(stored)) return stored;
  const snapshots = cachedSnapshots(locations.hubDir).filter((s) => s.repo === entry.repo);
  const pinned = cachedCommit(locations.hubDir, entry.repo, entry.revision);
  const ordered = [...snapshots.filter((s) => s.commit === pinned), ...snapshots.filter((s) => s.commit !== pinned)];
  return ordered.map((s) => join(s.dir, entry.pathPrefix)).find(loads);
}

/** Which catalog entry a model folder holds: from its download record, else its cache snapshot's repository. */
export function catalogEntryForFolder(dirArg: string, catalog: readonly CatalogEntry[]): CatalogEntry | undefined {
  const dir = resolve(dirArg);
  const record = readDownloadRecord(dir);
  if (record) return catalog.find((entry) => entry.id === record.id);
  return catalog.find((entry) => {
    const snapshotDir = entry.pathPrefix ? stripSuffix(dir, entry.pathPrefix) : dir;
    if (snapshotDir === undefined || basename(dirname(snapshotDir)) !== 'snapshots') return false;
    return basename(dirname(dirname(snapshotDir))) === cacheFolderOfRepo(entry.repo);
  });
}

function stripSuffix(dir: string, prefix: string): string | undefined {
  const suffix = sep + prefix.split('/').join(sep);
  return dir.endsWith(suffix) ? dir.slice(0, -suffix.length) : undefined;
}

function withEntry(model: DiscoveredModel, entry: CatalogEntry | undefined): DiscoveredModel {
  return entry ? { ...model, entry } : model;
}

function loads(dir: string): boolean {
  try {
    readModelFolder(dir);
    return true;
  } catch {
    return false;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
