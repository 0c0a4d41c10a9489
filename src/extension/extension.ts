import * as vscode from 'vscode';
import { EngineClient } from './engineClient';
import { GenerationBackend } from './generationBackend';
import { GeneratePanel, registerGeneratePanelSerializer } from './panel/generatePanel';
import { engineConfig, readSettings, SECTION } from './settings';
import { EngineStatusBar } from './statusBar';

export const GENERATE_COMMAND = 'sdxlAssets.generateImage';

let client: EngineClient | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('SDXL Assets');
  client = new EngineClient({
    enginePath: context.asAbsolutePath('dist/engineServer.js'),
    log: (line) => output.appendLine(line),
  });
  client.configure(engineConfig(readSettings()));
  const status = new EngineStatusBar(GENERATE_COMMAND);
  const backend = new GenerationBackend(context, client, status, output);
  const engine = client;

  context.subscriptions.push(
    output,
    status,
    backend,
    { dispose: () => void engine.dispose() },
    vscode.commands.registerCommand(GENERATE_COMMAND, () => GeneratePanel.createOrShow(context, backend)),
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
