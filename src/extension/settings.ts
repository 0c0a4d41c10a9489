import * as vscode from 'vscode';
import type { EngineConfig, OutputFormat } from '../protocol/engineProtocol';
import { defaultModelsDir } from '../engine/models/modelStore';
import type { ProviderChoice } from '../protocol/providerChoice';
import { DEFAULT_TEMPLATE } from './outputFiles';

export const SECTION = 'sdxlAssets';

export interface ExtensionSettings {
  modelFolders: string[];
  defaultModel: string;
  /** Where downloads go and model folders are looked for; the CLI's default when empty. */
  modelsDirectory: string;
  outputDirectory: string;
  fileNameTemplate: string;
  outputFormat: OutputFormat;
  executionProvider: ProviderChoice;
  keepModelLoadedMinutes: number;
  embedRecipe: boolean;
  lowMemory: boolean;
}

/** `scope`: a file whose workspace folder's settings apply, in a multi-root workspace. */
export function readSettings(scope?: vscode.Uri): ExtensionSettings {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return {
    modelFolders: config.get<string[]>('modelFolders', []).filter((folder) => folder.trim() !== ''),
    defaultModel: config.get<string>('defaultModel', ''),
    modelsDirectory: config.get<string>('modelsDirectory', '').trim() || defaultModelsDir(),
    outputDirectory: config.get<string>('outputDirectory', 'assets/generated'),
    fileNameTemplate: config.get<string>('fileNameTemplate', DEFAULT_TEMPLATE),
    outputFormat: config.get<OutputFormat>('outputFormat', 'png'),
    executionProvider: config.get<ProviderChoice>('executionProvider', 'auto'),
    keepModelLoadedMinutes: config.get<number>('keepModelLoadedMinutes', 10),
    embedRecipe: config.get<boolean>('embedRecipe', true),
    lowMemory: config.get<boolean>('lowMemory', false),
  };
}

export function engineConfig(settings: ExtensionSettings): EngineConfig {
  return {
    provider: settings.executionProvider,
    lowMemory: settings.lowMemory,
    idleUnloadMs: Math.max(0, settings.keepModelLoadedMinutes) * 60_000,
    previewEvery: 1,
  };
}

/** A model just downloaded becomes the default when there is none; it is found without being listed. */
export async function setDefaultModelIfUnset(dir: string): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  if (!config.get<string>('defaultModel')) {
    await config.update('defaultModel', dir, vscode.ConfigurationTarget.Global);
  }
}

/** Adds a model folder to the user's settings and makes it the default when there is none. */
export async function addModelFolder(dir: string): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const folders = config.get<string[]>('modelFolders', []);
  if (!folders.includes(dir)) {
    await config.update('modelFolders', [...folders, dir], vscode.ConfigurationTarget.Global);
  }
  if (!config.get<string>('defaultModel')) {
    await config.update('defaultModel', dir, vscode.ConfigurationTarget.Global);
  }
}
