import type { TokenCount } from '../src/protocol/engineProtocol';
import { drawsFromPrompt } from '../src/protocol/modelFamily';
import type { GalleryItem, HostToPanel, InitImage, ModelChoice, PanelSettings, QueueItem } from '../src/protocol/panelProtocol';
import { DEFAULT_INPAINT_STRENGTH } from '../src/protocol/inpaintStrength';
import { DEFAULT_REFINER_START } from '../src/protocol/refiner';
import type { InpaintArea, Tiling } from '../src/protocol/recipe';
import { withPalette } from './finishSettings';
import { fittedSize } from './imageToImage';
import { DEFAULT_INPAINT_OPTIONS, inpaintSize, withInpaint } from './inpaintOptions';
import type { SavedMask } from './maskPainter/maskCodec';
import { modelSize, withModeDefaults, withModel } from './modelSettings';
import type { NumberFieldName } from './numberFields';
import type { ProgressInfo } from './progressText';
import { withUsableRefiner } from './refiner';
import { CUSTOM_SIZE, sizePresetValue, type Size } from './sizePresets';

export interface TokenCounts {
  prompt: TokenCount[];
  negativePrompt: TokenCount[];
  /** Whether these were counted in prompt-weighting chunks. */
  weighting: boolean;
}

/** Everything the panel shows. The host is the source of truth for all but the form. */
export interface PanelState {
  /** False only in a fresh panel before `init`: the form then holds placeholders. */
  settingsKnown: boolean;
  settings: PanelSettings;
  /**
   * What the user typed into the placeholders before `init`, which `init` lays over the host's
   * defaults: the form is there at once, and the host may take a moment to read the model folders.
   */
  typedBeforeInit?: Partial<PanelSettings>;
  /** "Custom" was picked, which must show the size fields even when they match a preset. */
  customSize: boolean;
  models: ModelChoice[];
  queue: QueueItem[];
  /** Newest first. */
  gallery: GalleryItem[];
  lastSeed?: number;
  progress?: ProgressInfo;
  /** The running job's latest preview, then its finished image with the axes it tiles along and whether it has a transparent background. */
  preview?: { jobId: string; src: string; tiling?: Tiling; transparent?: boolean };
  error?: string;
  tokens: TokenCounts;
  /** The newest countTokens request; answers to older ones are stale. */
  tokenRequestId: number;
  /** Number fields holding text the engine would refuse; settings keep their last good value. */
  invalidFields: NumberFieldName[];
  /** Image-to-image mode's input, shown above the prompt; its path is settings.initImage. */
  initImage?: InitImage;
  /** Inpainting: what the painter holds for the picture at `path` (the bitmap itself lives in the painter). */
  mask?: MaskState;
  /** Inpainting: the latest result next to the picture it edited. */
  comparison?: { before: InitImage; after: GalleryItem };
}

export interface MaskState {
  path: string;
  /** Whether any pixel would be repainted. */
  painted: boolean;
  /** The mask for the webview's saved state; absent when it is too large to keep there. */
  saved?: SavedMask;
  /** A mask image (data: URL) for the painter to start from: a recipe's, when its settings are reused. */
  load?: string;
}

/** What the webview itself decides, next to what the host tells it. */
export type LocalAction =
  | { type: 'edit'; settings: Partial<PanelSettings> }
  | { type: 'customSize'; custom: boolean }
  /** A number field's text: its value when the engine would accept it, else undefined. */
  | { type: 'numberField'; field: NumberFieldName; value: number | undefined }
  | { type: 'generateRequested' }
  | { type: 'dismissError' }
  /** Back to text-to-image: the input picture is dropped, the rest of the form stays. */
  | { type: 'leaveImageToImage' }
  /** From inpainting to image to image with the same picture. */
  | { type: 'leaveInpaint' }
  /** Inpainting over the whole picture or only around the mask, which brings its own size. */
  | { type: 'inpaintArea'; area: InpaintArea }
  /** The painter's mask changed (a stroke ended, undo, invert, clear…). */
  | { type: 'maskChanged'; painted: boolean; saved?: SavedMask }
  | { type: 'tokenCountRequested'; requestId: number };

export type PanelAction = HostToPanel | LocalAction;

/** Shown for the moment between a fresh panel opening and the host's `init`. */
export const PLACEHOLDER_SETTINGS: PanelSettings = {
  modelDir: '',
  prompt: '',
  negativePrompt: '',
  width: 1024,
  height: 1024,
  steps: 30,
  guidance: 5,
  sampler: 'euler',
  karras: false,
  seedMode: 'random',
  seed: 0,
  batch: 1,
  strength: 0.5,
  inpaintStrength: DEFAULT_INPAINT_STRENGTH,
  promptWeighting: true,
  refinerDir: '',
  refinerStart: DEFAULT_REFINER_START,
  tiling: 'off',
};

