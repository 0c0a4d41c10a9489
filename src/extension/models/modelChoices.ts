import { basename, resolve } from 'node:path';
import type { CatalogEntry } from '../../engine/models/catalog';
import { catalogEntryForFolder, type DiscoveredModel } from '../../engine/models/discovery';
import { familyLabel, readModelFolder, sizeMultiple } from '../../engine/models/modelFolder';
import type { ModelChoice } from '../../protocol/panelProtocol';
import { modelDefaults } from './modelDefaults';

/**
 * The model picker's list: the folders the settings name (with the reason when one does not
 * load, so the user can fix it), then the folders found in the models directory and the
 * Hugging Face cache that the settings do not name already. Each carries its family and the
 * form values it starts with.
 */
export function modelChoices(
  configured: readonly string[],
  discovered: readonly DiscoveredModel[],
  catalog: readonly CatalogEntry[],
): ModelChoice[] {
  const seen = new Set<string>();
  const choices: ModelChoice[] = [];
  const candidates = [...configured.map((dir) => ({ dir, entry: catalogEntryForFolder(dir, catalog) })), ...discovered];
  for (const { dir, entry } of candidates) {
    const key = resolve(dir);
    if (seen.has(key)) continue;
    seen.add(key);
    choices.push(choiceFor(dir, entry));
  }
  return choices;
}

function choiceFor(dir: string, entry: CatalogEntry | undefined): ModelChoice {
  try {
    const model = readModelFolder(dir);
    return {
      dir,
      label: model.name,
      family: model.family,
      familyLabel: familyLabel(model.details),
      sizeMultiple: sizeMultiple(model),
      defaults: modelDefaults(model, entry?.recommended),
    };
  } catch (error) {
    return { dir, label: basename(dir), problem: (error as Error).message };
  }
}
