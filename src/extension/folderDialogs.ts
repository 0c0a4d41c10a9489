import * as vscode from 'vscode';
import { readModelFolder } from '../engine/models/modelFolder';

/** Asks for a model folder and checks that it loads; undefined when the user cancels or the folder is refused (the reason shown). */
export async function askModelFolder(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    openLabel: 'Use this model folder',
    title: 'Choose an SDXL model folder (diffusers/Optimum ONNX layout)',
  });
  const dir = picked?.[0]?.fsPath;
  if (!dir) return undefined;
  try {
    readModelFolder(dir);
  } catch (error) {
    void vscode.window.showErrorMessage((error as Error).message);
    return undefined;
  }
  return dir;
}

/** Where generated images go: the first workspace folder, or with none open the folder the user chose for this window. */
export class OutputRoot {
  private chosen: string | undefined;

  current(): string | undefined {
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? this.chosen;
  }

  /** No folder open: asks once where images go, and keeps the answer for this window. */
  async currentOrAsk(): Promise<string | undefined> {
    const current = this.current();
    if (current !== undefined) return current;
    const picked = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      openLabel: 'Save images here',
      title: 'No folder is open: where should generated images go?',
    });
    this.chosen = picked?.[0]?.fsPath;
    return this.chosen;
  }
}
