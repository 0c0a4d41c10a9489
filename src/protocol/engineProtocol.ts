// Messages between the extension host and the engine child process (fork with
// serialization 'advanced', so typed arrays cross as structured clones).
import type { FinishSteps, Recipe, SettingsRequest } from './recipe';
import type { Phase } from './phase';
import type { ProviderChoice, ProviderReport } from './providerChoice';
import type { FailureCode } from './failureCode';

import type { OutputFormat } from './generationLimits';

export type { OutputFormat };

export interface EngineConfig {
  provider: ProviderChoice;
  lowMemory: boolean;
  /** Sessions are released after this long without a job; 0 keeps them until told. */
  idleUnloadMs: number;
  /** A preview every this many steps; 0 for none. */
  previewEvery: number;
}

export interface JobRequest {
  jobId: string;
  modelDir: string;
  /** An SDXL refiner (or any SDXL folder) that takes the base's latents over at settings.refinerStart. */
  refinerDir?: string;
  settings: SettingsRequest;
  /** Exact size and pixel art, applied after decoding and recorded in the recipe. */
  finish?: FinishSteps;
  /**
   * A site's icon set instead of one file: written, whole or not at all, into the folder named
   * like outputPath without its extension plus `-icons`; `done` then names its largest icon.
   */
  iconSet?: boolean;
  /**
   * `@Nx` variants of finish.output instead of one file, written together beside outputPath
   * (`name.png` for 1, `name@2x.png`…); `done` then names the largest.
   */
  densities?: number[];
  /** A transparent background: the matting model's folder, and whether the prompt asks for an isolated subject. */
  transparentBackground?: { mattingDir: string; isolateSubject: boolean };
  /** Where the engine writes the finished image; the host chose it, the engine never overwrites it unless `replace`. */
  outputPath: string;
  /** A manifest asset remade: the new file replaces the one at outputPath in one rename. */
  replace?: boolean;
  /** The input image as the recipe records it (a manifest's source, relative to the manifest) when that is not settings.initImage. */
  recipeInitImage?: string;
  format: OutputFormat;
  embedRecipe: boolean;
}

/** A float16 copy of a model folder, made in the engine process (`sdxl-assets convert --fp16`). */
export interface ConversionRequest {
  requestId: string;
  modelDir: string;
  /** A folder that must not exist yet; `<outDir>.partial` holds the work until it is whole. */
  outDir: string;
}

export interface ConversionProgress {
  component: string;
  /** 1-based position among the model's components. */
  index: number;
  count: number;
  bytesDone: number;
  bytesTotal: number;
}

export type HostToEngine =
  | { type: 'configure'; config: EngineConfig }
  | { type: 'generate'; job: JobRequest }
  | { type: 'cancel'; jobId: string }
  /** weighting: count as the prompt-weighting parser reads the texts, in A1111's chunks. */
  | { type: 'countTokens'; requestId: number; modelDir: string; texts: string[]; weighting: boolean }
  | { type: 'convert'; request: ConversionRequest }
  | { type: 'cancelConvert'; requestId: string }
  | { type: 'unload' }
  | { type: 'shutdown' };

/**
 * One tokenizer's count of one text. Without weighting the encoder reads one 77-token input and
 * cuts the rest; with it, the text's own tokens (weight syntax left out, BOS and EOS too, as
 * A1111 counts) go in chunks of 75, each wrapped to 77 and encoded on its own.
 */
export interface TokenCount {
  tokenizer: string;
  /** Without weighting: ids with BOS and EOS. With weighting: the text's own tokens. */
  count: number;
  /** What one encoder input holds of `count`: 77 without weighting, 75 with. */
  limit: number;
  /** Encoder inputs the text takes: always 1 without weighting. */
  chunks: number;
  /** Why the weight syntax could not be read (say `(cat:1.2.3)`); the counts are then those without weighting. */
  problem?: string;
}

export type EngineState =
  | { kind: 'idle'; modelLoaded: boolean; provider?: ProviderReport }
  | { kind: 'loading'; jobId: string }
  /** step of total: the denoising step, or in decode (and image-to-image's encode) the VAE tile when it runs in tiles. */
  | { kind: 'running'; jobId: string; phase: Phase; step?: number; total?: number; provider?: ProviderReport };

export type EngineToHost =
  | { type: 'ready'; pid: number }
  | { type: 'state'; state: EngineState }
  /** position: jobs ahead of this one, the running one included (0: it starts now); sent again when it changes. */
  | { type: 'queued'; jobId: string; position: number }
  | { type: 'started'; jobId: string }
  | { type: 'phase'; jobId: string; phase: Phase }
  | { type: 'progress'; jobId: string; step: number; total: number; itPerSecond: number; etaSeconds: number }
  /** A small PNG of the current latents through the latent→RGB approximation. */
  | { type: 'preview'; jobId: string; step: number; png: Uint8Array; width: number; height: number }
  | { type: 'done'; jobId: string; path: string; recipe: Recipe; elapsedMs: number }
  | { type: 'failed'; jobId: string; message: string; code: FailureCode }
  | { type: 'cancelled'; jobId: string }
  | { type: 'tokenCounts'; requestId: number; counts: TokenCount[][] }
  | { type: 'tokenCountsFailed'; requestId: number; message: string }
  | { type: 'convertProgress'; requestId: string; progress: ConversionProgress }
  /** summary: one line per component, saying what became float16 and what stayed float32 and why. */
  | { type: 'convertDone'; requestId: string; outDir: string; summary: string[] }
  /** code 'cancelled' when asked to stop; the finished components stay in `<outDir>.partial` for a rerun. */
  | { type: 'convertFailed'; requestId: string; message: string; code: FailureCode }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };
