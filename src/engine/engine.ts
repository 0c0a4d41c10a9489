import { resolve } from 'node:path';
import { drawsFromPrompt } from '../protocol/modelFamily';
import type { ProviderChoice } from '../protocol/providerChoice';
import { continuesSdxlLatents, takesRefiner } from '../protocol/refiner';
import type { GenerationSettings, Recipe, SettingsRequest, VaeTiling } from '../protocol/recipe';
import { promptWithIsolatedSubject } from '../protocol/background';
import { decodedToRgb } from './image/postprocess';
import { readMattingFolder, type MattingFolder } from './models/mattingFolder';
import { removeBackground } from './pipelines/removeBackground';
import { providerCandidates } from './runtime/providers';
import { EngineError } from './errors';
import { readImageSize } from './image/readInputImage';
import { familyLabel, INPAINT_UNET_CHANNELS, readModelFolder, type ModelFolder } from './models/modelFolder';
import { checkSettings, resolveSettings } from './models/generationSettings';
import { baseToRefiner } from './pipelines/baseToRefiner';
import { imageToImage } from './pipelines/imageToImage';
import { inpaint, wholeCanvasSize } from './pipelines/inpaint';
import type { LoadedModel, PipelineHooks, PipelineResult } from './pipelines/stages';
import { textToImage, textToImageBatch } from './pipelines/textToImage';
import { unetTakesBatches } from './pipelines/unetRunner';
import { ModelSessions, type SessionEvents } from './runtime/modelSessions';
import { ClipTokenizer } from './text/clipTokenizer';
import { componentNeeds, type JobShape } from './memory/componentNeeds';
import { vaeDecodeMemory, vaeTilingFor } from './image/vaeMemory';
import { freeMemory } from './memory/freeMemory';
import {
  chooseMemoryPlan,
  releasedAfterPhase,
  type ComponentNeed,
  type MemoryBudget,
  type MemoryPlan,
  type MemoryPlanName,
} from './memory/memoryPlan';

export interface EngineOptions {
  provider: ProviderChoice;
  /** Load each component only for its phase: slower, but never all weights at once. Forces the one-at-a-time plan. */
  lowMemory: boolean;
  /** Overrides of the automatic memory plan, for measurements and tests. */
  memory?: { plan?: MemoryPlanName; freeBytes?: number };
  events?: EngineEvents;
  /** Where the UNet and VAE rewritten for seamless tiles are kept; default seamlessCacheDir(). */
  seamlessCacheDir?: string;
}

export interface EngineEvents extends SessionEvents {
  /** The memory plan chosen for a job, with its reasons. */
  onPlan?: (plan: MemoryPlan) => void;
}

/** With `initImage` (a path the engine reads) it is image-to-image, recorded in the recipe as given. */
export interface GenerateRequest extends SettingsRequest {
  modelDir: string;
  /** An SDXL folder (usually the refiner) that takes the base's latents over at refinerStart. */
  refinerDir?: string;
  /** A transparent background: the matting model's folder, and whether the prompt asks for an isolated subject. */
  transparentBackground?: BackgroundRequest;
}

export interface BackgroundRequest {
  mattingDir: string;
  isolateSubject: boolean;
}

export interface GeneratedImage extends PipelineResult {
  recipe: Recipe;
  /** Interleaved pixels, 8 bits per channel: RGB, or RGBA when `channels` is 4 (a transparent background). */
  rgb: Uint8Array;
  channels: 3 | 4;
  width: number;
  height: number;
}

/**
 * The engine's in-process API, used by the CLI and the child-process server alike. It keeps
 * the last model's sessions loaded so that the next job skips the load.
 */
export class Engine {
  /** The job's model and, for a base→refiner job, the refiner: kept so that the next job skips the load. */
  private readonly slots: Record<'main' | 'refiner', { dir: string; model: Promise<LoadedModel> } | undefined> = {
    main: undefined,
    refiner: undefined,
  };

  constructor(private readonly options: EngineOptions) {}

  model(dir: string): Promise<LoadedModel> {
    return this.loadInto('main', dir);
  }

