import * as vscode from 'vscode';
import { readPaletteFile } from '../engine/finish/paletteFile';

/**
 * Asks for a `.hex` or `.gpl` palette file and reads its colours with the parser the CLI's
 * `--palette FILE` uses; undefined when the user cancels. A file that does not parse throws
 * with the parser's words, naming the file and the line.
 */
export async function askPaletteFile(): Promise<string[] | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: false,
    filters: { 'Palette files': ['hex', 'gpl'] },
    openLabel: 'Use this palette',
    title: 'Choose a palette file (.hex as Lospec publishes them, or GIMP .gpl)',
  });
  const path = picked?.[0]?.fsPath;
  if (!path) return undefined;
  return readPaletteFile(path);
}
