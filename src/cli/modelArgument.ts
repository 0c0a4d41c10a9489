import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { EngineError } from '../engine/errors';
import { catalogIds, findCatalogEntry, loadCatalog, loadMattingCatalog, type CatalogEntry } from '../engine/models/catalog';
import { locateMattingModel } from '../engine/models/mattingCatalog';
import { catalogEntryForFolder, locateCatalogModel, type ModelLocations } from '../engine/models/discovery';
import { hfHubDir } from '../engine/models/hfCache';
import { defaultModelsDir } from '../engine/models/modelStore';
import { downloadCatalogModel } from './catalogDownload';

export interface CliModel {
  dir: string;
  /** The catalog entry the folder holds, whose recommended settings fill in what is not given. */
  entry?: CatalogEntry;
}

export function cliLocations(modelsDir?: string): ModelLocations {
  return { catalog: loadCatalog(), modelsDir: modelsDir ?? defaultModelsDir(), hubDir: hfHubDir() };
}

/** For generate: a catalog id that is not here yet is downloaded first, with progress. */
export async function modelForGenerate(arg: string, signal: AbortSignal): Promise<CliModel> {
  const locations = cliLocations();
  const entry = catalogEntryOf(arg, locations.catalog);
  if (!entry) return folderModel(arg, locations.catalog);
  const dir = locateCatalogModel(entry, locations) ?? (await downloadCatalogModel(entry, locations.modelsDir, signal));
  return { dir, entry };
}

/** For tokens and info, which only read: a catalog id must be downloaded already. */
export function localModel(arg: string): CliModel {
  const locations = cliLocations();
  const entry = catalogEntryOf(arg, locations.catalog);
  if (!entry) return folderModel(arg, locations.catalog);
  const dir = locateCatalogModel(entry, locations);
  if (!dir) {
    throw new EngineError(`${entry.id} is not downloaded yet; run: sdxl-assets download ${entry.id}`, 'model-folder');
  }
  return { dir, entry };
}

/**
 * A --model that looks like a path is a folder; a bare name is a catalog id when the catalog
 * has it (before a same-named folder in the working directory), else a folder.
 */
function catalogEntryOf(arg: string, catalog: readonly CatalogEntry[]): CatalogEntry | undefined {
  if (looksLikePath(arg)) return undefined;
  const entry = findCatalogEntry(catalog, arg);
  if (!entry && !existsSync(arg)) {
    throw new EngineError(`Unknown model "${arg}": no such folder, and the catalog has ${catalogIds(catalog)}.`, 'model-folder');
  }
  return entry;
}

/**
 * For --background: a matting model folder, or a catalog matting id, downloaded on first use.
 * A recipe's matting model is its folder name, which is the id for a catalog download.
 */
export async function mattingModelFor(arg: string, signal: AbortSignal): Promise<string> {
  const entry = looksLikePath(arg) ? undefined : loadMattingCatalog().find((e) => e.id === arg);
  if (!entry) {
    if (existsSync(arg)) return arg;
    const ids = loadMattingCatalog().map((e) => e.id).join(', ');
    throw new EngineError(`Unknown matting model "${arg}": no such folder, and the catalog's matting models are ${ids || 'none'}.`, 'model-folder');
  }
  const modelsDir = defaultModelsDir();
  return locateMattingModel(entry, modelsDir) ?? (await downloadCatalogModel(entry, modelsDir, signal));
}

function looksLikePath(arg: string): boolean {
  return isAbsolute(arg) || /[/\\]/.test(arg) || arg.startsWith('.') || arg.startsWith('~');
}

function folderModel(dir: string, catalog: readonly CatalogEntry[]): CliModel {
  const entry = catalogEntryForFolder(dir, catalog);
  return entry ? { dir, entry } : { dir };
}