  async generate(request: GenerateRequest, hooks: PipelineHooks = {}): Promise<GeneratedImage> {
    const { modelDir, refinerDir, transparentBackground: background, ...partial } = request;
    // The limits first: a request that can only fail must not load gigabytes of weights.
    checkSettings(partial);
    const matting = background && readMattingFolder(background.mattingDir);
    hooks.onPhase?.('load');
    const loaded = await this.model(modelDir);
    if (refinerDir === undefined) await this.unloadSlot('refiner');
    const refiner = refinerDir === undefined ? undefined : await this.loadInto('refiner', refinerDir);
    checkFamilies(loaded.folder, refiner?.folder, partial.initImage !== undefined);
    await loaded.sessions.setTiling(partial.tiling);
    await refiner?.sessions.setTiling(partial.tiling);
    // The image's size is read first: it is the default size, and a bad file fails before any model runs.
    const imageSize = partial.initImage === undefined ? undefined : await readImageSize(partial.initImage);
    const inpainting = partial.mask !== undefined || partial.outpaint !== undefined;
    checkInpaintingUnet(loaded.folder, inpainting);
    const sized = inpainting && imageSize ? inpaintingSize(partial, imageSize, loaded.folder) : { request: partial, imageSize };
    const settings = resolveSettings(encodedPrompt(sized.request, background), loaded.folder, sized.imageSize, refiner?.folder);
    const vaeTiling = await this.planMemory(loaded, settings, 1, refiner);
    const jobSettings = vaeTiling ? { ...settings, vaeTiling } : settings;
    const pipeline = refiner ? baseToRefiner : inpainting ? inpaint : jobSettings.initImage === undefined ? textToImage : imageToImage;
    const result = await pipeline({ model: loaded, refiner }, jobSettings, hooks);
    return this.finish(finished(result, { ...jobSettings, prompt: partial.prompt }, loaded, refiner), background, matting, hooks);
  }

  /** The decoded image as the request wants it written: with a transparent background when asked. */
  private async finish(
    image: GeneratedImage,
    background: BackgroundRequest | undefined,
    matting: MattingFolder | undefined,
    hooks: PipelineHooks,
  ): Promise<GeneratedImage> {
    if (!background || !matting) return image;
    hooks.onPhase?.('background');
    const { candidates } = providerCandidates(this.options.provider);
    const transparent = await removeBackground(image.rgb, image.width, image.height, matting, candidates, hooks.signal);
    return {
      ...image,
      rgb: transparent.rgba,
      channels: 4,
      recipe: { ...image.recipe, background: { mode: 'transparent', matting: matting.name, isolateSubject: background.isolateSubject } },
    };
  }

  /**
   * The request once per seed, each image yielded as soon as it is written into memory. On a GPU
   * provider, text-to-image shares each UNet step among up to MAX_IMAGES_PER_CALL seeds (one call
   * of 2N under guidance). On the CPU, which gains little from it, and for image-to-image and
   * refiner jobs, the seeds run one job after another, exactly as `generate` would run each.
   */
  async *generateMany(
    request: GenerateRequest,
    seeds: readonly number[],
    hooksFor: (first: number, count: number) => PipelineHooks = () => ({}),
  ): AsyncGenerator<GeneratedImage> {
    for (const seed of [seeds[0], seeds[seeds.length - 1]]) checkSettings({ ...request, seed });
    let next = 0;
    while (next < seeds.length) {
      const batched = await this.batchable(request, seeds.length - next);
      const count = batched ? Math.min(MAX_IMAGES_PER_CALL, seeds.length - next) : 1;
      const hooks = hooksFor(next, count);
      const chunk = seeds.slice(next, next + count);
      if (count === 1) {
        yield await this.generate({ ...request, seed: chunk[0] }, hooks);
      } else {
        const { modelDir, transparentBackground: background, ...partial } = request;
        const matting = background && readMattingFolder(background.mattingDir);
        hooks.onPhase?.('load');
        const loaded = await this.model(modelDir);
        await loaded.sessions.setTiling(partial.tiling);
        const resolved = chunk.map((seed) => resolveSettings({ ...encodedPrompt(partial, background), seed }, loaded.folder));
        const vaeTiling = await this.planMemory(loaded, resolved[0], count, undefined);
        const settings = vaeTiling ? resolved.map((each) => ({ ...each, vaeTiling })) : resolved;
        const results = await textToImageBatch({ model: loaded }, settings, hooks);
        for (const [k, result] of results.entries()) {
          yield await this.finish(finished(result, { ...settings[k], prompt: partial.prompt }, loaded, undefined), background, matting, hooks);
        }
      }
      next += count;
    }
  }

