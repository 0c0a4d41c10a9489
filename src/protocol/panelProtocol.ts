// Messages between the Generate Image webview and the extension host.
import type { InpaintArea, Outpaint, OutputSize, PixelArt, Recipe, SamplerName, Tiling } from './recipe';
import type { EngineToHost, TokenCount } from './engineProtocol';
import type { ModelFamily } from './modelFamily';
import type { Phase } from './phase';

export type SeedMode = 'random' | 'fixed' | 'last';

/** Everything the form holds; also what the webview persists with setState. */
export interface PanelSettings {
  modelDir: string;
  prompt: string;
  negativePrompt: string;
  width: number;
  height: number;
  steps: number;
  guidance: number;
  sampler: SamplerName;
  karras: boolean;
  seedMode: SeedMode;
  seed: number;
  batch: number;
  /** Image-to-image: the input picture's path; absent in text-to-image mode. */
  initImage?: string;
  /**
   * Image-to-image: how far to move away from the input, above 0 and at most 1. Kept while in
   * text-to-image mode, so the slider has the user's value when they come back.
   */
  strength: number;
  /**
   * Inpainting's strength, kept apart from image to image's: an edit repaints the mask from noise
   * by default (DEFAULT_INPAINT_STRENGTH), a redo of the whole picture keeps half of it.
   */
  inpaintStrength: number;
  /** AUTOMATIC1111's `(word:1.2)` weights and 77-token chunks for long prompts (on in the panel, off in diffusers). */
  promptWeighting: boolean;
  /**
   * An SDXL folder that takes the base's latents over at refinerStart; '' for none. Kept but
   * unused in image-to-image mode: the hand-off starts from noise.
   */
  refinerDir: string;
  /** The fraction of the schedule the base runs before the refiner takes over, in (0, 1). */
  refinerStart: number;
  /** The finished file's exact size, made after decoding; absent: the generated size. */
  output?: OutputSize;
  /** Palette reduction and nearest-neighbour downscale after the exact size; absent: off. */
  pixelArt?: PixelArt;
  /** A site's icon set (icon-*.png, favicon.ico, manifests) in a folder instead of one file. */
  iconSet?: boolean;
  /**
   * `@1x/@2x/@3x` files of the exact size, named `name.png`, `name@2x.png`…; absent: one file.
   * Not in the recipe: each file's recipe records its own size.
   */
  densities?: number[];
  /** Seamless tiles along these axes, or 'off'. */
  tiling: Tiling | 'off';
  /**
   * The background made transparent by the catalog's matting model, and whether the prompt
   * asks for an isolated subject; absent: an opaque image.
   */
  transparentBackground?: { isolateSubject: boolean };
  /**
   * Inpainting mode (with initImage): how the painted mask is used. Present only in that mode;
   * the mask itself travels with the generate message. Over the whole picture the size is the
   * picture's own plus the outpaint margins, since an edit keeps the picture as it is; with
   * inpaintArea 'masked' it is the size the crop around the mask is worked at (the model's by
   * default), and the file keeps the picture's size.
   */
  inpaint?: InpaintOptions;
}

/** The panel's inpainting options, the recipe's fields of the same names (src/protocol/recipe.ts). */
export interface InpaintOptions {
  /** Blur radius in pixels applied to the mask before use; 0 for none. */
  maskBlur: number;
  inpaintArea: InpaintArea;
  /** With inpaintArea 'masked': the margin kept around the mask's bounding box. */
  maskPadding: number;
  /** Pixels added on each side; all 0 for none. */
  outpaint: Outpaint;
  /**
   * A mask file to use instead of a painted one: Vary and Regenerate of an inpainted picture
   * take its recipe's mask. Set by the extension only; the panel sends the mask it painted.
   */
  maskFile?: string;
}

/**
 * The form values a model starts with: the engine's defaults for its family (its trained size,
 * its scheduler's sampler, Turbo's single step without guidance…), a catalog model's
 * recommended settings over them.
 */
export interface ModelDefaults {
  width: number;
  height: number;
  steps: number;
  guidance: number;
  sampler: SamplerName;
  /** With an input image the family may want other values: Turbo needs 2 steps to run one at strength 0.5. */
  imageToImage: { steps: number; guidance: number; strength: number };
}

