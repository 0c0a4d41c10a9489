import { readFile } from 'node:fs/promises';
import { EngineError } from '../errors';
import { claimFileWaiting } from './exclusiveClaim';
import type { ManifestAsset } from './manifest';
import { replaceFile } from './replaceFile';

/**
 * What a build remembers beside the manifest, to be committed with it: the seed each asset was
 * made with (so that an entry without a seed rebuilds the same image), what it was made from, and
 * each model's file hashes (so that a changed model is noticed, since recipes name models only).
 */
export interface ManifestLock {
  version: 1;
  models: Record<string, LockedModel>;
  assets: Record<string, LockedAsset>;
}

export interface LockedModel {
  /** The name the engine writes into recipes for this folder. */
  name: string;
  /** SHA-256 of every file of the model folder, by path inside it with forward slashes. */
  files: Record<string, string>;
}

export interface LockedAsset {
  seed: number;
  /** The manifest's model (and refiner) as written when the asset was made, with a digest of the files. */
  model: string;
  modelDigest?: string;
  refiner?: string;
  refinerDigest?: string;
  /**
   * A transparent background's matting model (the manifest's name for it) and a digest of its
   * files: the recipe names it by folder only, so a replaced ONNX file is noticed here.
   */
  matting?: string;
  mattingDigest?: string;
  /** The settings the entry stated then; one no longer stated falls back to the model's default. */
  stated: string[];
  /** SHA-256 of the image-to-image source when made. */
  sourceSha256?: string;
}

/**
 * What the lock keeps of an asset just made (or found up to date): `digests` are the model
 * folders' where known, matting models' included, by the manifest's name for each.
 */
export function lockedAsset(
  asset: ManifestAsset,
  seed: number,
  digests: ReadonlyMap<string, string>,
  sourceSha256: string | undefined,
): LockedAsset {
  const modelDigest = digests.get(asset.model);
  const refinerDigest = asset.refiner === undefined ? undefined : digests.get(asset.refiner);
  const matting = asset.background?.matting;
  const mattingDigest = matting === undefined ? undefined : digests.get(matting);
  return {
    seed,
    model: asset.model,
    ...(modelDigest !== undefined ? { modelDigest } : {}),
    ...(asset.refiner !== undefined ? { refiner: asset.refiner } : {}),
    ...(refinerDigest !== undefined ? { refinerDigest } : {}),
    ...(matting !== undefined ? { matting } : {}),
    ...(mattingDigest !== undefined ? { mattingDigest } : {}),
    stated: asset.stated,
    ...(sourceSha256 !== undefined ? { sourceSha256 } : {}),
  };
}

export function emptyLock(): ManifestLock {
  return { version: 1, models: {}, assets: {} };
}

export function parseLock(text: string, path: string): ManifestLock {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new EngineError(`${path} is not valid JSON (${(error as Error).message}); restore it from version control or delete it to start afresh.`, 'bad-request');
  }
  const lock = value as Partial<ManifestLock> | null;
  if (typeof lock !== 'object' || lock === null || lock.version !== 1 || typeof lock.models !== 'object' || typeof lock.assets !== 'object') {
    throw new EngineError(`${path} is not an SDXL Assets lock (version 1 with "models" and "assets"); restore it or delete it.`, 'bad-request');
  }
  for (const [output, asset] of Object.entries(lock.assets ?? {})) {
    if (!Number.isSafeInteger(asset?.seed) || typeof asset.model !== 'string' || !Array.isArray(asset.stated)) {
      throw new EngineError(`${path}: the entry for "${output}" is damaged; delete that entry and build again.`, 'bad-request');
    }
  }
  return lock as ManifestLock;
}

/** The lock at `path`, or an empty one when there is none yet. */
export async function readLock(path: string): Promise<ManifestLock> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyLock();
    throw error;
  }
  return parseLock(text, path);
}

/** Sorted keys and one field a line, so the committed lock diffs cleanly and two equal locks are equal bytes. */
export function serializeLock(lock: ManifestLock): string {
  return `${JSON.stringify(sorted(lock), null, 2)}\n`;
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sorted((value as Record<string, unknown>)[key])]),
  );
}

/**
 * Reads, changes and writes the lock while holding `<lock>.claim`, so that builds running at
 * once each add their entries without losing the other's; the new text replaces the old by a
 * rename, so a reader never sees half a lock.
 */
export async function updateLock(path: string, change: (lock: ManifestLock) => void, signal?: AbortSignal): Promise<void> {
  const release = await claimFileWaiting(`${path}.claim`, signal);
  try {
    const lock = await readLock(path);
    change(lock);
    await replaceFile(path, serializeLock(lock));
  } finally {
    await release();
  }
}
