import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import { finishSteps } from '../../engine/manifest/assetFinish';
import { assetSettings } from '../../engine/manifest/assetSettings';
import { LOCK_FILE, type ManifestAsset } from '../../engine/manifest/manifest';
import { lockedAsset, readLock, updateLock } from '../../engine/manifest/manifestLock';
import type { AssetStatus } from '../../engine/manifest/manifestStatus';
import { folderDigest, hashCachePath, hashFile, hashModelFolder, readHashCache, writeHashCache } from '../../engine/manifest/modelHashes';
import { loadCatalog } from '../../engine/models/catalog';
import { catalogEntryForFolder, locateCatalogModel } from '../../engine/models/discovery';
import { hfHubDir } from '../../engine/models/hfCache';
import type { GenerationBackend } from '../generationBackend';
import { mattingEntry, mattingModelOrOffer } from '../models/mattingModel';
import { followWithProgress } from '../progressNotification';
import { readSettings } from '../settings';
import { manifestModelDir, type ManifestAssessment } from './manifestAssessment';
import type { ManifestWatcher } from './manifestWatcher';

/** What a CodeLens passes: the manifest and the entry's output, which stays the entry's name across edits. */
export interface AssetTarget {
  manifest: string;
  output: string;
}

/**
 * Generate / Regenerate from a manifest's CodeLens: makes the entry's file through the engine's
 * job queue, with progress and cancel, first remaking any out-of-date asset it is made from,
 * then records the seed and what it was made from in the lock, as `sdxl-assets build` does.
 */
export async function generateAsset(backend: GenerationBackend, watcher: ManifestWatcher, target: unknown): Promise<void> {
  try {
    if (!isTarget(target)) throw new Error('Generate needs a manifest entry; use the CodeLens above the entry in assets.sdxl.json.');
    const uri = vscode.Uri.file(target.manifest);
    const assessment = await watcher.refresh(uri);
    const status = assessment.statuses.find((s) => s.asset.output === target.output);
    if (!status) throw new Error(`${target.output} is not a valid entry of ${target.manifest} any more; see Problems.`);
    for (const { asset } of [...staleSources(status, assessment), status]) {
      if (!(await makeAsset(backend, asset, assessment))) break;
      await watcher.refresh(uri);
    }
  } catch (error) {
    void vscode.window.showErrorMessage(error instanceof Error ? error.message : String(error));
  }
}

/** The out-of-date assets `status` is made from, the deepest first. */
function staleSources(status: AssetStatus, assessment: ManifestAssessment): AssetStatus[] {
  const chain: AssetStatus[] = [];
  for (let source = sourceOf(status, assessment); source && source.reasons.length > 0; source = sourceOf(source, assessment)) chain.unshift(source);
  return chain;
}

function sourceOf(status: AssetStatus, assessment: ManifestAssessment): AssetStatus | undefined {
  const path = status.asset.sourcePath;
  return path === undefined ? undefined : assessment.statuses.find((s) => s.asset.outputPath === path);
}