  /**
   * Whether the next images of a request can share UNet calls: text-to-image, a free batch axis, a
   * GPU. Never in low-memory mode, which keeps one component loaded at a time and would rather not
   * hold several images' activations either: asking the UNet's provider would load it early.
   */
  private async batchable(request: GenerateRequest, remaining: number): Promise<boolean> {
    if (remaining < 2 || this.options.lowMemory || request.refinerDir !== undefined || request.initImage !== undefined) return false;
    await this.unloadSlot('refiner');
    const loaded = await this.model(request.modelDir);
    await loaded.sessions.setTiling(request.tiling);
    const unet = await loaded.sessions.get('unet');
    return unet.provider !== 'cpu' && unetTakesBatches(unet);
  }

  /**
   * Chooses which sessions live when for this job, from what its components need and what is
   * free, and has the sessions follow it. A refiner's sessions follow the base's plan; the
   * estimate counts the base's components only.
   */
  private async planMemory(
    loaded: LoadedModel,
    settings: GenerationSettings,
    batch: number,
    refiner: LoadedModel | undefined,
  ): Promise<VaeTiling | undefined> {
    const shape = jobShape(settings, batch, loaded.folder);
    const needs = componentNeeds(loaded.folder, shape);
    const vae = (refiner ?? loaded).folder.vae;
    // Tiles the user chose stay; otherwise the plan may choose them when a whole decode does not fit,
    // except for seamless tiles: each VAE tile would wrap around its own edges, not the image's.
    const tiledDecode =
      settings.vaeTiling === undefined && settings.tiling === undefined && (refiner ?? loaded).folder.onnx.vae_decoder !== undefined
        ? (available: number) => {
            const tiling = vaeTilingFor(vae, settings.width, settings.height, available);
            return tiling && { tileSize: tiling.tileSize, activations: vaeDecodeMemory(vae, settings.width, settings.height, tiling.tileSize).tiled };
          }
        : undefined;
    const { lowMemory, memory } = this.options;
    const forced = lowMemory
      ? { plan: 'one-at-a-time' as const, by: 'low-memory mode' }
      : memory?.plan !== undefined
        ? { plan: memory.plan, by: 'request' }
        : undefined;
    const plan = chooseMemoryPlan({ needs, budget: this.budget(loaded, needs), forced, tiledDecode });
    await loaded.sessions.follow(plan.releaseAfterPhase);
    if (refiner) await refiner.sessions.follow(releasedAfterPhase(plan.name, componentNeeds(refiner.folder, shape)));
    this.options.events?.onPlan?.(plan);
    return plan.vaeTiling;
  }

  /** What is free, plus the weights this model's loaded sessions hold, which the plan may give back. */
  private budget(loaded: LoadedModel, needs: readonly ComponentNeed[]): MemoryBudget {
    const override = this.options.memory?.freeBytes;
    if (override !== undefined) return { bytes: override, source: 'set by the caller' };
    const free = freeMemory(loaded.sessions.expectedProvider());
    const held = loaded.sessions.loadedComponents();
    if (free.bytes === undefined || held.length === 0) return free;
    const heldBytes = needs.filter((n) => held.includes(n.component)).reduce((sum, n) => sum + n.weights, 0);
    return { bytes: free.bytes + heldBytes, source: `${free.source}, plus the loaded ${held.join(', ')}` };
  }

  /** Frees every session; the next job loads the models again. */
  async unload(): Promise<void> {
    await this.unloadSlot('refiner');
    await this.unloadSlot('main');
  }

  private async loadInto(slot: 'main' | 'refiner', dir: string): Promise<LoadedModel> {
    const key = resolve(dir);
    let current = this.slots[slot];
    if (current?.dir !== key) {
      await this.unloadSlot(slot);
      const model = this.load(key);
      current = { dir: key, model };
      this.slots[slot] = current;
      model.catch(() => {
        if (this.slots[slot]?.model === model) this.slots[slot] = undefined;
      });
    }
    return current.model;
  }

  private async unloadSlot(slot: 'main' | 'refiner'): Promise<void> {
    const current = this.slots[slot];
    this.slots[slot] = undefined;
    const model = await current?.model.catch(() => undefined);
    await model?.sessions.dispose();
  }

  private async load(dir: string): Promise<LoadedModel> {
    const folder = readModelFolder(dir);
    const tokenizers: ClipTokenizer[] = [];
    for (const tokenizerDir of folder.tokenizerDirs) tokenizers.push(await ClipTokenizer.fromFolder(tokenizerDir));
    const sessions = new ModelSessions(folder, this.options.provider, this.options.lowMemory, this.options.events, this.options.seamlessCacheDir);
    return { folder, sessions, tokenizers };
  }
}

