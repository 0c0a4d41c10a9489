import type { ModelChoice } from '../src/protocol/panelProtocol';

/** A model's name with its family, as the selects list it: "my-model — SDXL Turbo". */
export function modelLabel(model: ModelChoice): string {
  return model.familyLabel ? `${model.label} — ${model.familyLabel}` : model.label;
}
