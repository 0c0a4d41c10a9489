import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import bundledCatalog from '../../../models.json';
import { EngineError } from '../errors';
import { type CatalogEntry, parseCatalog } from './catalogSchema';

export type { CatalogEntry } from './catalogSchema';

/**
 * The model catalog: models.json, bundled into each entry point so that the VSIX and the CLI
 * need no file beside them. SDXL_ASSETS_CATALOG names another file (tests, private mirrors).
 */
export function loadCatalog(env: NodeJS.ProcessEnv = process.env): CatalogEntry[] {
  const path = env.SDXL_ASSETS_CATALOG;
  if (!path) return parseCatalog(bundledCatalog, 'models.json');
  let text: string;
  try {
    text = readFileSync(resolve(path), 'utf8');
  } catch (error) {
    throw new EngineError(`Cannot read the model catalog SDXL_ASSETS_CATALOG=${path}: ${(error as Error).message}`, 'bad-request');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new EngineError(`Model catalog ${path} is not valid JSON: ${(error as Error).message}`, 'bad-request');
  }
  return parseCatalog(value, path);
}

export function findCatalogEntry(catalog: readonly CatalogEntry[], id: string): CatalogEntry | undefined {
  return catalog.find((entry) => entry.id === id);
}

export function catalogIds(catalog: readonly CatalogEntry[]): string {
  return catalog.map((entry) => entry.id).join(', ');
}
