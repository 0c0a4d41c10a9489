import type { Event } from 'vscode';
import type { TokenCount } from '../../protocol/engineProtocol';
import type { GalleryAction, ModelChoice, PanelSettings, QueueItem } from '../../protocol/panelProtocol';
import type { Recipe } from '../../engine/recipe';

/** A generated file as the backend knows it; the panel turns the path into a webview URI. */
export interface GalleryFile {
  path: string;
  relativePath: string;
  recipe?: Recipe;
  modifiedMs: number;
}

export type BackendEvent =
  | { type: 'queue'; items: QueueItem[] }
  | { type: 'phase'; jobId: string; phase: string }
  | { type: 'progress'; jobId: string; step: number; total: number; itPerSecond: number; etaSeconds: number }
  | { type: 'preview'; jobId: string; png: Uint8Array }
  | { type: 'jobDone'; jobId: string; file: GalleryFile }
  | { type: 'jobFailed'; jobId: string; message: string }
  | { type: 'jobCancelled'; jobId: string }
  | { type: 'galleryChanged' }
  /** `selected`: a folder the user just added, to select in the form. */
  | { type: 'modelsChanged'; selected?: string }
  /** Settings to put into the form (Reuse settings, Vary, image-to-image input). */
  | { type: 'applySettings'; settings: Partial<PanelSettings> };

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
  /** Queues `batch` jobs (seeds per the seed mode); resolves when they are queued. */
  generate(settings: PanelSettings): Promise<void>;
  /** Cancels the running job and empties the queue. */
  cancel(): void;
  countTokens(modelDir: string, texts: string[]): Promise<TokenCount[][]>;
  /** Asks for a model folder, checks it, adds it to the settings; fires modelsChanged. */
  pickModelFolder(): Promise<void>;
  galleryAction(action: GalleryAction, path: string): Promise<void>;
}
