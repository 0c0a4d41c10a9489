import { join } from 'node:path';
import * as vscode from 'vscode';
import { isCancelled } from '../../protocol/failureCode';
import { type CatalogEntry, findCatalogEntry, loadCatalog, loadMattingCatalog } from '../../engine/models/catalog';
import { locateCatalogModel } from '../../engine/models/discovery';
import { progressText } from '../../engine/models/download/downloadProgress';
import { AccessDeniedError, hubEndpoint } from '../../engine/models/download/hubRequest';
import { downloadModel, type DownloadEntry } from '../../engine/models/download/modelDownload';
import { locateMattingModel, type MattingEntry } from '../../engine/models/mattingCatalog';
import { hfHubDir } from '../../engine/models/hfCache';
import { storedModelDir } from '../../engine/models/modelStore';
import { GENERATE_COMMAND, SET_HF_TOKEN_COMMAND } from '../commandIds';
import type { EngineClient } from '../engineClient';
import type { GenerationBackend } from '../generationBackend';
import { readSettings, setDefaultModelIfUnset } from '../settings';
import { catalogPickItems, mattingPickItems } from './catalogPick';
import { CONVERT_DETAIL, CONVERT_TO_FLOAT16, convertToFloat16WithProgress } from './convertModel';
import { huggingFaceToken } from './huggingFaceToken';

const ACCEPTED_LICENCES_KEY = 'sdxlAssets.acceptedLicences';
const TOKEN_HINT = 'run "SDXL Assets: Set Hugging Face Token…"';

/**
 * SDXL Assets: Download Model…: a quick pick of the catalog (size, speed, licence), the
 * licence to accept for a non-commercial model, then a cancellable progress notification. A
 * model already in the models directory or the Hugging Face cache is used from there instead.
 * An fp32 model is offered a float16 copy, made by the engine process into the models directory.
 * The catalog's background-matting models are listed after the diffusion models. `id` skips the
 * pick (the first-run offer, the panel's transparent background).
 */
export async function downloadModelCommand(
  context: vscode.ExtensionContext,
  backend: GenerationBackend,
  engine: EngineClient,
  output: vscode.OutputChannel,
  id?: unknown,
): Promise<void> {
  const catalog = loadCatalog();
  const matting = loadMattingCatalog();
  const locations = { modelsDir: readSettings().modelsDirectory, hubDir: hfHubDir() };
  const chosen =
    typeof id === 'string' ? (findCatalogEntry(catalog, id) ?? matting.find((e) => e.id === id)) : await pickEntry(catalog, matting, locations);
  if (!chosen) return;
  if (isMatting(chosen)) {
    await downloadMatting(context, output, chosen, locations.modelsDir);
    return;
  }
  const entry = chosen;
  const here = locateCatalogModel(entry, locations);
  const float16 = { engine, output, entry, outDir: join(locations.modelsDir, `${entry.id}-fp16`) };
  if (here) {
    await useModel(backend, here);
    const offer = entry.precision === 'fp32' ? [CONVERT_TO_FLOAT16] : [];
    const answer = await vscode.window.showInformationMessage(
      `${entry.displayName} is already here, at ${here}; it is used from there.`,
      { detail: offer.length > 0 ? CONVERT_DETAIL : undefined },
      ...offer,
    );
    if (answer === CONVERT_TO_FLOAT16) await convertAndUse(backend, float16, here);
    return;
  }
  if (entry.licence.nonCommercial && !(await acceptLicence(context, entry))) return;
  const dir = await downloadWithProgress(context, output, entry, storedModelDir(locations.modelsDir, entry));
  if (!dir) return;
  await useModel(backend, dir);
  const offer = entry.precision === 'fp32' ? [CONVERT_TO_FLOAT16] : [];
  const answer = await vscode.window.showInformationMessage(
    `${entry.displayName} is downloaded and verified.`,
    { detail: offer.length > 0 ? CONVERT_DETAIL : undefined },
    'Generate Image',
    ...offer,
  );
  if (answer === CONVERT_TO_FLOAT16) await convertAndUse(backend, float16, dir);
  else if (answer) await vscode.commands.executeCommand(GENERATE_COMMAND);
}

interface Float16Target {
  engine: EngineClient;
  output: vscode.OutputChannel;
  entry: CatalogEntry;
  outDir: string;
}

async function convertAndUse(backend: GenerationBackend, target: Float16Target, modelDir: string): Promise<void> {
  const { engine, output, entry, outDir } = target;
  const converted = await convertToFloat16WithProgress(engine, output, entry.displayName, modelDir, outDir);
  if (!converted) return;
  backend.modelsChanged(converted);
  const answer = await vscode.window.showInformationMessage(`The float16 copy of ${entry.displayName} is ready, at ${converted}.`, 'Generate Image');
  if (answer) await vscode.commands.executeCommand(GENERATE_COMMAND);
}

function isMatting(entry: DownloadEntry): entry is MattingEntry {
  return 'kind' in entry && entry.kind === 'matting';
}

/** A matting model is no diffusion model: nothing to select in the panel, no float16 copy to offer. */
async function downloadMatting(context: vscode.ExtensionContext, output: vscode.OutputChannel, entry: MattingEntry, modelsDir: string): Promise<void> {
  const here = locateMattingModel(entry, modelsDir);
  if (here) {
    void vscode.window.showInformationMessage(`${entry.displayName} is already here, at ${here}; a transparent background uses it.`);
    return;
  }
  if (entry.licence.nonCommercial && !(await acceptLicence(context, entry))) return;
  const dir = await downloadWithProgress(context, output, entry, storedModelDir(modelsDir, entry));
  if (dir) void vscode.window.showInformationMessage(`${entry.displayName} is downloaded and verified; a transparent background uses it.`);
}

async function pickEntry(catalog: readonly CatalogEntry[], matting: readonly MattingEntry[], locations: { modelsDir: string; hubDir: string }) {
  const picked = await vscode.window.showQuickPick(
    [
      ...catalogPickItems(catalog, (entry) => locateCatalogModel(entry, locations)),
      ...mattingPickItems(matting, (entry) => locateMattingModel(entry, locations.modelsDir)),
    ],
    { title: 'Download Model', placeHolder: `Into ${locations.modelsDir}`, matchOnDescription: true, matchOnDetail: true },
  );
  return picked?.entry;
}

/** A modal, since using the weights binds the user to the licence; asked once per licence. */
async function acceptLicence(context: vscode.ExtensionContext, entry: DownloadEntry): Promise<boolean> {
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
  entry: DownloadEntry,
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