export function initialPanelState(): PanelState {
  return {
    settingsKnown: false,
    settings: PLACEHOLDER_SETTINGS,
    customSize: false,
    models: [],
    queue: [],
    gallery: [],
    tokens: { prompt: [], negativePrompt: [], weighting: false },
    tokenRequestId: 0,
    invalidFields: [],
  };
}

/**
 * Actions that replace what the form shows, rather than follow what the user typed: host
 * messages, and the model or mode changes that bring their own settings.
 */
export function rewritesForm(action: PanelAction): boolean {
  switch (action.type) {
    case 'init':
    case 'models':
    case 'applySettings':
    case 'imageToImage':
    case 'leaveImageToImage':
    case 'leaveInpaint':
    case 'inpaintArea':
      return true;
    case 'edit':
      return 'modelDir' in action.settings;
    default:
      return false;
  }
}

/** Whether the token counts may have changed: new text, another model's tokenizers, or weighting turned on or off. */
export function needsTokenCount(action: PanelAction): boolean {
  if (rewritesForm(action)) return true;
  if (action.type !== 'edit') return false;
  return ['prompt', 'negativePrompt', 'promptWeighting'].some((field) => field in action.settings);
}

/** Only these change what persistPanelState keeps; the rest would rewrite the same state on every step. */
export function changesPersistedState(action: PanelAction): boolean {
  return !['progress', 'preview', 'queue', 'tokenCountRequested'].includes(action.type);
}

/**
 * The next state. Whatever changed the form or the model list, a refiner the chosen model
 * cannot have, or one no longer offered, is dropped here once for every action.
 */
export function reducePanelState(state: PanelState, action: PanelAction): PanelState {
  const next = nextPanelState(state, action);
  if (next.settings === state.settings && next.models === state.models) return next;
  const settings = withInpaintSize(withUsableRefiner(next.settings, next.models), next.initImage);
  return settings === next.settings ? next : { ...next, settings };
}

/**
 * Inpainting the whole picture works at its size plus the margins whatever else changed (a model
 * switch fits sizes otherwise); only masked works at the size fields' size.
 */
function withInpaintSize(settings: PanelSettings, image: InitImage | undefined): PanelSettings {
  if (!settings.inpaint || settings.inpaint.inpaintArea === 'masked' || !image) return settings;
  const size = inpaintSize(image, settings.inpaint.outpaint);
  return size.width === settings.width && size.height === settings.height ? settings : { ...settings, ...size };
}

