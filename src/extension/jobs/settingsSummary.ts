import type { PanelSettings } from '../../protocol/panelProtocol';

/** The settings a quick generation will use, in one line: "sdxl-base · 1024×1024 · 30 steps · euler · guidance 5 · random seed". */
export function settingsSummary(settings: PanelSettings, modelLabel: string): string {
  const seed =
    settings.seedMode === 'fixed' ? `seed ${settings.seed}` : settings.seedMode === 'last' ? 'last seed' : 'random seed';
  return [
    modelLabel,
    `${settings.width}×${settings.height}`,
    `${settings.steps} steps`,
    settings.karras ? `${settings.sampler} Karras` : settings.sampler,
    `guidance ${settings.guidance}`,
    seed,
  ].join(' · ');
}