export interface ModelChoice {
  dir: string;
  label: string;
  /** Why it cannot be used, when the folder does not load. */
  problem?: string;
  /** The fields below are absent when the folder does not load. */
  family?: ModelFamily;
  /** How the family is named to users, e.g. "SDXL Turbo" or "SD 2.x, v-prediction". */
  familyLabel?: string;
  /** Width and height must be multiples of this (the UNet's factor). */
  sizeMultiple?: number;
  defaults?: ModelDefaults;
}

/** The input picture of image-to-image mode, as the panel shows it. */
export interface InitImage {
  /** Absolute file system path; the same as PanelSettings.initImage. */
  path: string;
  /** A webview URI, or a data: URL of a thumbnail for a picture outside the workspace folders. */
  src: string;
  /** Path relative to the workspace folder, or the file name for a picture outside it. */
  label: string;
  /** The picture's own size, as displayed (after its EXIF orientation). */
  width: number;
  height: number;
}

export interface GalleryItem {
  /** Absolute file system path. */
  path: string;
  /** Path relative to the workspace folder, with `/`. */
  relativePath: string;
  /** A webview-safe URI for <img>. */
  src: string;
  recipe?: Recipe;
  modifiedMs: number;
}

export type QueueState = 'queued' | 'running';

export interface QueueItem {
  jobId: string;
  prompt: string;
  seed: number;
  state: QueueState;
}

export type GalleryAction =
  | 'open'
  | 'reveal'
  | 'copyPath'
  | 'insertMarkdown'
  | 'useAsInit'
  | 'vary'
  | 'reuse'
  | 'addToManifest'
  | 'inpaint'
  | 'delete';

export type PanelToHost =
  | { type: 'ready' }
  /**
   * mask: in inpainting mode, the painted mask as a base64 PNG at the input picture's size
   * (white repaints, black keeps); absent when nothing is painted (outpainting alone).
   */
  | { type: 'generate'; settings: PanelSettings; mask?: string }
  | { type: 'cancel' }
  | { type: 'countTokens'; requestId: number; modelDir: string; prompt: string; negativePrompt: string; weighting: boolean }
  | { type: 'pickModelFolder' }
  /** Pixel art's palette from a .hex or .gpl file: the host asks for the file and answers with paletteChosen. */
  | { type: 'pickPaletteFile' }
  | { type: 'galleryAction'; action: GalleryAction; path: string };

export type HostToPanel =
  | { type: 'init'; models: ModelChoice[]; defaults: PanelSettings; gallery: GalleryItem[]; lastSeed?: number }
  | { type: 'models'; models: ModelChoice[]; selected?: string }
  | { type: 'queue'; items: QueueItem[] }
  /** The engine's latest step of the job, with the phase it is in now. */
  | (Extract<EngineToHost, { type: 'progress' }> & { phase: Phase })
  | { type: 'preview'; jobId: string; dataUrl: string }
  | { type: 'jobDone'; jobId: string; item: GalleryItem }
  | { type: 'jobFailed'; jobId: string; message: string }
  | { type: 'jobCancelled'; jobId: string }
  | { type: 'gallery'; items: GalleryItem[] }
  /** weighting: the request's, so that counts are shown for what they are even if the checkbox changed since. */
  | { type: 'tokenCounts'; requestId: number; weighting: boolean; prompt: TokenCount[]; negativePrompt: TokenCount[] }
  /** Settings to put into the form; text-to-image, so image-to-image mode ends. */
  | { type: 'applySettings'; settings: Partial<PanelSettings> }
  /**
   * Image-to-image mode with this input. Without width and height in `settings`, the size
   * becomes the picture's own, fitted to the chosen model's multiple. `inpaint`: inpainting
   * mode instead, with the mask painter on the picture, holding `mask` (a data: URL of a
   * recipe's mask file) when there is one.
   */
  | { type: 'imageToImage'; image: InitImage; settings: Partial<PanelSettings>; inpaint?: boolean; mask?: string }
  /** The colours of the palette file the user chose, `#rrggbb` in the file's order. */
  | { type: 'paletteChosen'; colors: string[] }
  /** A request refused outside any job (bad form, model folder, file action). */
  | { type: 'error'; message: string };
