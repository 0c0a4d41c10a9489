import * as vscode from 'vscode';
import { loadCatalog } from '../../engine/models/catalog';
import { formatBytes } from '../../engine/models/download/downloadProgress';
import { DOWNLOAD_MODEL_COMMAND } from '../commandIds';
import type { GenerationBackend } from '../generationBackend';

/**
 * Generate Image with no usable model: offers the catalog's first model (the default
 * download), the others, or a folder the user already has. The panel opens regardless, with
 * its own empty state.
 */
export async function offerModelIfNone(backend: GenerationBackend): Promise<void> {
  if ((await backend.models()).some((model) => !model.problem)) return;
  const [first] = loadCatalog();
  if (!first) return;
  const download = `Download ${first.displayName} (${formatBytes(first.sizeBytes)})`;
  const others = 'Other Models…';
  const folder = 'Choose Model Folder…';
  const answer = await vscode.window.showInformationMessage(
    'SDXL Assets needs a model to generate images: download one (gigabytes, fetched once and verified), or use an SDXL ONNX folder you already have.',
    download,
    others,
    folder,
  );
  if (answer === download) await vscode.commands.executeCommand(DOWNLOAD_MODEL_COMMAND, first.id);
  else if (answer === others) await vscode.commands.executeCommand(DOWNLOAD_MODEL_COMMAND);
  else if (answer === folder) await backend.pickModelFolder();
}
