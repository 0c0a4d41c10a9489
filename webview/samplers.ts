import { samplerSupportsKarras } from '../src/protocol/karras';
import type { SamplerName } from '../src/protocol/recipe';
import type { PanelSettings } from '../src/protocol/panelProtocol';

/** A Record, so a sampler added to the engine fails the type check here until it has a label. */
export const SAMPLER_LABELS: Record<SamplerName, string> = {
  euler: 'Euler',
  'euler-a': 'Euler ancestral',
  ddim: 'DDIM',
  'dpmpp-2m': 'DPM++ 2M',
  lcm: 'LCM',
  pndm: 'PNDM (PLMS)',
};

export const SAMPLER_NAMES = Object.keys(SAMPLER_LABELS) as SamplerName[];

export function isSamplerName(value: string): value is SamplerName {
  return Object.prototype.hasOwnProperty.call(SAMPLER_LABELS, value);
}

/**
 * The settings a Generate click sends. Karras stays ticked in the form when someone tries
 * another sampler, but it must not reach a recipe whose sampler never used it.
 */
export function settingsToGenerate(settings: PanelSettings): PanelSettings {
  return samplerSupportsKarras(settings.sampler) ? settings : { ...settings, karras: false };
}
