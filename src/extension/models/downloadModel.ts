import * as vscode from 'vscode';
import { isCancelled } from '../../protocol/failureCode';
import { type CatalogEntry, findCatalogEntry, loadCatalog } from '../../engine/models/catalog';
import { locateCatalogModel } from '../../engine/models/discovery';
import { progressText } from '../../engine/models/download/downloadProgress';
import { AccessDeniedError, hubEndpoint } from '../../engine/models/download/hubRequest';
import { downloadModel } from '../../engine/models/download/modelDownload';
import { hfHubDir } from '../../engine/models/hfCache';
import { storedModelDir } from '../../engine/models/modelStore';
import { GENERATE_COMMAND, SET_HF_TOKEN_COMMAND } from '../commandIds';
import type { GenerationBackend } from '../generationBackend';
import { readSettings, setDefaultModelIfUnset } from '../settings';
import { catalogPickItems } from './catalogPick';
import { huggingFaceToken } from './huggingFaceToken';

const ACCEPTED_LICENCES_KEY = 'sdxlAssets.acceptedLicences';
const TOKEN_HINT = 'run "SDXL Assets: Set Hugging Face Token…"';

/**
 * SDXL Assets: Download Model…: a quick pick of the catalog (size, speed, licence), the
 * licence to accept for a non-commercial model, then a cancellable progress notification. A
 * model already in the models directory or the Hugging Face cache is used from there instead.
 * `id` skips the pick (the first-run offer).
 */
export async function downloadModelCommand(
  context: vscode.ExtensionContext,
  backend: GenerationBackend,
  output: vscode.OutputChannel,
  id?: unknown,
): Promise<void> {
  const catalog = loadCatalog();
  const locations = { modelsDir: readSettings().modelsDirectory, hubDir: hfHubDir() };
  const entry = typeof id === 'string' ? findCatalogEntry(catalog, id) : await pickEntry(catalog, locations);
  if (!entry) return;
  const here = locateCatalogModel(entry, locations);
  if (here) {
    await useModel(backend, here);
    void vscode.window.showInformationMessage(`${entry.displayName} is already here, at ${here}; it is used from there.`);
    return;
  }
  if (entry.licence.nonCommercial && !(await acceptLicence(context, entry))) return;
  const dir = await downloadWithProgress(context, output, entry, storedModelDir(locations.modelsDir, entry));
  if (!dir) return;
  await useModel(backend, dir);
  const answer = await vscode.window.showInformationMessage(`${entry.displayName} is downloaded and verified.`, 'Generate Image');
  if (answer) await vscode.commands.executeCommand(GENERATE_COMMAND);
}

async function pickEntry(catalog: readonly CatalogEntry[], locations: { modelsDir: string; hubDir: string }) {
  const picked = await vscode.window.showQuickPick(
    catalogPickItems(catalog, (entry) => locateCatalogModel(entry, locations)),
    { title: 'Download Model', placeHolder: `Into ${locations.modelsDir}`, matchOnDescription: true, matchOnDetail: true },
  );
  return picked?.entry;
}

/** A modal, since using the weights binds the user to the licence; asked once per licence. */
async function acceptLicence(context: vscode.ExtensionContext, entry: CatalogEntry): Promise<boolean> {
  const { licence } = entry;
  const accepted = context.globalState.get<string[]>(ACCEPTED_LICENCES_KEY, []);
  if (accepted.includes(licence.url)) return true;
  const accept = 'Accept and Download';
  const read = 'Read the Licence';
  for (;;) {
    const answer = await vscode.window.showWarningMessage(
      `${entry.displayName} is under the ${licence.name}, which allows non-commercial use only.`,
      { modal: true, detail: `Downloading it means accepting its terms: ${licence.url}` },
      accept,
      read,
    );
    if (answer === read) {
      await vscode.env.openExternal(vscode.Uri.parse(licence.url));
      continue;
    }
    if (answer !== accept) return false;
    await context.globalState.update(ACCEPTED_LICENCES_KEY, [...accepted, licence.url]);
    return true;
  }
}

function downloadWithProgress(
  context: vscode.ExtensionContext,
  output: vscode.OutputChannel,
  entry: CatalogEntry,
  dir: string,
): Thenable<string | undefined> {
  const options = { location: vscode.ProgressLocation.Notification, title: `Downloading ${entry.displayName}`, cancellable: true };
  return vscode.window.withProgress(options, async (progress, cancellation) => {
    const controller = new AbortController();
    const subscription = cancellation.onCancellationRequested(() => controller.abort());
    let percentShown = 0;
    output.appendLine(`Downloading ${entry.repo}@${entry.revision} into ${dir}`);
    try {
      const token = await huggingFaceToken(context);
      await downloadModel(entry, dir, {
        hub: { endpoint: hubEndpoint(), tokenHint: TOKEN_HINT, ...(token ? { token } : {}) },
        signal: controller.signal,
        onProgress: (state) => {
          const percent = state.totalBytes > 0 ? (state.doneBytes / state.totalBytes) * 100 : 100;
          progress.report({ increment: percent - percentShown, message: progressText(state) });
          percentShown = percent;
        },
      });
      output.appendLine(`Downloaded ${entry.id} into ${dir}`);
      return dir;
    } catch (error) {
      await reportFailure(output, error);
      return undefined;
    } finally {
      subscription.dispose();
    }
  });
}

async function reportFailure(output: vscode.OutputChannel, error: unknown): Promise<void> {
  const message = error instanceof Error ? error.message : String(error);
  output.appendLine(`Download stopped: ${message}`);
  if (isCancelled(error)) {
    void vscode.window.showInformationMessage(message);
  } else if (error instanceof AccessDeniedError) {
    const setToken = 'Set Hugging Face Token…';
    if ((await vscode.window.showErrorMessage(message, setToken)) === setToken) {
      await vscode.commands.executeCommand(SET_HF_TOKEN_COMMAND);
    }
  } else {
    void vscode.window.showErrorMessage(message);
  }
}

async function useModel(backend: GenerationBackend, dir: string): Promise<void> {
  await setDefaultModelIfUnset(dir);
  backend.modelsChanged(dir);
}
