import * as vscode from 'vscode';
import { hfToken } from '../../engine/models/hfCache';

const SECRET_KEY = 'sdxlAssets.huggingFaceToken';

/** The token for gated models: the one saved in VS Code's secret storage, else HF_TOKEN or `hf auth login`'s. */
export async function huggingFaceToken(context: vscode.ExtensionContext): Promise<string | undefined> {
  return (await context.secrets.get(SECRET_KEY)) ?? hfToken();
}

/** Asks for a token and keeps it in the OS keychain through SecretStorage; an empty answer removes it. */
export async function setHuggingFaceToken(context: vscode.ExtensionContext): Promise<void> {
  const token = await vscode.window.showInputBox({
    title: 'Hugging Face access token',
    prompt: 'A token with read access, from https://huggingface.co/settings/tokens. Leave empty to remove the saved one.',
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (/\s/.test(value.trim()) ? 'A token has no spaces.' : undefined),
  });
  if (token === undefined) return;
  if (token.trim() === '') {
    await context.secrets.delete(SECRET_KEY);
    void vscode.window.showInformationMessage('The saved Hugging Face token was removed.');
    return;
  }
  await context.secrets.store(SECRET_KEY, token.trim());
  void vscode.window.showInformationMessage('The Hugging Face token is saved; downloads of gated models will use it.');
}
