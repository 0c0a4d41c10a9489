import { basename } from 'node:path';
import * as vscode from 'vscode';
import { OPEN_IN_PANEL_COMMAND, REGENERATE_COMMAND, VARY_COMMAND } from './commandIds';
import type { GenerationBackend } from './generationBackend';
import { GeneratePanel } from './panel/generatePanel';
import { generateWithProgress } from './progressNotification';

/** The hover's actions on a generated picture, each given the picture's path. */
export function registerRecipeCommands(context: vscode.ExtensionContext, backend: GenerationBackend): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(REGENERATE_COMMAND, (path: unknown) => remake(backend, path, 'regenerate')),
    vscode.commands.registerCommand(VARY_COMMAND, (path: unknown) => remake(backend, path, 'vary')),
    vscode.commands.registerCommand(OPEN_IN_PANEL_COMMAND, (path: unknown) =>
      reportErrors(async () => {
        const event = await backend.reuse(pathArgument(path));
        GeneratePanel.createOrShow(context, backend).deliver(event);
      }),
    ),
  ];
}

/** A new file from the picture's recipe, with its seed or a new one; the picture itself stays. */
function remake(backend: GenerationBackend, path: unknown, mode: 'regenerate' | 'vary'): Promise<void> {
  return reportErrors(async () => {
    const source = pathArgument(path);
    const form = await backend.recipeForm(source, mode);
    const title = `${mode === 'vary' ? 'Varying' : 'Regenerating'} ${basename(source)}`;
    const file = await generateWithProgress(backend, form, title);
    if (!file) return;
    const open = await vscode.window.showInformationMessage(`Wrote ${file.relativePath}.`, 'Open');
    if (open) await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file.path));
  });
}

function pathArgument(path: unknown): string {
  if (typeof path !== 'string' || path === '') throw new Error('This command needs the path of a generated image.');
  return path;
}

async function reportErrors(task: () => Promise<void>): Promise<void> {
  try {
    await task();
  } catch (error) {
    void vscode.window.showErrorMessage(error instanceof Error ? error.message : String(error));
  }
}
