import { basename } from 'node:path';
import { usesRefiner } from './jobSettings';
import type { PanelSettings } from '../../protocol/panelProtocol';

/** The settings a quick generation will use, in one line: "sdxl-base · 1024×1024 · 30 steps · euler · guidance 5 · random seed". */
export function settingsSummary(settings: PanelSettings, modelLabel: string): string {
  const seed =
    settings.seedMode === 'fixed' ? `seed ${settings.seed}` : settings.seedMode === 'last' ? 'last seed' : 'random seed';
  // Generate Image Here runs from this line alone, so it names what changes the image beyond the numbers.
  const refiner = usesRefiner(settings) ? [`refiner ${basename(settings.refinerDir)} from ${settings.refinerStart}`] : [];
  return [
    modelLabel,
    ...refiner,
    `${settings.width}×${settings.height}`,
    `${settings.steps} steps`,
    settings.karras ? `${settings.sampler} Karras` : settings.sampler,
    `guidance ${settings.guidance}`,
    seed,
    ...(settings.promptWeighting ? ['prompt weighting'] : []),
    ...(settings.output ? [`to ${settings.output.width}×${settings.output.height} ${settings.output.fit}`] : []),
    ...(settings.pixelArt ? [`pixel art ÷${settings.pixelArt.factor}`] : []),
    ...(settings.iconSet ? ['icon set'] : []),
    ...(settings.transparentBackground ? ['transparent background'] : []),
    ...(settings.tiling !== 'off' ? [`seamless ${settings.tiling === 'both' ? 'tiles' : settings.tiling}`] : []),
  ].join(' · ');
}
