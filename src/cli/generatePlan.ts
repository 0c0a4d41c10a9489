import { constants, existsSync } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { GenerateRequest } from '../engine/engine';
import { EngineError } from '../engine/errors';
import { readRecipeFromFile } from '../engine/image/recipeMetadata';
import { checkSettings, randomSeed } from '../engine/models/generationSettings';
import { withRecommended } from '../engine/models/recommendedSettings';
import { BACKGROUND_MODES, DEFAULT_MATTING_MODEL } from '../protocol/background';
import { MAX_BATCH, outpaintProblem, vaeTilingProblem } from '../protocol/generationLimits';
import { PROVIDER_CHOICES, type ProviderChoice } from '../protocol/providerChoice';
import { MEMORY_PLANS, type MemoryPlanName } from '../engine/memory/memoryPlan';
import { INPAINT_AREAS, SAMPLERS, TILINGS, TIMESTEP_SPACINGS, type Outpaint, type Recipe, type SettingsRequest, type VaeTiling } from '../protocol/recipe';
import type { GenerateArguments } from './generateArguments';
import { finishPlan, type FinishPlan } from './finishOptions';
import { localModel, mattingModelFor, modelForGenerate, type CliModel } from './modelArgument';
import { formatFromPath, IMAGE_FORMATS, isFolderTarget, sameFile, type ImageFormat } from './outputPaths';
import { parseChoice, parseNumber, UsageError } from './usageError';

/** Where the images go: a new file (numbered after the first in a batch), or a folder that names them. */
export interface OutputTarget {
  out: string;
  toFolder: boolean;
  format: ImageFormat;
}

/** Everything a run needs, checked: the engine request, one seed per image, the output, the engine's options. */
export interface GenerationPlan {
  request: GenerateRequest;
  seeds: number[];
  output: OutputTarget;
  provider: ProviderChoice;
  lowMemory: boolean;
  /** A memory plan forced by --memory-plan; otherwise the engine chooses. */
  memoryPlan: MemoryPlanName | undefined;
  /** Exact size, pixel art, icon set or density variants, applied to each image after decoding. */
  finish: FinishPlan;
}

/**
 * The settings in layers: the recipe's (with --recipe), then the options given, then the catalog
 * model's recommended ones, then (in the engine) the model's own. Every check that needs no model
 * comes first, so that a mistake costs no download and no load.
 */
export async function resolveGeneration(args: GenerateArguments, signal: AbortSignal): Promise<GenerationPlan> {
  const base = args.recipe ? await recipeFrom(args.recipe) : undefined;
  const shape = jobShape(args, base);
  const given = givenSettings(args, base, shape);
  const { batch, firstSeed, output } = shape;
  const finish = await finishPlan(args, base);
  if ((finish.iconSet || finish.densities) && batch > 1) throw new UsageError('--batch makes one file per seed; with --icon-set or --density give one seed.');
  if (finish.iconSet && (!output.toFolder || output.format !== 'png')) throw new UsageError('--icon-set writes PNG files and favicon.ico into a folder: give --out DIR/.');
  // Before any download or model load: a bad number must not cost gigabytes first. The first and
  // last seeds stand for the batch, since seeds only grow.
  for (const seed of [firstSeed, firstSeed + (batch - 1)]) checkSettings(withoutUndefined({ ...given, seed }));
  const provider = parseChoice('provider', args.provider, PROVIDER_CHOICES) ?? 'auto';
  const memoryPlan = parseChoice('memory-plan', args['memory-plan'], MEMORY_PLANS);

  // A folder the user may not write to fails now, not after a download and a whole generation.
  await checkWritable(output.toFolder ? output.out : dirname(resolve(output.out)));

  const request = await withModels(given, args, shape, signal);
  refuseImpossibleCrop(finish, request);
  const seeds = Array.from({ length: batch }, (_, i) => firstSeed + i);
  return { request, seeds, output, provider, lowMemory: args['low-memory'] === true, memoryPlan, finish };
}

