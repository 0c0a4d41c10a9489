import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { MANIFEST_FILE } from '../../engine/manifest/manifest';
import { ADD_TO_MANIFEST_COMMAND, GENERATE_COMMAND } from '../commandIds';
import type { GenerationBackend } from '../generationBackend';
import { settingsSummary } from '../jobs/settingsSummary';
import { generateWithProgress } from '../progressNotification';
import { type CursorLines, placedImageLink } from './linkPlacement';
import type { MarkdownImageInserter } from './markdownImageInserter';
import { offsetAfterChanges } from './trackedOffset';

/** Long prompts are cut in the notification's title, which has one line. */
const TITLE_PROMPT_LENGTH = 40;

/**
 * Generate Image Here: asks for a description, makes the picture with the panel's last
 * settings, and links it where the cursor was when the command ran. The user may go on
 * editing meanwhile; the position follows their edits and the link never replaces their text.
 */
export async function generateImageHere(backend: GenerationBackend, inserter: MarkdownImageInserter): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (editor?.document.languageId !== 'markdown') {
    void vscode.window.showInformationMessage('Put the cursor in a Markdown file where the image should go.');
    return;
  }
  const document = editor.document;
  const workspaceFolders = vscode.workspace.workspaceFolders ?? [];
  if (document.isUntitled && workspaceFolders.length === 0) {
    void vscode.window.showInformationMessage('Save the Markdown file first: the image goes next to it.');
    return;
  }
  let offset = document.offsetAt(editor.selection.active);
  const tracking = vscode.workspace.onDidChangeTextDocument((event) => {
    if (event.document === document) offset = offsetAfterChanges(offset, event.contentChanges);
  });
  try {
    const settings = await backend.lastSettings();
    if (!settings.modelDir) {
      const open = await vscode.window.showErrorMessage('Set up a model first: choose a model folder in the Generate Image panel.', 'Open Panel');
      if (open) await vscode.commands.executeCommand(GENERATE_COMMAND);
      return;
    }
    const model = (await backend.models()).find((m) => m.dir === settings.modelDir);
    const description = await vscode.window.showInputBox({
      title: 'Generate Image Here',
      prompt: `Describe the image. ${settingsSummary(settings, model?.label ?? basename(settings.modelDir))} (the panel's last settings)`,
      placeHolder: 'e.g. a lighthouse on a cliff at dawn, watercolor',
      ignoreFocusOut: true,
      validateInput: (value) => (value.trim() === '' ? 'Describe what the image should show.' : undefined),
    });
    if (description === undefined) return;
    const prompt = description.trim();
    // Images go into the document's own workspace folder, or next to a file outside any folder.
    const root =
      vscode.workspace.getWorkspaceFolder(document.uri)?.uri.fsPath ??
      (workspaceFolders.length === 0 ? dirname(document.uri.fsPath) : undefined);
    const file = await generateWithProgress(backend, { ...settings, prompt }, `Generating “${shortened(prompt)}”`, root);
    if (!file) return;
    if (document.isClosed) {
      void vscode.window.showInformationMessage(`Wrote ${file.relativePath}; ${basename(document.uri.fsPath)} was closed, so no link was inserted.`);
      return;
    }
    const link = await inserter.linkFor(document, file.path, prompt);
    const position = document.positionAt(offset);
    const text = placedImageLink(link, cursorLines(document, position), document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n');
    // An edit like the user's own: the document stays unsaved until they save it.
    const edit = new vscode.WorkspaceEdit();
    edit.insert(document.uri, position, text);
    if (!(await vscode.workspace.applyEdit(edit))) {
      throw new Error(`Could not insert the link to ${file.relativePath} into ${basename(document.uri.fsPath)}.`);
    }
    await focusIfStillActive(document);
    void offerToRecord(file.path, file.relativePath);
  } catch (error) {
    void vscode.window.showErrorMessage(error instanceof Error ? error.message : String(error));
  } finally {
    tracking.dispose();
  }
}

/** A picture linked from a document is worth declaring: the offer records it in the manifest, where builds and CI see it. */
async function offerToRecord(path: string, relativePath: string): Promise<void> {
  const choice = await vscode.window.showInformationMessage(`Record ${relativePath} in ${MANIFEST_FILE}, so a build can make it again?`, 'Add to Manifest');
  if (choice) await vscode.commands.executeCommand(ADD_TO_MANIFEST_COMMAND, path);
}

function cursorLines(document: vscode.TextDocument, position: vscode.Position): CursorLines {
  const { line } = position;
  return {
    line: document.lineAt(line).text,
    column: position.character,
    ...(line > 0 ? { previous: document.lineAt(line - 1).text } : {}),
    ...(line + 1 < document.lineCount ? { next: document.lineAt(line + 1).text } : {}),
  };
}

/**
 * The input box and the progress notification held the focus; the editor the command started
 * in gets it back, so that the new link's hover shows without a click. An editor the user has
 * moved to meanwhile keeps it.
 */
async function focusIfStillActive(document: vscode.TextDocument): Promise<void> {
  const active = vscode.window.activeTextEditor;
  if (active?.document !== document) return;
  await vscode.window.showTextDocument(document, { viewColumn: active.viewColumn, preserveFocus: false });
}

function shortened(text: string): string {
  return text.length > TITLE_PROMPT_LENGTH ? `${text.slice(0, TITLE_PROMPT_LENGTH - 1)}…` : text;
}
