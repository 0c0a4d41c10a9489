import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CatalogEntry } from './catalogSchema';

/**
 * Where downloaded models live, shared by the CLI and the extension: SDXL_ASSETS_MODELS, else
 * the platform's per-user cache folder, since the weights can always be fetched again.
 */
export function defaultModelsDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (env.SDXL_ASSETS_MODELS) return resolve(env.SDXL_ASSETS_MODELS);
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'sdxl-assets', 'models');
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'sdxl-assets', 'models');
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'sdxl-assets', 'models');
}

export function storedModelDir(modelsDir: string, entry: Pick<CatalogEntry, 'id'>): string {
  return join(modelsDir, entry.id);
}

/** What a finished file was checked against; a later download skips files whose record still matches. */
export interface VerifiedFile {
  size: number;
  sha256?: string;
  gitSha1?: string;
}

/**
 * The download's own notes inside the model folder: which catalog entry and revision it holds,
 * each verified file, and whether every file arrived. Written after each file, so a cancelled
 * download keeps the files it finished.
 */
export interface DownloadRecord {
  id: string;
  repo: string;
  revision: string;
  complete: boolean;
  files: Record<string, VerifiedFile>;
}

export const DOWNLOAD_RECORD = '.sdxl-assets-download.json';

export function readDownloadRecord(dir: string): DownloadRecord | undefined {
  const path = join(dir, DOWNLOAD_RECORD);
  if (!existsSync(path)) return undefined;
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<DownloadRecord>;
    if (typeof value.id !== 'string' || typeof value.repo !== 'string' || typeof value.revision !== 'string') return undefined;
    return { id: value.id, repo: value.repo, revision: value.revision, complete: value.complete === true, files: value.files ?? {} };
  } catch {
    // A record cut short by a crash only costs a re-check of the files.
    return undefined;
  }
}

export function writeDownloadRecord(dir: string, record: DownloadRecord): void {
  const path = join(dir, DOWNLOAD_RECORD);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}
