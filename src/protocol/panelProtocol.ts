// Messages between the Generate Image webview and the extension host.
import type { Recipe, SamplerName } from '../engine/recipe';
import type { TokenCount } from './engineProtocol';

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
}

export interface ModelChoice {
  dir: string;
  label: string;
  /** Why it cannot be used, when the folder does not load. */
  problem?: string;
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
  | 'delete';

export type PanelToHost =
  | { type: 'ready' }
  | { type: 'generate'; settings: PanelSettings }
  | { type: 'cancel' }
  | { type: 'countTokens'; requestId: number; modelDir: string; prompt: string; negativePrompt: string }
  | { type: 'pickModelFolder' }
  | { type: 'galleryAction'; action: GalleryAction; path: string };

export type HostToPanel =
  | { type: 'init'; models: ModelChoice[]; defaults: PanelSettings; gallery: GalleryItem[]; lastSeed?: number }
  | { type: 'models'; models: ModelChoice[]; selected?: string }
  | { type: 'queue'; items: QueueItem[] }
  | { type: 'progress'; jobId: string; step: number; total: number; itPerSecond: number; etaSeconds: number; phase: string }
  | { type: 'preview'; jobId: string; dataUrl: string }
  | { type: 'jobDone'; jobId: string; item: GalleryItem }
  | { type: 'jobFailed'; jobId: string; message: string }
  | { type: 'jobCancelled'; jobId: string }
  | { type: 'gallery'; items: GalleryItem[] }
  | { type: 'tokenCounts'; requestId: number; prompt: TokenCount[]; negativePrompt: TokenCount[] }
  | { type: 'applySettings'; settings: Partial<PanelSettings> }
  /** A request refused outside any job (bad form, model folder, file action). */
  | { type: 'error'; message: string };
