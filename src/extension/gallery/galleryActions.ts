import { basename } from 'node:path';
import * as vscode from 'vscode';
import { readRecipeFromFile } from '../../engine/image/recipeMetadata';
import type { GalleryAction } from '../../protocol/panelProtocol';
import { ADD_TO_MANIFEST_COMMAND } from '../commandIds';
import type { MarkdownImageInserter } from '../markdown/markdownImageInserter';
import { workspaceRelative } from '../outputFiles';
import type { BackendEvent, FormEvent } from '../panel/panelBackend';

/** What the gallery's buttons act through: the rest of the backend. */
export interface GalleryActionTarget {
  /** The workspace folder, if any: paths are copied relative to it. */
  root(): string | undefined;
  markdown: MarkdownImageInserter;
  emit(event: BackendEvent): void;
  imageToImage(path: string): Promise<FormEvent>;
  inpaint(path: string): Promise<FormEvent>;
  reuse(path: string): Promise<FormEvent>;
  vary(path: string): Promise<void>;
}

/** One gallery button on the picture at `path`. */
export async function runGalleryAction(action: GalleryAction, path: string, target: GalleryActionTarget): Promise<void> {
  const uri = vscode.Uri.file(path);
  switch (action) {
    case 'open':
      await vscode.commands.executeCommand('vscode.open', uri);
      return;
    case 'reveal':
      await vscode.commands.executeCommand('revealInExplorer', uri);
      return;
    case 'copyPath': {
      const root = target.root();
      await vscode.env.clipboard.writeText(root ? workspaceRelative(root, path) : path);
      return;
    }
    case 'insertMarkdown': {
      const recipe = await readRecipeFromFile(path).catch(() => null);
      await target.markdown.insertAtCursor(path, recipe?.prompt || basename(path));
      return;
    }
    case 'useAsInit':
      target.emit(await target.imageToImage(path));
      return;
    case 'inpaint':
      target.emit(await target.inpaint(path));
      return;
    case 'reuse':
      target.emit(await target.reuse(path));
      return;
    case 'vary':
      await target.vary(path);
      return;
    case 'addToManifest':
      await vscode.commands.executeCommand(ADD_TO_MANIFEST_COMMAND, path);
      return;
    case 'delete':
      await vscode.workspace.fs.delete(uri, { useTrash: true });
      target.emit({ type: 'galleryChanged' });
      return;
  }
}
