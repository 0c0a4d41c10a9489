import { loadCatalog } from '../../engine/models/catalog';
import { discoverModels } from '../../engine/models/discovery';
import { hfHubDir } from '../../engine/models/hfCache';
import type { ModelChoice } from '../../protocol/panelProtocol';
import { readSettings } from '../settings';
import { modelChoices } from './modelChoices';

/** The folders the settings name, then those found in the models directory and the Hugging Face cache. */
export function listModels(): ModelChoice[] {
  const settings = readSettings();
  const configured = [settings.defaultModel, ...settings.modelFolders].filter((d) => d);
  const catalog = loadCatalog();
  const discovered = discoverModels({ catalog, modelsDir: settings.modelsDirectory, hubDir: hfHubDir() });
  return modelChoices(configured, discovered, catalog);
}