function nextPanelState(state: PanelState, action: PanelAction): PanelState {
  switch (action.type) {
    case 'init': {
      // A restored form wins over the defaults, so a reload keeps what was typed.
      const base = { ...action.defaults, ...(state.settingsKnown ? state.settings : state.typedBeforeInit) };
      const modelDir = chooseModel(action.models, base.modelDir, action.defaults.modelDir);
      const settings = modelDir === base.modelDir ? base : withModel(base, modelDir, action.models, state.initImage);
      const { typedBeforeInit: _typed, ...known } = state;
      return {
        ...known,
        settingsKnown: true,
        settings,
        customSize: isCustomSize(settings) || (state.settingsKnown && state.customSize),
        invalidFields: [],
        models: action.models,
        gallery: newestFirst(action.gallery),
        lastSeed: action.lastSeed,
        // The host re-sends the queue right after; anything older belongs to a previous page.
        queue: [],
        progress: undefined,
        preview: undefined,
      };
    }
    case 'models': {
      const modelDir = action.selected ?? chooseModel(action.models, state.settings.modelDir, '');
      if (modelDir === state.settings.modelDir) {
        return { ...state, models: action.models };
      }
      const settings = withModel(state.settings, modelDir, action.models, state.initImage);
      return { ...state, models: action.models, settings, customSize: isCustomSize(settings), invalidFields: [] };
    }
    case 'queue': {
      const stillRunning = action.items.some((i) => i.state === 'running' && i.jobId === state.progress?.jobId);
      return { ...state, queue: action.items, progress: stillRunning ? state.progress : undefined };
    }
    case 'progress': {
      const { type: _type, ...progress } = action;
      return { ...state, progress };
    }
    case 'preview':
      return { ...state, preview: { jobId: action.jobId, src: action.dataUrl } };
    case 'jobDone':
      return {
        ...state,
        comparison: editedPicture(state, action.item) ? { before: state.initImage!, after: action.item } : state.comparison,
        gallery: newestFirst([action.item, ...state.gallery.filter((g) => g.path !== action.item.path)]),
        lastSeed: action.item.recipe?.seed ?? state.lastSeed,
        preview: {
          jobId: action.jobId,
          src: action.item.src,
          ...(action.item.recipe?.tiling ? { tiling: action.item.recipe.tiling } : {}),
          ...(action.item.recipe?.background ? { transparent: true } : {}),
        },
        progress: withoutJob(state.progress, action.jobId),
      };
    case 'jobFailed':
      return {
        ...state,
        error: action.message,
        progress: withoutJob(state.progress, action.jobId),
        preview: withoutJob(state.preview, action.jobId),
      };
    case 'jobCancelled':
      return {
        ...state,
        progress: withoutJob(state.progress, action.jobId),
        preview: withoutJob(state.preview, action.jobId),
      };
    case 'gallery':
      return { ...state, gallery: newestFirst(action.items) };
    case 'error':
      return { ...state, error: action.message };
    case 'paletteChosen':
      return { ...state, settings: { ...state.settings, pixelArt: withPalette(state.settings.pixelArt, action.colors) } };
    case 'tokenCounts':
      if (action.requestId !== state.tokenRequestId) return state;
      return { ...state, tokens: { prompt: action.prompt, negativePrompt: action.negativePrompt, weighting: action.weighting } };
    case 'applySettings': {
      // The host sends text-to-image settings; an image-to-image recipe comes as `imageToImage`.
      const start =
        switchedModel(state, action.settings.modelDir) ??
        (state.initImage ? withModeDefaults(state.settings, state.models, false) : state.settings);
      // A recipe's finishing steps are its own: one without them leaves none of the form's behind.
      const { output: _output, pixelArt: _pixelArt, transparentBackground: _background, densities: _densities, ...unfinished } = start;
      const settings = withoutInitImage({ ...unfinished, ...action.settings });
      return { ...state, settings, initImage: undefined, customSize: isCustomSize(settings), invalidFields: [] };
    }
    case 'imageToImage': {
      if (action.inpaint) return inpaintMode(state, action);
      const start =
        switchedModel(state, action.settings.modelDir, action.image) ??
        (state.initImage ? state.settings : withModeDefaults(state.settings, state.models, true));
      const merged = { ...start, ...action.settings };
      const hasSize = action.settings.width !== undefined && action.settings.height !== undefined;
      const multiple = state.models.find((m) => m.dir === merged.modelDir)?.sizeMultiple;
      const size = hasSize ? {} : fittedSize(action.image, multiple);
      const { inpaint: _inpaint, ...imageToImage } = { ...merged, ...size, initImage: action.image.path };
      return { ...state, settings: imageToImage, initImage: action.image, customSize: isCustomSize(imageToImage), invalidFields: [] };
    }
    case 'leaveInpaint': {
      if (!state.initImage) return state;
      const { inpaint: _inpaint, ...imageToImage } = state.settings;
      const multiple = state.models.find((m) => m.dir === imageToImage.modelDir)?.sizeMultiple;
      const settings = { ...imageToImage, ...fittedSize(state.initImage, multiple) };
      return { ...state, settings, customSize: isCustomSize(settings), invalidFields: [] };
    }
    case 'inpaintArea': {
      const inpaint = state.settings.inpaint;
      if (!inpaint || !state.initImage || inpaint.inpaintArea === action.area) return state;
      const options = { ...inpaint, inpaintArea: action.area };
      const settings = withInpaint(state.settings, state.initImage, modelSize(state.settings, state.models), options);
      return { ...state, settings, invalidFields: [] };
    }
    case 'maskChanged':
      return state.mask ? { ...state, mask: { path: state.mask.path, painted: action.painted, saved: action.saved } } : state;
    case 'leaveImageToImage': {
      const settings = withModeDefaults(withoutInitImage(state.settings), state.models, false);
      return { ...state, settings, initImage: undefined, invalidFields: [] };
    }
    case 'edit': {
      const switched = switchedModel(state, action.settings.modelDir, state.initImage);
      if (switched) {
        const settings = { ...switched, ...action.settings };
        return typed({ ...state, settings, customSize: isCustomSize(settings), invalidFields: [] }, action.settings);
      }
      return typed({ ...state, settings: { ...state.settings, ...action.settings } }, action.settings);
    }
    case 'customSize':
      return { ...state, customSize: action.custom };
    case 'numberField': {
      const others = state.invalidFields.filter((f) => f !== action.field);
      if (action.value === undefined) return { ...state, invalidFields: [...others, action.field] };
      const settings = { [action.field]: action.value };
      return typed({ ...state, invalidFields: others, settings: { ...state.settings, ...settings } }, settings);
    }
    case 'generateRequested':
    case 'dismissError':
      return { ...state, error: undefined };
    case 'tokenCountRequested':
      return { ...state, tokenRequestId: action.requestId };
  }
}

