import type { Event } from 'vscode';
import type { EngineToHost, TokenCount } from '../../protocol/engineProtocol';
import type { GalleryAction, InitImage, ModelChoice, PanelSettings, QueueItem } from '../../protocol/panelProtocol';
import type { Recipe } from '../../protocol/recipe';

/** A generated file as the backend knows it; the panel turns the path into a webview URI. */
export interface GalleryFile {
  path: string;
  relativePath: string;
  recipe?: Recipe;
  modifiedMs: number;
}

/** An image-to-image input as the backend knows it; the panel turns the path into something its page may load. */
export type InitImageFile = Omit<InitImage, 'src'>;

/** Events that fill in the form, and wait for the page's `init` when the panel is just opening. */
export type FormEvent =
  /** Text-to-image settings: Reuse settings, open a recipe in the panel. */
  | { type: 'applySettings'; settings: Partial<PanelSettings> }
  /**
   * Image-to-image with this input: from the Explorer, the gallery, or an image-to-image recipe.
   * `inpaint`: Inpaint… instead, with the mask painter starting from `maskPath` (an inpainting recipe's mask) if given.
   */
  | { type: 'imageToImage'; image: InitImageFile; settings: Partial<PanelSettings>; inpaint?: boolean; maskPath?: string };

type EngineMessage<T extends EngineToHost['type']> = Extract<EngineToHost, { type: T }>;

/** What the backend tells the panel and the progress displays; the engine's own events pass through as it sent them. */
export type BackendEvent =
  | { type: 'queue'; items: QueueItem[] }
  | EngineMessage<'phase' | 'progress'>
  /** The panel needs only the picture. */
  | Pick<EngineMessage<'preview'>, 'type' | 'jobId' | 'png'>
  | { type: 'jobDone'; jobId: string; file: GalleryFile }
  | { type: 'jobFailed'; jobId: string; message: string }
  | { type: 'jobCancelled'; jobId: string }
  | { type: 'galleryChanged' }
  /** `selected`: a folder the user just added, to select in the form. */
  | { type: 'modelsChanged'; selected?: string }
  | FormEvent;

/**
 * What the Generate Image panel needs from the rest of the extension. The panel owns the
 * webview; the backend owns the engine, the files and the settings.
 */
export interface PanelBackend {
  readonly onEvent: Event<BackendEvent>;
  models(): Promise<ModelChoice[]>;
  /** Form values for a first open: configured default model and its recommended settings. */
  defaults(): Promise<PanelSettings>;
  lastSeed(): number | undefined;
  /** The jobs now queued or running, for a page that opens mid-job. */
  queue(): QueueItem[];
  gallery(): Promise<GalleryFile[]>;
  /**
   * Queues `batch` jobs (seeds per the seed mode); resolves when they are queued. `mask`:
   * inpainting's painted mask, a base64 PNG at the picture's size.
   */
  generate(settings: PanelSettings, mask?: string): Promise<void>;
  /** Cancels the running job and empties the queue. */
  cancel(): void;
  countTokens(modelDir: string, texts: string[], weighting: boolean): Promise<TokenCount[][]>;
  /** Asks for a model folder, checks it, adds it to the settings; fires modelsChanged. */
  pickModelFolder(): Promise<void>;
  /** Asks for a palette file and reads its colours; undefined when the user cancels. */
  pickPaletteFile(): Promise<string[] | undefined>;
  galleryAction(action: GalleryAction, path: string): Promise<void>;
}
