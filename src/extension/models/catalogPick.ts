import type { CatalogEntry } from '../../engine/models/catalog';
import { formatBytes } from '../../engine/models/download/downloadProgress';
import type { DownloadEntry } from '../../engine/models/download/modelDownload';
import type { MattingEntry } from '../../engine/models/mattingCatalog';

export interface CatalogPickItem {
  label: string;
  description: string;
  detail: string;
  entry: DownloadEntry;
}

/** One line per model with what choosing needs: size, speed, licence, and whether it is here already. */
export function catalogPickItems(catalog: readonly CatalogEntry[], locate: (entry: CatalogEntry) => string | undefined): CatalogPickItem[] {
  return catalog.map((entry) => pickItem(entry, `${formatBytes(entry.sizeBytes)} · ${speedText(entry)}`, locate(entry)));
}

/** "fast: 1 step at 512×512" — what the speed class means for this model. */
export function speedText(entry: CatalogEntry): string {
  const { steps, width, height } = entry.recommended;
  return `${entry.speedClass}: ${steps} step${steps === 1 ? '' : 's'} at ${width}×${height}`;
}

/** The background-matting models, after the diffusion models: what a transparent background uses. */
export function mattingPickItems(entries: readonly MattingEntry[], locate: (entry: MattingEntry) => string | undefined): CatalogPickItem[] {
  return entries.map((entry) => pickItem(entry, `${formatBytes(entry.sizeBytes)} · background removal, for a transparent background`, locate(entry)));
}

function pickItem(entry: DownloadEntry, description: string, here: string | undefined): CatalogPickItem {
  const { licence } = entry;
  return {
    label: entry.displayName,
    description,
    detail: [`${licence.name}${licence.nonCommercial ? ' (non-commercial use only)' : ''}`, here ? `already here: ${here}` : entry.description].join(' · '),
    entry,
  };
}
