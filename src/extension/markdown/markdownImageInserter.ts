import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { outputFolder } from '../outputFiles';
import { readSettings } from '../settings';
import { copyImageInto } from './imageCopy';
import { linkableInPlace, markdownImageLink } from './markdownLink';

const isMarkdown = (document: vscode.TextDocument | undefined): document is vscode.TextDocument =>
  document?.languageId === 'markdown';

/**
 * Puts image links into Markdown documents. It remembers the last Markdown editor the user
 * was in, because clicking in the panel moves focus away from it.
 */
export class MarkdownImageInserter implements vscode.Disposable {
  private lastDocument: vscode.TextDocument | undefined;
  private readonly subscription: vscode.Disposable;

  constructor() {
    const active = vscode.window.activeTextEditor?.document;
    if (isMarkdown(active)) this.lastDocument = active;
    this.subscription = vscode.window.onDidChangeActiveTextEditor((editor) => {
      if (isMarkdown(editor?.document)) this.lastDocument = editor.document;
    });
  }

  /**
   * Inserts the link at the cursor of the last active Markdown editor, or of one the user
   * picks. A selection is kept, not replaced: the click happened far from the editor.
   */
  async insertAtCursor(imagePath: string, alt: string): Promise<void> {
    const editor = await this.targetEditor();
    if (!editor) return;
    const link = await this.linkFor(editor.document, imagePath, alt);
    const done = await editor.edit((edit) => edit.insert(editor.selection.active, link));
    if (!done) throw new Error(`Could not insert the link into ${vscode.workspace.asRelativePath(editor.document.uri)}.`);
  }

  /**
   * `![alt](path)` for `document`, relative to its folder. An image outside the workspace
   * folders, or not reachable by a relative path, is copied into the output directory of the
   * document's workspace folder first; the original stays as it is.
   */
  async linkFor(document: vscode.TextDocument, imagePath: string, alt: string): Promise<string> {
    const folders = (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath);
    const ownFolder = vscode.workspace.getWorkspaceFolder(document.uri)?.uri.fsPath;
    // An untitled document has no folder yet; its links are written as if it were at the workspace root.
    const documentDir = document.uri.scheme === 'file' ? dirname(document.uri.fsPath) : (ownFolder ?? folders[0]);
    if (documentDir === undefined) throw new Error('Save the Markdown file first: its links need a folder to start from.');
    const base = ownFolder ?? documentDir;
    const target = linkableInPlace(documentDir, imagePath, folders.length > 0 ? folders : [base])
      ? imagePath
      : await copyImageInto(outputFolder(base, readSettings(document.uri).outputDirectory), imagePath);
    const link = markdownImageLink(documentDir, target, alt);
    if (link === undefined) throw new Error(`No relative path leads from ${documentDir} to ${target}.`);
    return link;
  }

  dispose(): void {
    this.subscription.dispose();
  }

  private async targetEditor(): Promise<vscode.TextEditor | undefined> {
    const remembered = this.lastDocument && !this.lastDocument.isClosed ? this.lastDocument : undefined;
    const document = remembered ?? (await this.pickDocument());
    if (!document) return undefined;
    // A visible editor keeps its cursor and the focus stays in the panel; a hidden one is brought back.
    return vscode.window.visibleTextEditors.find((e) => e.document === document) ?? vscode.window.showTextDocument(document);
  }

  private async pickDocument(): Promise<vscode.TextDocument | undefined> {
    const documents = vscode.workspace.textDocuments.filter((d) => isMarkdown(d) && !d.isClosed);
    if (documents.length === 0) {
      void vscode.window.showInformationMessage('Open a Markdown file to insert the image into.');
      return undefined;
    }
    if (documents.length === 1) return documents[0];
    const picked = await vscode.window.showQuickPick(
      documents.map((document) => ({ label: vscode.workspace.asRelativePath(document.uri), document })),
      { title: 'Insert the image into which Markdown file?' },
    );
    return picked?.document;
  }
}
