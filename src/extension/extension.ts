import * as vscode from 'vscode';
import {
  ADD_TO_MANIFEST_COMMAND,
  DOWNLOAD_MODEL_COMMAND,
  GENERATE_ASSET_COMMAND,
  GENERATE_COMMAND,
  GENERATE_HERE_COMMAND,
  IMAGE_TO_IMAGE_COMMAND,
  INPAINT_COMMAND,
  SET_HF_TOKEN_COMMAND,
} from './commandIds';
import { EngineClient } from './engineClient';
import { registerCudaCommands } from './gpu/installCuda';
import { GenerationBackend } from './generationBackend';
import { imageToImageCommand } from './imageToImageCommand';
import { addToManifest } from './manifest/addToManifest';
import { generateAsset } from './manifest/generateAsset';
import { ManifestCodeLensProvider } from './manifest/manifestCodeLens';
import { ManifestWatcher } from './manifest/manifestWatcher';
import { generateImageHere } from './markdown/generateImageHere';
import { MarkdownImageInserter } from './markdown/markdownImageInserter';
import { RecipeHoverProvider } from './markdown/recipeHover';
import { downloadModelCommand } from './models/downloadModel';
import { offerModelIfNone } from './models/firstRun';
import { setHuggingFaceToken } from './models/huggingFaceToken';
import { GeneratePanel, registerGeneratePanelSerializer } from './panel/generatePanel';
import { registerRecipeCommands } from './recipeCommands';
import { engineConfig, readSettings, SECTION } from './settings';
import { EngineStatusBar } from './statusBar';

let client: EngineClient | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('SDXL Assets');
  client = new EngineClient({
    enginePath: context.asAbsolutePath('dist/engineServer.js'),
    log: (line) => output.appendLine(line),
  });
  client.configure(engineConfig(readSettings()));
  const status = new EngineStatusBar(GENERATE_COMMAND);
  const markdown = new MarkdownImageInserter();
  const backend = new GenerationBackend(context, client, status, output, markdown);
  const engine = client;
  const manifests = new ManifestWatcher();

  context.subscriptions.push(
    output,
    status,
    markdown,
    backend,
    manifests,
    { dispose: () => void engine.dispose() },
    vscode.commands.registerCommand(GENERATE_COMMAND, () => {
      GeneratePanel.createOrShow(context, backend);
      void offerModelIfNone(backend);
    }),
    vscode.commands.registerCommand(DOWNLOAD_MODEL_COMMAND, (id?: unknown) => downloadModelCommand(context, backend, engine, output, id)),
    vscode.commands.registerCommand(SET_HF_TOKEN_COMMAND, () => setHuggingFaceToken(context)),
    vscode.commands.registerCommand(IMAGE_TO_IMAGE_COMMAND, (uri: unknown) => imageToImageCommand(context, backend, uri)),
    vscode.commands.registerCommand(INPAINT_COMMAND, (uri: unknown) => imageToImageCommand(context, backend, uri, 'inpaint')),
    vscode.commands.registerCommand(GENERATE_HERE_COMMAND, () => generateImageHere(backend, markdown)),
    ...registerRecipeCommands(context, backend),
    vscode.commands.registerCommand(GENERATE_ASSET_COMMAND, (target: unknown) => generateAsset(backend, manifests, target)),
    vscode.commands.registerCommand(ADD_TO_MANIFEST_COMMAND, (image: unknown) => addToManifest(backend, image)),
    vscode.languages.registerCodeLensProvider({ scheme: 'file', pattern: '**/assets.sdxl.json' }, new ManifestCodeLensProvider(manifests)),
    ...registerCudaCommands(engine, output),
    vscode.languages.registerHoverProvider({ language: 'markdown' }, new RecipeHoverProvider()),
    registerGeneratePanelSerializer(context, backend),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(SECTION)) engine.configure(engineConfig(readSettings()));
    }),
  );
}

export async function deactivate(): Promise<void> {
  await client?.dispose();
  client = undefined;
}
