import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { defaultModelsDir } from '../models/modelStore';
import { throwIfAborted } from '../errors';
import { replaceFile } from './replaceFile';

/**
 * Hashing a model reads every byte (about 7 GB in fp16, 13 GB in fp32): minutes, so each file's
 * SHA-256 is kept in a user-wide cache under its real path, size and modification time, and read
 * again only when one of them changes. A file rewritten in place with the same size within the
 * file system's time resolution would be missed; model files are replaced, not edited.
 */
export interface HashCache {
  [realPath: string]: { size: number; mtimeMs: number; sha256: string };
}

/** `$SDXL_ASSETS_HASH_CACHE`, else file-hashes.json in the user cache folder beside the models. */
export function hashCachePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SDXL_ASSETS_HASH_CACHE) return resolve(env.SDXL_ASSETS_HASH_CACHE);
  return join(dirname(defaultModelsDir({ ...env, SDXL_ASSETS_MODELS: '' })), 'file-hashes.json');
}

export async function readHashCache(path: string): Promise<HashCache> {
  try {
    const value: unknown = JSON.parse(await readFile(path, 'utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as HashCache) : {};
  } catch {
    // A missing or damaged cache only costs hashing again.
    return {};
  }
}

export async function writeHashCache(path: string, cache: HashCache): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await replaceFile(path, JSON.stringify(cache));
}

export interface HashOptions {
  cache: HashCache;
  /** Only cached hashes are used; a file that would need reading makes the result undefined. */
  cachedOnly?: boolean;
  /** Called before a file is read in full (not for cache hits), so the user knows why it takes time. */
  onHashing?: (file: string, bytes: number) => void;
  signal?: AbortSignal;
}

/**
 * SHA-256 of every file in a model folder (following the symbolic links of a Hugging Face cache
 * snapshot), by relative path with forward slashes. Dot files are skipped: they are tools' state.
 */
export async function hashModelFolder(dir: string, options: HashOptions): Promise<Record<string, string> | undefined> {
  const hashes: Record<string, string> = {};
  for (const relative of await listFiles(dir, '')) {
    throwIfAborted(options.signal);
    const path = join(dir, relative);
    const real = await realpath(path);
    const { size, mtimeMs } = await stat(real);
    const cached = options.cache[real];
    if (cached && cached.size === size && cached.mtimeMs === mtimeMs) {
      hashes[relative] = cached.sha256;
      continue;
    }
    if (options.cachedOnly) return undefined;
    options.onHashing?.(relative, size);
    const sha256 = await hashFile(real, options.signal).catch((error: unknown) => {
      throwIfAborted(options.signal);
      throw error;
    });
    options.cache[real] = { size, mtimeMs, sha256 };
    hashes[relative] = sha256;
  }
  return hashes;
}

/** One digest for a whole folder's hashes, which the lock keeps per asset. */
export function folderDigest(files: Record<string, string>): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(files).sort()) hash.update(`${name}\0${files[name]}\n`);
  return hash.digest('hex');
}

export function hashFile(path: string, signal?: AbortSignal): Promise<string> {
  return new Promise((done, fail) => {
    const hash = createHash('sha256');
    const stream = createReadStream(path, { signal });
    stream.on('data', (chunk) => hash.update(chunk));
    stream.on('error', fail);
    stream.on('end', () => done(hash.digest('hex')));
  });
}

async function listFiles(root: string, prefix: string): Promise<string[]> {
  const entries = await readdir(join(root, prefix), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith('.')) continue;
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(join(root, relative))).isDirectory());
    if (isDir) files.push(...(await listFiles(root, relative)));
    else files.push(relative);
  }
  return files;
}
