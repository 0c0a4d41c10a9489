import type { InitImage } from '../src/protocol/panelProtocol';
import type { MaskState, PanelState } from './panelState';
import { initialPanelState } from './panelState';

/**
 * What survives a tab switch or reload through the webview's getState/setState. Previews are
 * left out (large data URLs, stale by the time the page is back), and so are the queue and
 * progress, which the host re-sends after `init`.
 */
export interface PersistedPanelState {
  version: 1;
  settings: PanelState['settings'];
  customSize: boolean;
  models: PanelState['models'];
  gallery: PanelState['gallery'];
  lastSeed?: number;
  error?: string;
  tokens: PanelState['tokens'];
  initImage?: PanelState['initImage'];
  /** Inpainting's mask, as run lengths when it is small enough (see maskCodec.ts). */
  mask?: MaskState;
}

export function persistPanelState(state: PanelState): PersistedPanelState | undefined {
  if (!state.settingsKnown) return undefined;
  const { settings, customSize, models, gallery, lastSeed, error, tokens, initImage, mask } = state;
  return { version: 1, settings, customSize, models, gallery, lastSeed, error, tokens, initImage, mask };
}

/**
 * The state to start from; anything unrecognised (another version of the panel) starts fresh.
 * Settings saved before a field existed take the field's placeholder, which `init` then keeps.
 */
export function restorePanelState(saved: unknown): PanelState {
  const fresh = initialPanelState();
  if (!isPersisted(saved)) return fresh;
  // Image-to-image mode comes back only together with the picture it shows; else the form is text-to-image.
  const { initImage: initPath, inpaint, ...textToImage } = saved.settings;
  const initImage = isInitImage(saved.initImage) && saved.initImage.path === initPath ? saved.initImage : undefined;
  const mask = initImage && isMaskState(saved.mask) && saved.mask.path === initImage.path ? saved.mask : undefined;
  return {
    ...fresh,
    settingsKnown: true,
    settings: {
      ...fresh.settings,
      ...textToImage,
      ...(initImage ? { initImage: initImage.path } : {}),
      ...(initImage && inpaint ? { inpaint } : {}),
    },
    initImage,
    mask,
    customSize: saved.customSize === true,
    models: Array.isArray(saved.models) ? saved.models : [],
    gallery: Array.isArray(saved.gallery) ? saved.gallery : [],
    lastSeed: typeof saved.lastSeed === 'number' ? saved.lastSeed : undefined,
    error: typeof saved.error === 'string' ? saved.error : undefined,
    // Counts saved before they said how they were made were counted without weighting.
    tokens: { ...fresh.tokens, ...saved.tokens },
  };
}

function isPersisted(value: unknown): value is PersistedPanelState {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<PersistedPanelState>;
  return candidate.version === 1 && typeof candidate.settings === 'object' && candidate.settings !== null;
}

function isMaskState(value: unknown): value is MaskState {
  if (typeof value !== 'object' || value === null) return false;
  const { path, painted } = value as Partial<MaskState>;
  return typeof path === 'string' && typeof painted === 'boolean';
}

function isInitImage(value: unknown): value is InitImage {
  if (typeof value !== 'object' || value === null) return false;
  const { path, src, label, width, height } = value as Partial<InitImage>;
  return [path, src, label].every((v) => typeof v === 'string') && [width, height].every((v) => typeof v === 'number');
}
