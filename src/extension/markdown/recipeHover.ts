import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { readRecipeFromFile } from '../../engine/image/recipeMetadata';
import { ADD_TO_MANIFEST_COMMAND, OPEN_IN_PANEL_COMMAND, REGENERATE_COMMAND, VARY_COMMAND } from '../commandIds';
import { isImagePath } from '../imageFiles';
import { imageLinkAt, resolveImageTarget } from './imageLinkAt';
import { commandUri, recipeHoverMarkdown } from './recipeHoverText';

/** The hover over a Markdown image link to a picture that carries an SDXL Assets recipe. */
export class RecipeHoverProvider implements vscode.HoverProvider {
  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const link = imageLinkAt(document.lineAt(position.line).text, position.character);
    if (!link) return undefined;
    const folder = vscode.workspace.getWorkspaceFolder(document.uri)?.uri.fsPath;
    const documentDir = document.uri.scheme === 'file' ? dirname(document.uri.fsPath) : folder;
    if (documentDir === undefined) return undefined;
    const path = resolveImageTarget(link.destination, documentDir, folder);
    if (path === undefined || !isImagePath(path)) return undefined;
    const recipe = await readRecipeFromFile(path).catch(() => null);
    if (!recipe) return undefined;

    const markdown = new vscode.MarkdownString(
      recipeHoverMarkdown(recipe, vscode.Uri.file(path).toString(), {
        regenerate: commandUri(REGENERATE_COMMAND, [path]),
        vary: commandUri(VARY_COMMAND, [path]),
        open: commandUri(OPEN_IN_PANEL_COMMAND, [path]),
        addToManifest: commandUri(ADD_TO_MANIFEST_COMMAND, [path]),
      }),
    );
    // Only our own four commands run from this hover, whatever a file's text says.
    markdown.isTrusted = { enabledCommands: [REGENERATE_COMMAND, VARY_COMMAND, OPEN_IN_PANEL_COMMAND, ADD_TO_MANIFEST_COMMAND] };
    return new vscode.Hover(markdown, new vscode.Range(position.line, link.start, position.line, link.end));
  }
}
