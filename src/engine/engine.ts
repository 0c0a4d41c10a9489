import { resolve } from 'node:path';
import type { ProviderChoice } from './runtime/providerChoice';
import type { GenerationSettings, Recipe } from './recipe';
import { decodedToRgb } from './image/postprocess';
import { EngineError } from './errors';
import { readImageSize } from './image/readInputImage';
import { readModelFolder, type ModelFolder } from './models/modelFolder';
import { resolveSettings } from './pipelines/generationSettings';
import { sdxlImageToImage } from './pipelines/sdxlImageToImage';
import type { PipelineHooks, PipelineResult } from './pipelines/sdxlStages';
import { sdxlTextToImage } from './pipelines/sdxlTextToImage';
import { ModelSessions, type SessionEvents } from './runtime/modelSessions';
import { ClipTokenizer } from './text/clipTokenizer';

export interface EngineOptions {
  provider: ProviderChoice;
  /** Load each component only for its phase: slower, but never all weights at once. */
  lowMemory: boolean;
  events?: SessionEvents;
}

/** With `initImage` (a path the engine reads) it is image-to-image, recorded in the recipe as given. */
export interface GenerateRequest extends Partial<GenerationSettings> {
  modelDir: string;
  prompt: string;
}

export interface GeneratedImage extends PipelineResult {
  recipe: Recipe;
  /** Interleaved RGB, 8 bits per channel. */
  rgb: Uint8Array;
  width: number;
  height: number;
}

interface LoadedModel {
  folder: ModelFolder;
  sessions: ModelSessions;
  /** One per text encoder, in the order the family's encoders run. */
  tokenizers: ClipTokenizer[];
}

/**
 * The engine's in-process API, used by the CLI and the child-process server alike. It keeps
 * the last model's sessions loaded so that the next job skips the load.
 */
export class Engine {
  private current: { dir: string; model: Promise<LoadedModel> } | undefined;

  constructor(private readonly options: EngineOptions) {}

  async model(dir: string): Promise<LoadedModel> {
    const key = resolve(dir);
    if (this.current?.dir !== key) {
      await this.unload();
      const model = this.load(key);
      this.current = { dir: key, model };
      model.catch(() => {
        if (this.current?.model === model) this.current = undefined;
      });
    }
    return this.current.model;
  }

  async generate(request: GenerateRequest, hooks: PipelineHooks = {}): Promise<GeneratedImage> {
    const { modelDir, ...partial } = request;
    hooks.onPhase?.('load');
    const loaded = await this.model(modelDir);
    if (loaded.folder.family === 'sdxl-refiner') {
      throw new EngineError(
        `${loaded.folder.dir} is an SDXL refiner, which this version does not run on its own; use an SDXL base, SDXL Turbo or SD 1.x/2.x folder.`,
        'model-folder',
      );
    }
    // The image's size is read first: it is the default size, and a bad file fails before any model runs.
    const imageSize = partial.initImage === undefined ? undefined : await readImageSize(partial.initImage);
    const settings = resolveSettings(partial, loaded.folder, imageSize);
    const pipeline = settings.initImage === undefined ? sdxlTextToImage : sdxlImageToImage;
    const result = await pipeline(loaded.sessions, loaded.tokenizers, settings, hooks);
    return {
      ...result,
      recipe: { version: 1, model: loaded.folder.name, ...settings },
      rgb: decodedToRgb(result.decoded, settings.width, settings.height),
      width: settings.width,
      height: settings.height,
    };
  }

  /** Frees every session; the next job loads the model again. */
  async unload(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    const model = await current?.model.catch(() => undefined);
    await model?.sessions.dispose();
  }

  private async load(dir: string): Promise<LoadedModel> {
    const folder = readModelFolder(dir);
    const tokenizers: ClipTokenizer[] = [];
    for (const tokenizerDir of folder.tokenizerDirs) tokenizers.push(await ClipTokenizer.fromFolder(tokenizerDir));
    const sessions = new ModelSessions(folder, this.options.provider, this.options.lowMemory, this.options.events);
    return { folder, sessions, tokenizers };
  }
}
