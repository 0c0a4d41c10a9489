import { denoisingSteps } from '../src/protocol/denoisingSteps';
import { drawsFromPrompt } from '../src/protocol/modelFamily';
import { modeStrength } from './imageToImage';
import { inpaintBlocker, workingSizeShown } from './inpaintOptions';
import type { NumberFieldName } from './numberFields';
import type { PanelState } from './panelState';

export const NUMBER_FIELD_LABELS: Record<NumberFieldName, string> = {
  width: 'Width',
  height: 'Height',
  steps: 'Steps',
  guidance: 'Guidance',
  seed: 'Seed',
  batch: 'Batch count',
};

export const REFINER_NEEDS_AN_IMAGE =
  'The SDXL refiner refines an existing image: right-click an image → Image to Image…, or choose it as the refiner of an SDXL base.';

/** Why Generate cannot run now, in a sentence for the button's hint; undefined when it can. */
export function generateBlocker(state: PanelState): string | undefined {
  if (!state.settingsKnown) return 'Connecting to the extension…';
  if (state.models.length === 0) return 'Set up a model first: choose a model folder.';
  const model = state.models.find((m) => m.dir === state.settings.modelDir);
  if (!model) return 'Choose a model.';
  if (model.problem) return `This model folder cannot be used: ${model.problem}`;
  if (!drawsFromPrompt(model.family) && state.settings.initImage === undefined) return REFINER_NEEDS_AN_IMAGE;
  const invalid = relevantInvalidFields(state);
  if (invalid.length > 0) return `Check ${invalid.map((f) => NUMBER_FIELD_LABELS[f].toLowerCase()).join(', ')}.`;
  const { initImage, steps } = state.settings;
  if (initImage !== undefined && denoisingSteps(steps, modeStrength(state.settings)) < 1) {
    return 'No step would run: raise the strength or the steps (steps × strength must reach 1).';
  }
  if (state.initImage) return inpaintBlocker(state.settings, state.initImage, model, state.mask?.painted === true);
  return undefined;
}

/** A bad seed or custom size does not matter while the seed mode or a size preset overrides it. */
function relevantInvalidFields(state: PanelState): NumberFieldName[] {
  return state.invalidFields.filter((field) => {
    if (field === 'seed') return state.settings.seedMode === 'fixed';
    // Inpainting the whole picture works at its size, not the fields'; only masked works at theirs.
    if (field === 'width' || field === 'height') return workingSizeShown(state.settings) || (state.customSize && state.settings.inpaint === undefined);
    return true;
  });
}
