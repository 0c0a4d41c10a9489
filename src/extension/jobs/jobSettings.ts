import type { JobRequest } from '../../protocol/engineProtocol';
import type { PanelSettings } from '../../protocol/panelProtocol';

/** What the engine gets for one image of the form; the strength only goes along with an input image. */
export function jobSettings(form: PanelSettings, seed: number): JobRequest['settings'] {
  return {
    prompt: form.prompt,
    negativePrompt: form.negativePrompt.trim() === '' ? null : form.negativePrompt,
    width: form.width,
    height: form.height,
    steps: form.steps,
    guidance: form.guidance,
    sampler: form.sampler,
    karras: form.karras,
    seed,
    ...(form.initImage !== undefined ? { initImage: form.initImage, strength: form.strength } : {}),
  };
}
