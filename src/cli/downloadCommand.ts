import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { catalogIds, findCatalogEntry, loadMattingCatalog } from '../engine/models/catalog';
import { locateCatalogModel } from '../engine/models/discovery';
import { storedModelDir } from '../engine/models/modelStore';
import { downloadCatalogModel } from './catalogDownload';
import { cliLocations } from './modelArgument';
import { UsageError } from './usageError';

export const DOWNLOAD_USAGE = `sdxl-assets download MODEL_ID [--dir DIR]
  fetches a catalog model (see sdxl-assets models), or the matting model birefnet-lite that
  --background transparent uses, into DIR/MODEL_ID, verified; run it again
  to resume. DIR: the models directory, default $SDXL_ASSETS_MODELS or the user cache folder`;

/**
 * Downloads (or completes, or updates to the pinned revision) one catalog model and prints its
 * folder; a model the Hugging Face cache has is not downloaded again unless --dir asks for a copy.
 */
export async function downloadCommand(argv: string[], signal: AbortSignal): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { dir: { type: 'string' } },
  });
  const locations = cliLocations(values.dir === undefined ? undefined : resolve(values.dir));
  if (positionals.length !== 1) {
    throw new UsageError(`Give one model id: ${catalogIds(locations.catalog)}.`);
  }
  const id = positionals[0]!;
  const matting = loadMattingCatalog().find((e) => e.id === id);
  if (matting) {
    process.stdout.write(`${await downloadCatalogModel(matting, locations.modelsDir, signal)}\n`);
    return;
  }
  const entry = findCatalogEntry(locations.catalog, id);
  if (!entry) throw new UsageError(`Unknown model id "${id}"; the catalog has ${catalogIds(locations.catalog)}.`);
  const stored = storedModelDir(locations.modelsDir, entry);
  const here = values.dir === undefined ? locateCatalogModel(entry, locations) : undefined;
  if (here && here !== stored) {
    // Already in the Hugging Face cache: a second copy would only cost disk space.
    process.stderr.write(`${entry.displayName} is already in the Hugging Face cache; --model ${entry.id} uses it from there.\n`);
    process.stdout.write(`${here}\n`);
    return;
  }
  const dir = await downloadCatalogModel(entry, locations.modelsDir, signal);
  process.stdout.write(`${dir}\n`);
}