/**
 * The model and refiner located (a catalog id is downloaded on first use), with the catalog
 * model's recommended settings under the given ones.
 */
async function withModels(given: SettingsRequest, args: GenerateArguments, shape: JobShape, signal: AbortSignal): Promise<GenerateRequest> {
  const { refinerArg, background } = shape;
  // A refiner named only by the recipe is used where it already is, never downloaded unasked.
  const recipeRefiner = refinerArg !== undefined && args.refiner === undefined ? recipeRefinerFor(refinerArg) : undefined;
  const model = await modelForGenerate(args.model, signal);
  const refiner = recipeRefiner ?? (args.refiner === undefined ? undefined : await modelForGenerate(args.refiner, signal));
  const mattingDir = background && (await mattingModelFor(background.mattingArg, signal));
  return {
    ...withRecommended(given, model.entry?.recommended),
    modelDir: model.dir,
    refinerDir: refiner?.dir,
    refinerStart: refiner ? given.refinerStart : undefined,
    transparentBackground: background && mattingDir !== undefined ? { mattingDir, isolateSubject: background.isolateSubject } : undefined,
  };
}

type Inpainting = Partial<Pick<Recipe, 'mask' | 'maskBlur' | 'inpaintArea' | 'maskPadding' | 'outpaint'>>;

/** What the options make of the job around its settings, each checked against the others. */
interface JobShape {
  prompt: string;
  batch: number;
  firstSeed: number;
  output: OutputTarget;
  initImage: string | undefined;
  strength: number | undefined;
  inpainting: Inpainting;
  refinerArg: string | undefined;
  refinerStart: number | undefined;
  /** --background transparent: the matting model as given (folder or catalog id), and the prompt nudge. */
  background: { mattingArg: string; isolateSubject: boolean } | undefined;
}

/** Checked in the order the user reads the options, so that the first mistake is the one reported. */
function jobShape(args: GenerateArguments, base: Recipe | undefined): JobShape {
  const prompt = args.prompt ?? base?.prompt;
  if (prompt === undefined) throw new UsageError('--prompt TEXT is required.');
  if (!args.out) throw new UsageError('--out FILE_OR_DIR is required.');
  const batch = parseNumber('batch', args.batch, true) ?? 1;
  if (batch < 1 || batch > MAX_BATCH) throw new UsageError(`--batch must be from 1 to ${MAX_BATCH}, got ${batch}.`);
  const out = args.out;
  const toFolder = isFolderTarget(out);
  const format: ImageFormat = parseChoice('format', args.format, IMAGE_FORMATS) ?? (toFolder ? undefined : formatFromPath(out)) ?? 'png';
  const firstSeed = parseNumber('seed', args.seed, true) ?? base?.seed ?? randomSeed();
  const initImage = args['init-image'] ?? base?.initImage;
  const strength = parseNumber('strength', args.strength, false) ?? base?.strength;
  if (args.strength !== undefined && initImage === undefined) {
    throw new UsageError('--strength needs --init-image FILE.');
  }
  const inpainting = inpaintingOf(args, base, initImage);
  if (!toFolder && inpainting.mask !== undefined && existsSync(out) && sameFile(out, inpainting.mask)) {
    throw new UsageError(`--out would overwrite the mask ${inpainting.mask}; write elsewhere.`);
  }
  if (!toFolder) refuseExistingOut(out, initImage);
  const refinerArg = args.refiner ?? base?.refiner;
  const refinerStart = parseNumber('refiner-start', args['refiner-start'], false) ?? base?.refinerStart;
  if (args['refiner-start'] !== undefined && refinerArg === undefined) {
    throw new UsageError('--refiner-start needs --refiner DIR_OR_ID.');
  }
  if (refinerArg !== undefined && initImage !== undefined) {
    throw new UsageError('--refiner runs after the base from noise; for image-to-image give the refiner as --model.');
  }
  const background = backgroundOf(args, base, format);
  return { prompt, batch, firstSeed, output: { out, toFolder, format }, initImage, strength, inpainting, refinerArg, refinerStart, background };
}

