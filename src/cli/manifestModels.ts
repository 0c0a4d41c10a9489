import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { EngineError } from '../engine/errors';
import { findCatalogEntry, loadCatalog, loadMattingCatalog } from '../engine/models/catalog';
import { folderDigest, hashModelFolder, type HashCache } from '../engine/manifest/modelHashes';
import { manifestMattingDir } from '../engine/manifest/mattingModels';
import { locateMattingModel } from '../engine/models/mattingCatalog';
import { defaultModelsDir } from '../engine/models/modelStore';
import { localModel, mattingModelFor, modelForGenerate, type CliModel } from './modelArgument';

/**
 * A manifest's model as --model takes it, with paths relative to the manifest's folder rather
 * than to wherever the build was started.
 */
export function modelArgument(model: string, manifestDir: string): string {
  if (isAbsolute(model) || findCatalogEntry(loadCatalog(), model)) return model;
  const inManifestDir = resolve(manifestDir, model);
  return existsSync(inManifestDir) || /[/\\]/.test(model) || model.startsWith('.') ? inManifestDir : model;
}

/** A transparent background's matting model: a catalog id (downloaded on first use) or a folder relative to the manifest. */
export function mattingForBuild(matting: string, manifestDir: string, signal: AbortSignal): Promise<string> {
  const known = isAbsolute(matting) || loadMattingCatalog().some((entry) => entry.id === matting);
  return mattingModelFor(known ? matting : resolve(manifestDir, matting), signal);
}

/** A matting model's folder where it already is (a catalog one downloaded), else undefined. */
export function mattingIfHere(matting: string, manifestDir: string): string | undefined {
  return manifestMattingDir(matting, manifestDir, (entry) => locateMattingModel(entry, defaultModelsDir()));
}

/** The model where it already is, or undefined when a catalog model is not downloaded yet. */
export function modelIfHere(model: string, manifestDir: string): CliModel | undefined {
  try {
    return localModel(modelArgument(model, manifestDir));
  } catch (error) {
    if (error instanceof EngineError && error.code === 'model-folder' && /not downloaded yet/.test(error.message)) return undefined;
    throw error;
  }
}

export function modelForBuild(model: string, manifestDir: string, signal: AbortSignal): Promise<CliModel> {
  return modelForGenerate(modelArgument(model, manifestDir), signal);
}

const GIB = 1024 ** 3;

/** The folder's file hashes and their digest, reading only files the cache does not know, each announced. */
export async function hashModel(
  key: string,
  dir: string,
  cache: HashCache,
  signal: AbortSignal,
): Promise<{ files: Record<string, string>; digest: string }> {
  let announced = false;
  const files = (await hashModelFolder(dir, {
    cache,
    signal,
    onHashing: (file, bytes) => {
      if (!announced) {
        process.stderr.write(`hashing the files of model "${key}" for the lock (once: the hashes are cached while each file keeps its size and time)\n`);
        announced = true;
      }
      if (bytes >= GIB / 8) process.stderr.write(`  ${file} (${(bytes / GIB).toFixed(1)} GiB)…\n`);
    },
  }))!;
  return { files, digest: folderDigest(files) };
}
