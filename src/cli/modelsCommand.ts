import { parseArgs } from 'node:util';
import { locateCatalogModel } from '../engine/models/discovery';
import { formatBytes } from '../engine/models/download/downloadProgress';
import { cliLocations } from './modelArgument';

export const MODELS_USAGE = 'sdxl-assets models                 the catalog, and where each model already is';

/** The catalog with what choosing needs (size, licence, speed) and where each model is found. */
export function modelsCommand(argv: string[]): void {
  parseArgs({ args: argv, strict: true, options: {} });
  const locations = cliLocations();
  const lines = [`models directory: ${locations.modelsDir}`, `Hugging Face cache: ${locations.hubDir}`];
  for (const entry of locations.catalog) {
    const { licence, recommended } = entry;
    const here = locateCatalogModel(entry, locations);
    lines.push(
      '',
      `${entry.id}: ${entry.displayName} (${entry.repo}), ${entry.precision}, about ${formatBytes(entry.sizeBytes)}`,
      `  ${entry.speedClass}: ${recommended.width}×${recommended.height}, ${recommended.steps} steps, guidance ${recommended.guidance}, ${recommended.sampler} ${recommended.timestepSpacing}`,
      `  licence: ${licence.name}${licence.nonCommercial ? ' (non-commercial use only)' : ''}, ${licence.url}`,
      `  ${here ? `here: ${here}` : `not downloaded: sdxl-assets download ${entry.id}`}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