/** The inpainting options (else the recipe's), each checked against what it needs, in the order the help lists them. */
function inpaintingOf(args: GenerateArguments, base: Recipe | undefined, initImage: string | undefined): Inpainting {
  const mask = args.mask ?? base?.mask;
  const outpaint = parseOutpaint(args.outpaint) ?? base?.outpaint;
  if (args.mask !== undefined && initImage === undefined) throw new UsageError('--mask needs --init-image FILE: the mask says what to repaint in it.');
  if (args.outpaint !== undefined && initImage === undefined) throw new UsageError('--outpaint needs --init-image FILE: the picture to extend.');
  const repaints = mask !== undefined || outpaint !== undefined;
  for (const option of ['mask-blur', 'inpaint-area'] as const) {
    if (args[option] !== undefined && !repaints) throw new UsageError(`--${option} needs --mask FILE (or --outpaint).`);
  }
  const maskBlur = parseNumber('mask-blur', args['mask-blur'], true) ?? base?.maskBlur;
  const inpaintArea = parseChoice('inpaint-area', args['inpaint-area'], INPAINT_AREAS) ?? base?.inpaintArea;
  if (args['mask-padding'] !== undefined && inpaintArea !== 'masked') throw new UsageError('--mask-padding needs --inpaint-area masked.');
  const maskPadding = parseNumber('mask-padding', args['mask-padding'], true) ?? (inpaintArea === 'masked' ? base?.maskPadding : undefined);
  return withoutUndefined({ mask, maskBlur, inpaintArea, maskPadding, outpaint });
}

/** `--outpaint LEFT,TOP,RIGHT,BOTTOM` in pixels. */
function parseOutpaint(value: string | undefined): Outpaint | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',');
  if (parts.length !== 4 || parts.some((part) => !/^\s*\d+\s*$/.test(part))) {
    throw new UsageError(`--outpaint expects LEFT,TOP,RIGHT,BOTTOM in whole pixels (e.g. 0,0,128,0), got "${value}".`);
  }
  const [left, top, right, bottom] = parts.map(Number);
  const outpaint = { left, top, right, bottom };
  const problem = outpaintProblem(outpaint);
  if (problem !== undefined) throw new UsageError(`--outpaint: ${problem}`);
  return outpaint;
}

/** The background removal the options (else the recipe) ask for; its matting model is located later. */
function backgroundOf(args: GenerateArguments, base: Recipe | undefined, format: ImageFormat): JobShape['background'] {
  // Any other --background value is the padding colour of --fit contain (finishOptions).
  const asked = BACKGROUND_MODES.find((mode) => mode === args.background);
  const mode = asked ?? (args.background === undefined ? base?.background?.mode : undefined);
  if (mode === undefined) {
    if (args['isolate-subject'] !== undefined || args['matting-model'] !== undefined) {
      throw new UsageError('--isolate-subject and --matting-model go with --background transparent.');
    }
    return undefined;
  }
  if (format === 'jpeg') throw new UsageError('JPEG has no alpha channel; save a transparent background as PNG or WebP.');
  return {
    mattingArg: args['matting-model'] ?? base?.background?.matting ?? DEFAULT_MATTING_MODEL,
    isolateSubject: args['isolate-subject'] ?? base?.background?.isolateSubject ?? false,
  };
}

