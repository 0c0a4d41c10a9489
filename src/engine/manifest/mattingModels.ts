import { isAbsolute, resolve } from 'node:path';
import { loadMattingCatalog } from '../models/catalog';
import type { MattingEntry } from '../models/mattingCatalog';
import type { ManifestAsset } from './manifest';

/** The matting models the assets' transparent backgrounds name, each once, as the manifest names them. */
export function mattingKeys(assets: readonly ManifestAsset[]): string[] {
  return [...new Set(assets.flatMap((asset) => (asset.background ? [asset.background.matting] : [])))];
}

/**
 * The folder of a manifest's matting model, read as the build reads it: a catalog id (found by
 * `locate` where it is downloaded, else undefined), or a folder relative to the manifest; a path
 * never names a catalog entry.
 */
export function manifestMattingDir(key: string, manifestDir: string, locate: (entry: MattingEntry) => string | undefined): string | undefined {
  const looksLikePath = isAbsolute(key) || /[/\\]/.test(key) || key.startsWith('.');
  const entry = looksLikePath ? undefined : loadMattingCatalog().find((e) => e.id === key);
  return entry ? locate(entry) : resolve(manifestDir, key);
}