/** Before `init`, also keeps what the user typed apart from the placeholders, for `init` to keep. */
function typed(next: PanelState, edit: Partial<PanelSettings>): PanelState {
  return next.settingsKnown ? next : { ...next, typedBeforeInit: { ...next.typedBeforeInit, ...edit } };
}

/**
 * The wanted model if it is still offered, else the fallback, else the first that loads and can
 * draw from a prompt (a refiner cannot), else the first.
 */
export function chooseModel(models: readonly ModelChoice[], wanted: string, fallback: string): string {
  const offered = (dir: string) => dir !== '' && models.some((m) => m.dir === dir);
  if (offered(wanted)) return wanted;
  if (offered(fallback)) return fallback;
  const loads = models.filter((m) => !m.problem);
  return (loads.find((m) => drawsFromPrompt(m.family)) ?? loads[0] ?? models[0])?.dir ?? '';
}

/** The form with another model's own settings, or undefined when `modelDir` is no change. */
function switchedModel(state: PanelState, modelDir: string | undefined, initImage?: Size): PanelSettings | undefined {
  if (modelDir === undefined || modelDir === state.settings.modelDir) return undefined;
  return withModel(state.settings, modelDir, state.models, initImage);
}

function withoutInitImage(settings: PanelSettings): PanelSettings {
  const { initImage: _initImage, inpaint: _inpaint, ...rest } = settings;
  return rest;
}

/**
 * Inpainting on the action's picture: image to image's model and step rules, a recipe's options
 * and mask when it brings them, else the mask kept when it is the same picture again. Over the
 * whole picture the size is the picture's own; only masked works at a recipe's size, else at the
 * size it had, else at the model's.
 */
function inpaintMode(state: PanelState, action: Extract<HostToPanel, { type: 'imageToImage' }>): PanelState {
  const { image, settings: prefill } = action;
  const start =
    switchedModel(state, prefill.modelDir, image) ??
    (state.initImage ? state.settings : withModeDefaults(state.settings, state.models, true));
  const { width: _width, height: _height, inpaint: recipeOptions, ...rest } = prefill;
  const samePicture = state.mask?.path === image.path;
  // Margins belong to the picture they were set for; the blur and area choices carry over.
  const kept = start.inpaint && !samePicture ? { ...start.inpaint, outpaint: DEFAULT_INPAINT_OPTIONS.outpaint } : start.inpaint;
  const options = recipeOptions ?? kept;
  const recipeSize = recipeOptions?.inpaintArea === 'masked' && prefill.width !== undefined && prefill.height !== undefined;
  const workingSize = recipeSize
    ? { width: prefill.width!, height: prefill.height! }
    : start.inpaint?.inpaintArea === 'masked'
      ? { width: start.width, height: start.height }
      : modelSize(start, state.models);
  const settings = withInpaint({ ...start, ...rest, initImage: image.path }, image, workingSize, options);
  const mask: MaskState =
    action.mask !== undefined
      ? { path: image.path, painted: true, load: action.mask }
      : samePicture
        ? state.mask!
        : { path: image.path, painted: false };
  return { ...state, settings, initImage: image, mask, comparison: undefined, customSize: isCustomSize(settings), invalidFields: [] };
}

/** Whether a finished image is an edit of the picture being inpainted now. */
function editedPicture(state: PanelState, item: GalleryItem): boolean {
  return state.settings.inpaint !== undefined && state.initImage !== undefined && item.recipe?.initImage === state.initImage.path;
}

function isCustomSize(settings: PanelSettings): boolean {
  return sizePresetValue(settings) === CUSTOM_SIZE;
}

function newestFirst(items: readonly GalleryItem[]): GalleryItem[] {
  return [...items].sort((a, b) => b.modifiedMs - a.modifiedMs);
}

function withoutJob<T extends { jobId: string }>(value: T | undefined, jobId: string): T | undefined {
  return value?.jobId === jobId ? undefined : value;
}
