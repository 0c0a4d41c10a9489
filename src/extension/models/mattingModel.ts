import * as vscode from 'vscode';
import { loadMattingCatalog } from '../../engine/models/catalog';
import { formatBytes } from '../../engine/models/download/downloadProgress';
import { locateMattingModel, type MattingEntry } from '../../engine/models/mattingCatalog';
import { DEFAULT_MATTING_MODEL } from '../../protocol/background';
import { DOWNLOAD_MODEL_COMMAND } from '../commandIds';
import { readSettings } from '../settings';

/** A catalog matting model by id; the panel's transparent background uses the default one. */
export function mattingEntry(id: string = DEFAULT_MATTING_MODEL): MattingEntry | undefined {
  return loadMattingCatalog().find((e) => e.id === id);
}

/**
 * The folder of a catalog matting model (default: the panel's) for a transparent background.
 * When it is not downloaded yet the download is offered, as a missing diffusion model is, before
 * any job is queued; resolves to undefined when the user declines or the download does not finish.
 */
export async function mattingModelOrOffer(id: string = DEFAULT_MATTING_MODEL): Promise<string | undefined> {
  const entry = mattingEntry(id);
  if (!entry) throw new Error(`The model catalog has no background-matting model "${id}", which a transparent background needs.`);
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
