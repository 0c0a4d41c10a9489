import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import * as vscode from 'vscode';
import { readRecipeFromFile } from '../../engine/image/recipeMetadata';
import { MANIFEST_FILE } from '../../engine/manifest/manifest';
import { loadCatalog } from '../../engine/models/catalog';
import { catalogEntryForFolder } from '../../engine/models/discovery';
import type { GenerationBackend } from '../generationBackend';
import { locateInitImage, modelDirForRecipe } from '../jobs/recipeSettings';
import { isInside, workspaceRelative } from '../outputFiles';
import { appendEntry, entryFromRecipe, newManifestText } from './manifestEntryText';

/**
 * Add to Manifest (an image's recipe, from the Explorer, the gallery, the Markdown hover or after
 * Generate Image Here): appends an entry that remakes the image to the nearest assets.sdxl.json
 * above it in its workspace folder, or creates one at the folder's root. Every setting is
 * stated and the seed fixed, so a build reproduces the image rather than a variation of it.
 */
export async function addToManifest(backend: GenerationBackend, argument: unknown): Promise<void> {
  try {
    const path = imagePath(argument);
    const recipe = await readRecipeFromFile(path).catch(() => null);
    if (!recipe) throw new Error(`${path} carries no SDXL Assets recipe, so a manifest entry could not remake it.`);
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(path))?.uri.fsPath;
    if (folder === undefined) throw new Error('Add to Manifest works for images inside a workspace folder.');
    const manifestPath = nearestManifest(dirname(path), folder) ?? join(folder, MANIFEST_FILE);
    const manifestDir = dirname(manifestPath);
    const models = await backend.models();
    const name = (dir: string) => {
      const entry = catalogEntryForFolder(dir, loadCatalog());
      return entry ? entry.id : pathFrom(manifestDir, dir);
    };
    const modelDir = modelDirForRecipe(models, recipe.model);
    const refinerDir = recipe.refiner === undefined ? undefined : modelDirForRecipe(models, recipe.refiner);
    const source = recipe.initImage === undefined ? undefined : locateInitImage(recipe.initImage, [dirname(path), folder]);
    const entry = entryFromRecipe(recipe, {
      output: pathFrom(manifestDir, path),
      model: modelDir !== undefined ? name(modelDir) : recipe.model,
      ...(recipe.refiner !== undefined ? { refiner: refinerDir !== undefined ? name(refinerDir) : recipe.refiner } : {}),
      ...(recipe.initImage !== undefined ? { source: source !== undefined ? pathFrom(manifestDir, source) : recipe.initImage } : {}),
    });
    const uri = vscode.Uri.file(manifestPath);
    if (!existsSync(manifestPath)) {
      await writeFile(manifestPath, newManifestText(entry), { flag: 'wx' });
    } else {
      const document = await vscode.workspace.openTextDocument(uri);
      const insertion = appendEntry(document.getText(), entry);
      const edit = new vscode.WorkspaceEdit();
      const start = document.positionAt(insertion.offset);
      edit.replace(uri, new vscode.Range(start, document.positionAt(insertion.offset + insertion.length)), insertion.text);
      if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`Could not edit ${manifestPath}.`);
      await document.save();
    }
    const document = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(document, { preview: false });
    const at = document.getText().lastIndexOf(`"output": ${JSON.stringify(entry.output)}`);
    if (at >= 0) {
      const position = document.positionAt(at);
      editor.selection = new vscode.Selection(position, position);
      editor.revealRange(new vscode.Range(position, position));
    }
    void vscode.window.showInformationMessage(`Added ${String(entry.output)} to ${relative(folder, manifestPath)}.`);
  } catch (error) {
    void vscode.window.showErrorMessage(error instanceof Error ? error.message : String(error));
  }
}

/** The manifest in the image's folder or the closest folder above it, up to the workspace folder. */
function nearestManifest(from: string, root: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, MANIFEST_FILE);
    if (existsSync(candidate)) return candidate;
    if (dir === root || dirname(dir) === dir || !isInside(root, dir)) return undefined;
  }
}

/** A path as a manifest writes it: relative with forward slashes when inside its folder, else absolute. */
function pathFrom(manifestDir: string, path: string): string {
  return path !== manifestDir && isInside(manifestDir, path) ? workspaceRelative(manifestDir, path) : path;
}

function imagePath(argument: unknown): string {
  if (typeof argument === 'string' && argument !== '') return argument;
  if (argument instanceof vscode.Uri && argument.scheme === 'file') return argument.fsPath;
  const active = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (active instanceof vscode.TabInputCustom && active.uri.scheme === 'file') return active.uri.fsPath;
  throw new Error('Add to Manifest needs an image: right-click one in the Explorer, or open it first.');
}
