import * as vscode from 'vscode';
import { loadMattingCatalog } from '../../engine/models/catalog';
import { formatBytes } from '../../engine/models/download/downloadProgress';
import { locateMattingModel, type MattingEntry } from '../../engine/models/mattingCatalog';
import { DEFAULT_MATTING_MODEL } from '../../protocol/background';
import { DOWNLOAD_MODEL_COMMAND } from '../commandIds';
import { readSettings } from '../settings';

/** The catalog's matting model, which the panel's transparent background uses. */
export function defaultMattingEntry(): MattingEntry {
  const entry = loadMattingCatalog().find((e) => e.id === DEFAULT_MATTING_MODEL);
  if (!entry) throw new Error(`The model catalog has no background-matting model "${DEFAULT_MATTING_MODEL}", which a transparent background needs.`);
  return entry;
}

/**
 * The matting model's folder for a transparent background. When it is not downloaded yet the
 * download is offered, as a missing diffusion model is, before any job is queued; resolves to
 * undefined when the user declines or the download does not finish.
 */
export async function mattingModelOrOffer(): Promise<string | undefined> {
  const entry = defaultMattingEntry();
  const here = locateMattingModel(entry, readSettings().modelsDirectory);
  if (here) return here;
  const download = `Download ${entry.displayName} (${formatBytes(entry.sizeBytes)})`;
  const answer = await vscode.window.showInformationMessage(
    `A transparent background needs ${entry.displayName}, a background-matting model under the ${entry.licence.name}, fetched once and verified. Download it now?`,
    download,
  );
  if (answer !== download) return undefined;
  await vscode.commands.executeCommand(DOWNLOAD_MODEL_COMMAND, entry.id);
  return locateMattingModel(entry, readSettings().modelsDirectory);
}