/** Each remaining setting from its option, else from the recipe. */
function givenSettings(args: GenerateArguments, base: Recipe | undefined, shape: JobShape): SettingsRequest {
  const vaeTiling = parseVaeTiling(args['vae-tiling'], args['vae-tile-size']) ?? base?.vaeTiling;
  return {
    prompt: shape.prompt,
    negativePrompt: args.negative ?? base?.negativePrompt ?? null,
    width: parseNumber('width', args.width, true) ?? base?.width,
    height: parseNumber('height', args.height, true) ?? base?.height,
    steps: parseNumber('steps', args.steps, true) ?? base?.steps,
    guidance: parseNumber('guidance', args.guidance, false) ?? base?.guidance,
    sampler: parseChoice('sampler', args.sampler, SAMPLERS) ?? base?.sampler,
    karras: args.karras ?? base?.karras,
    timestepSpacing: parseChoice('timestep-spacing', args['timestep-spacing'], TIMESTEP_SPACINGS) ?? base?.timestepSpacing,
    initImage: shape.initImage,
    strength: shape.strength,
    ...shape.inpainting,
    guidanceRescale: parseNumber('guidance-rescale', args['guidance-rescale'], false) ?? base?.guidanceRescale,
    promptWeighting: args['prompt-weighting'] ?? base?.promptWeighting,
    tiling: parseChoice('tile', args.tile, TILINGS) ?? base?.tiling,
    refinerStart: shape.refinerStart,
    aestheticScore: parseNumber('aesthetic-score', args['aesthetic-score'], false) ?? base?.aestheticScore,
    negativeAestheticScore:
      parseNumber('negative-aesthetic-score', args['negative-aesthetic-score'], false) ?? base?.negativeAestheticScore,
    vaeTiling,
  };
}

/**
 * The refiner a recipe names is its folder name or catalog id; where that is not here, the user
 * is told to give the folder (or the id, to download it) rather than left with a bare "no such
 * folder" or a download they did not ask for.
 */
function recipeRefinerFor(arg: string): CliModel {
  try {
    return localModel(arg);
  } catch (error) {
    if (!(error instanceof EngineError) || error.code !== 'model-folder') throw error;
    throw new UsageError(`The recipe's image was refined with "${arg}", which is not found here; give its folder with --refiner DIR (or --refiner ${arg} to download a catalog model).`);
  }
}

/** `--vae-tiling` asks for the VAE config's tile size, `--vae-tile-size` for its own; neither: undefined. */
function parseVaeTiling(tiling: boolean | undefined, size: string | undefined): Partial<VaeTiling> | undefined {
  const tileSize = parseNumber('vae-tile-size', size, true);
  if (tileSize !== undefined) {
    const problem = vaeTilingProblem({ tileSize });
    if (problem !== undefined) throw new UsageError(`--vae-tile-size: ${problem}`);
    return { tileSize };
  }
  return tiling === true ? {} : undefined;
}

/** crop cannot scale up: a cut larger than the generated size fails here rather than after the generation. */
function refuseImpossibleCrop({ steps }: FinishPlan, request: GenerateRequest): void {
  const { output, pixelArt } = steps;
  if (output?.fit !== 'crop' || request.width === undefined || request.height === undefined) return;
  const factor = pixelArt?.factor ?? 1;
  if (output.width * factor > request.width || output.height * factor > request.height) {
    throw new UsageError(
      `--fit crop cuts ${output.width * factor}x${output.height * factor} out of the generated ${request.width}x${request.height} without scaling; ask for less or use --fit cover.`,
    );
  }
}

/** Optional fields left out rather than present as undefined, which the limits would read as given. */
function withoutUndefined<T extends object>(settings: T): Partial<T> {
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * `--out FILE` names a new file: an existing one is refused before any work, the input image
 * above all, which is recognised as the same file whatever path spells it.
 */
function refuseExistingOut(out: string, initImage: string | undefined): void {
  if (!existsSync(out)) return;
  if (initImage !== undefined && sameFile(out, initImage)) {
    throw new UsageError(`--out would overwrite the input image ${initImage}; write elsewhere.`);
  }
  throw new UsageError(`--out ${out} already exists and is never overwritten; choose another name or give a folder.`);
}

async function recipeFrom(path: string): Promise<Recipe> {
  let recipe: Recipe | null;
  try {
    recipe = await readRecipeFromFile(path);
  } catch (error) {
    throw new EngineError(`Cannot read a recipe from ${path}: ${(error as Error).message}`, 'image-input');
  }
  if (!recipe) throw new EngineError(`${path} carries no SDXL Assets recipe.`, 'image-input');
  return recipe;
}

/** Creates the output folder if needed and checks that this user may write into it. */
async function checkWritable(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await access(dir, constants.W_OK);
}