/** Resolves false when the user cancelled. */
async function makeAsset(backend: GenerationBackend, asset: ManifestAsset, assessment: ManifestAssessment): Promise<boolean> {
  const { dir } = assessment.manifest;
  const modelDir = folderOf(asset.model, dir);
  const refinerDir = asset.refiner === undefined ? undefined : folderOf(asset.refiner, dir);
  const lockPath = join(dir, LOCK_FILE);
  const lock = await readLock(lockPath);
  const seed = asset.seed ?? lock.assets[asset.output]?.seed;
  // Without a seed in the entry or the lock the engine draws one; the lock keeps it from then on.
  const settings = assetSettings(asset, seed, catalogEntryForFolder(modelDir, loadCatalog())?.recommended);
  if (asset.sourcePath !== undefined && !existsSync(asset.sourcePath)) throw new Error(`The source ${asset.source} of ${asset.output} is not there (paths are relative to the manifest).`);
  const finish = await finishSteps(asset.finish, dir).catch((error: Error) => {
    throw new Error(`${asset.output}: ${error.message}`);
  });
  const mattingDir = asset.background && (await mattingFolderOf(asset.background.matting, dir));
  if (asset.background && mattingDir === undefined) return false;
  const file = await followWithProgress(
    backend,
    `Generating ${asset.output}`,
    () =>
      backend.startAssetJob(dir, {
        modelDir,
        ...(refinerDir !== undefined ? { refinerDir } : {}),
        settings,
        ...(asset.background && mattingDir ? { transparentBackground: { mattingDir, isolateSubject: asset.background.isolateSubject } } : {}),
        ...(finish.output || finish.pixelArt ? { finish } : {}),
        outputPath: asset.outputPath,
        format: asset.format,
        ...(asset.source !== undefined ? { recipeInitImage: asset.source } : {}),
      }),
    { discardLateCancel: false },
  );
  if (!file) return false;
  const recipe = file.recipe;
  if (!recipe) throw new Error(`${asset.output} was written without its recipe.`);
  const cache = await readHashCache(hashCachePath());
  const modelFiles = await hashModelFolder(modelDir, { cache, cachedOnly: true });
  const refinerFiles = refinerDir === undefined ? undefined : await hashModelFolder(refinerDir, { cache, cachedOnly: true });
  const digests = new Map<string, string>();
  if (modelFiles) digests.set(asset.model, folderDigest(modelFiles));
  if (refinerFiles && asset.refiner !== undefined) digests.set(asset.refiner, folderDigest(refinerFiles));
  // The matting model is small (hundreds of MB): hashed in full when the cache lacks it, so the lock always has it.
  const mattingFiles = asset.background && mattingDir ? await hashModelFolder(mattingDir, { cache }) : undefined;
  if (mattingFiles && asset.background) digests.set(asset.background.matting, folderDigest(mattingFiles));
  if (mattingFiles) await writeHashCache(hashCachePath(), cache).catch(() => undefined);
  const sourceSha256 = asset.sourcePath === undefined ? undefined : await hashFile(asset.sourcePath);
  await updateLock(lockPath, (current) => {
    current.models[asset.model] = { name: recipe.model, files: modelFiles ?? current.models[asset.model]?.files ?? {} };
    if (asset.refiner !== undefined && recipe.refiner !== undefined) {
      current.models[asset.refiner] = { name: recipe.refiner, files: refinerFiles ?? current.models[asset.refiner]?.files ?? {} };
    }
    if (asset.background && mattingFiles && recipe.background) current.models[asset.background.matting] = { name: recipe.background.matting, files: mattingFiles };
    current.assets[asset.output] = lockedAsset(asset, recipe.seed, digests, sourceSha256);
  });
  return true;
}

/** The model's folder, as the build finds it; a catalog model not downloaded yet is for the user to fetch. */
function folderOf(key: string, manifestDir: string): string {
  const settings = readSettings();
  const dir = manifestModelDir(key, manifestDir, (entry) => locateCatalogModel(entry, { modelsDir: settings.modelsDirectory, hubDir: hfHubDir() }));
  if (dir === undefined) throw new Error(`The model "${key}" is not downloaded yet: run SDXL Assets: Download Model… (or sdxl-assets build, which downloads it).`);
  if (!existsSync(dir)) throw new Error(`The model folder ${dir} ("${key}" in the manifest) does not exist.`);
  return dir;
}

/** A catalog matting model (its download offered when missing), else a folder relative to the manifest. */
async function mattingFolderOf(matting: string, manifestDir: string): Promise<string | undefined> {
  if (mattingEntry(matting)) return mattingModelOrOffer(matting);
  const dir = resolve(manifestDir, matting);
  if (!existsSync(dir)) throw new Error(`The matting model folder ${dir} ("${matting}" in the manifest) does not exist.`);
  return dir;
}

function isTarget(value: unknown): value is AssetTarget {
  const target = value as Partial<AssetTarget> | null;
  return typeof target?.manifest === 'string' && typeof target.output === 'string';
}
