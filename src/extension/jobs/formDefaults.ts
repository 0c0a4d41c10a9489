import { DEFAULT_INPAINT_STRENGTH } from '../../protocol/inpaintStrength';
import { DEFAULT_REFINER_START } from '../../protocol/refiner';
import { drawsFromPrompt } from '../../protocol/modelFamily';
import type { ModelChoice, PanelSettings } from '../../protocol/panelProtocol';

/** Form values while no model loads: SDXL base's, which the first model found replaces. */
const NO_MODEL = { width: 1024, height: 1024, steps: 30, guidance: 5, sampler: 'euler', strength: 0.5 } as const;

/**
 * The form of a first open: the configured default model if it loads, else the first one that
 * can draw from a prompt (a refiner cannot), with that model's own settings. Prompt weighting
 * is on, unlike the engine's default, since the panel shows the chunks it makes.
 */
export function formDefaults(models: readonly ModelChoice[], defaultModel: string): PanelSettings {
  const usable = models.filter((m) => !m.problem);
  const model =
    usable.find((m) => m.dir === defaultModel) ?? usable.find((m) => drawsFromPrompt(m.family)) ?? usable[0];
  const values = model?.defaults;
  return {
    modelDir: model?.dir ?? '',
    prompt: '',
    negativePrompt: '',
    width: values?.width ?? NO_MODEL.width,
    height: values?.height ?? NO_MODEL.height,
    steps: values?.steps ?? NO_MODEL.steps,
    guidance: values?.guidance ?? NO_MODEL.guidance,
    sampler: values?.sampler ?? NO_MODEL.sampler,
    karras: false,
    seedMode: 'random',
    seed: 0,
    batch: 1,
    strength: values?.imageToImage.strength ?? NO_MODEL.strength,
    inpaintStrength: DEFAULT_INPAINT_STRENGTH,
    promptWeighting: true,
    refinerDir: '',
    refinerStart: DEFAULT_REFINER_START,
    tiling: 'off',
  };
}
