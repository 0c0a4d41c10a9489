import * as vscode from 'vscode';
import type { GenerationBackend } from './generationBackend';
import { isImagePath } from './imageFiles';
import { GeneratePanel } from './panel/generatePanel';

const MODE_NAMES = { imageToImage: 'Image to Image', inpaint: 'Inpaint' } as const;

/**
 * Image to Image… and Inpaint…: the panel in that mode with the picture the Explorer's context
 * menu, the gallery or an image preview's title bar gave, or from the palette, the picture open
 * in the active editor tab.
 */
export async function imageToImageCommand(
  context: vscode.ExtensionContext,
  backend: GenerationBackend,
  uri: unknown,
  mode: keyof typeof MODE_NAMES = 'imageToImage',
): Promise<void> {
  const target = uri instanceof vscode.Uri ? uri : activeTabUri();
  if (!target || target.scheme !== 'file' || !isImagePath(target.fsPath)) {
    void vscode.window.showInformationMessage(
      `${MODE_NAMES[mode]} works on PNG, JPEG and WebP files: right-click one in the Explorer, or open it and run the command again.`,
    );
    return;
  }
  try {
    const event = mode === 'inpaint' ? await backend.inpaint(target.fsPath) : await backend.imageToImage(target.fsPath);
    GeneratePanel.createOrShow(context, backend).deliver(event);
  } catch (error) {
    void vscode.window.showErrorMessage(error instanceof Error ? error.message : String(error));
  }
}

/** Pictures open in VS Code's image preview, a custom editor, so there is no active text editor to ask. */
function activeTabUri(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText ? input.uri : undefined;
}
