import { basename, resolve } from 'node:path';
import type { DiscoveredModel } from '../../engine/models/discovery';
import { readModelFolder, sizeMultiple } from '../../engine/models/modelFolder';
import type { ModelChoice } from '../../protocol/panelProtocol';

/**
 * The model picker's list: the folders the settings name (with the reason when one does not
 * load, so the user can fix it), then the folders found in the models directory and the
 * Hugging Face cache that the settings do not name already.
 */
export function modelChoices(configured: readonly string[], discovered: readonly DiscoveredModel[]): ModelChoice[] {
  const seen = new Set<string>();
  const choices: ModelChoice[] = [];
  for (const dir of [...configured, ...discovered.map((model) => model.dir)]) {
    const key = resolve(dir);
    if (seen.has(key)) continue;
    seen.add(key);
    choices.push(choiceFor(dir));
  }
  return choices;
}

function choiceFor(dir: string): ModelChoice {
  try {
    const model = readModelFolder(dir);
    return { dir, label: model.name, sizeMultiple: sizeMultiple(model) };
  } catch (error) {
    return { dir, label: basename(dir), problem: (error as Error).message };
  }
}
