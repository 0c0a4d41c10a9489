import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import bundledCatalog from '../../../models.json';
import { EngineError } from '../errors';
import { type CatalogEntry, parseCatalog } from './catalogSchema';
import { type MattingEntry, parseMattingCatalog } from './mattingCatalog';

export type { CatalogEntry } from './catalogSchema';

/**
 * The model catalog: models.json, bundled into each entry point so that the VSIX and the CLI
 * need no file beside them. SDXL_ASSETS_CATALOG names another file (tests, private mirrors).
 */
export function loadCatalog(env: NodeJS.ProcessEnv = process.env): CatalogEntry[] {
  const { value, source } = readCatalog(env);
  return parseCatalog(value, source);
}

/** The catalog's background-matting models, from the same file as loadCatalog's. */
export function loadMattingCatalog(env: NodeJS.ProcessEnv = process.env): MattingEntry[] {
  const { value, source } = readCatalog(env);
  return parseMattingCatalog(value, source);
}

function readCatalog(env: NodeJS.ProcessEnv): { value: unknown; source: string } {
  const path = env.SDXL_ASSETS_CATALOG;
  if (!path) return { value: bundledCatalog, source: 'models.json' };
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
  return { value, source: path };
}

export function findCatalogEntry(catalog: readonly CatalogEntry[], id: string): CatalogEntry | undefined {
  return catalog.find((entry) => entry.id === id);
}

export function catalogIds(catalog: readonly CatalogEntry[]): string {
  return catalog.map((entry) => entry.id).join(', ');
}