/** An LCM UNet takes guidance as an embedding, so only other models double their rows under guidance. */
function jobShape(settings: GenerationSettings, batch: number, folder: ModelFolder): JobShape {
  return {
    width: settings.width,
    height: settings.height,
    ...(settings.vaeTiling ? { vaeTileSize: settings.vaeTiling.tileSize } : {}),
    batch,
    guidance: settings.guidance > 1 && folder.details.timeCondProjDim === undefined,
    imageToImage: settings.initImage !== undefined,
  };
}

/** Images per UNet call: each adds its rows of activations (two under guidance), so a long batch goes in chunks to keep GPU memory bounded. */
const MAX_IMAGES_PER_CALL = 4;

function finished(result: PipelineResult, settings: GenerationSettings, loaded: LoadedModel, refiner: LoadedModel | undefined): GeneratedImage {
  return {
    ...result,
    recipe: {
      version: 1,
      model: loaded.folder.name,
      ...(refiner ? { refiner: refiner.folder.name } : {}),
      ...settings,
      ...providerField(loaded.sessions),
    },
    rgb: result.picture?.data ?? decodedToRgb(result.decoded, settings.width, settings.height),
    channels: 3,
    width: result.picture?.width ?? settings.width,
    height: result.picture?.height ?? settings.height,
  };
}

/**
 * An inpainting job's size: over the whole picture, the canvas's own (the input plus the outpaint
 * margins), refused when the model cannot take it; for the masked area only, the size asked for
 * or the model's trained one, since the crop is resized to it, so the image's size is no default.
 */
function inpaintingSize(
  request: SettingsRequest,
  image: { width: number; height: number },
  model: ModelFolder,
): { request: SettingsRequest; imageSize: { width: number; height: number } | undefined } {
  if (request.inpaintArea === 'masked') return { request, imageSize: undefined };
  const margins = request.outpaint ?? { left: 0, top: 0, right: 0, bottom: 0 };
  const canvas = { width: image.width + margins.left + margins.right, height: image.height + margins.top + margins.bottom };
  return { request: { ...request, ...wholeCanvasSize(canvas, model, request) }, imageSize: undefined };
}

/** A 9-channel inpainting UNet repaints under a mask and nothing else; it would fail on plain latents with a shape error. */
function checkInpaintingUnet(model: ModelFolder, inpainting: boolean): void {
  if (!inpainting && model.unet.inChannels === INPAINT_UNET_CHANNELS) {
    throw new EngineError(`${model.dir} has an inpainting UNet (9 input channels): give it an input image and a mask (or outpaint margins) to repaint.`, 'bad-request');
  }
}

/** The settings with the prompt the model encodes; the recipe keeps the user's prompt and the flag. */
function encodedPrompt<T extends { prompt: string }>(settings: T, background: BackgroundRequest | undefined): T {
  return { ...settings, prompt: promptWithIsolatedSubject(settings.prompt, background?.isolateSubject === true) };
}

function providerField(sessions: ModelSessions): Pick<Recipe, 'provider'> {
  const report = sessions.report();
  return report ? { provider: report } : {};
}

/**
 * What each family can do: a refiner alone only refines an existing image (diffusers runs it
 * only as StableDiffusionXLImg2ImgPipeline), and the hand-off passes SDXL latents between SDXL
 * UNets, so SD folders take no part in it.
 */
function checkFamilies(model: ModelFolder, refiner: ModelFolder | undefined, imageToImage: boolean): void {
  if (refiner) {
    if (!takesRefiner(model.family)) {
      throw new EngineError(
        `A refiner takes over from an SDXL base; ${model.dir} is ${familyLabel(model.details)}.`,
        'bad-request',
      );
    }
    if (!continuesSdxlLatents(refiner.family)) {
      throw new EngineError(
        `${refiner.dir} is ${familyLabel(refiner.details)}, which cannot continue SDXL latents; choose an SDXL refiner.`,
        'bad-request',
      );
    }
    return;
  }
  if (!drawsFromPrompt(model.family) && !imageToImage) {
    throw new EngineError(
      `${model.dir} is an SDXL refiner: it refines an existing image. Give it an input image (image-to-image), or use it as the refiner of an SDXL base.`,
      'bad-request',
    );
  }
}
