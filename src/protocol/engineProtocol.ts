// Messages between the extension host and the engine child process (fork with
// serialization 'advanced', so typed arrays cross as structured clones).
import type { GenerationSettings, Recipe } from '../engine/recipe';
import type { Phase } from '../engine/pipelines/phase';
import type { ProviderChoice } from '../engine/runtime/providerChoice';

export type OutputFormat = 'png' | 'webp' | 'jpeg';

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
  settings: Partial<GenerationSettings> & { prompt: string };
  /** Where the engine writes the finished image; the host chose it, the engine never overwrites it. */
  outputPath: string;
  format: OutputFormat;
  embedRecipe: boolean;
}

export type HostToEngine =
  | { type: 'configure'; config: EngineConfig }
  | { type: 'generate'; job: JobRequest }
  | { type: 'cancel'; jobId: string }
  | { type: 'countTokens'; requestId: number; modelDir: string; texts: string[] }
  | { type: 'unload' }
  | { type: 'shutdown' };

export interface TokenCount {
  tokenizer: string;
  count: number;
  limit: number;
}

export type EngineState =
  | { kind: 'idle'; modelLoaded: boolean; provider?: string }
  | { kind: 'loading'; jobId: string }
  | { kind: 'running'; jobId: string; phase: Phase; step?: number; total?: number; provider?: string };

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
  | { type: 'failed'; jobId: string; message: string; code: string }
  | { type: 'cancelled'; jobId: string }
  | { type: 'tokenCounts'; requestId: number; counts: TokenCount[][] }
  | { type: 'tokenCountsFailed'; requestId: number; message: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };
