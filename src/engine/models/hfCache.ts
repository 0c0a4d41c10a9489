import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The Hugging Face hub cache as huggingface_hub finds it: HF_HUB_CACHE, else $HF_HOME/hub. */
export function hfHubDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  if (env.HF_HUB_CACHE) return resolve(env.HF_HUB_CACHE);
  return join(hfHomeDir(env, home), 'hub');
}

function hfHomeDir(env: NodeJS.ProcessEnv, home: string): string {
  if (env.HF_HOME) return resolve(env.HF_HOME);
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'huggingface');
}

/** HF_TOKEN, else the token `hf auth login` (huggingface-cli login) saved. */
export function hfToken(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string | undefined {
  const fromEnv = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN;
  if (fromEnv) return fromEnv.trim();
  const path = env.HF_TOKEN_PATH ? resolve(env.HF_TOKEN_PATH) : join(hfHomeDir(env, home), 'token');
  if (!existsSync(path)) return undefined;
  const token = readFileSync(path, 'utf8').trim();
  return token || undefined;
}

export interface CachedSnapshot {
  /** "org/name" */
  repo: string;
  /** The commit the snapshot folder is named by. */
  commit: string;
  dir: string;
  /** Newest first among a repository's snapshots. */
  modifiedMs: number;
}

/**
 * Every model snapshot in the cache, `models--{org}--{name}/snapshots/{commit}/`. The files in
 * a snapshot are symlinks into the repository's blobs/ (copies on Windows without symlink
 * rights); both read the same through the snapshot path.
 */
export function cachedSnapshots(hubDir: string): CachedSnapshot[] {
  const snapshots: CachedSnapshot[] = [];
  for (const name of safeReaddir(hubDir)) {
    const repo = repoOfCacheFolder(name);
    if (!repo) continue;
    const snapshotsDir = join(hubDir, name, 'snapshots');
    const found = safeReaddir(snapshotsDir).flatMap((commit) => {
      const dir = join(snapshotsDir, commit);
      const stats = safeStat(dir);
      return stats?.isDirectory() ? [{ repo, commit, dir, modifiedMs: stats.mtimeMs }] : [];
    });
    snapshots.push(...found.sort((a, b) => b.modifiedMs - a.modifiedMs));
  }
  return snapshots;
}

/** The commit a branch or tag points at in the cache (refs/{name}); a full sha is its own commit. */
export function cachedCommit(hubDir: string, repo: string, revision: string): string | undefined {
  if (/^[0-9a-f]{40}$/.test(revision)) return revision;
  const path = join(hubDir, cacheFolderOfRepo(repo), 'refs', ...revision.split('/'));
  if (!existsSync(path)) return undefined;
  return readFileSync(path, 'utf8').trim() || undefined;
}

export function cacheFolderOfRepo(repo: string): string {
  return `models--${repo.replace('/', '--')}`;
}

function repoOfCacheFolder(name: string): string | undefined {
  const match = /^models--([^-]+(?:-[^-]+)*)--(.+)$/.exec(name);
  return match ? `${match[1]}/${match[2]}` : undefined;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function safeStat(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
