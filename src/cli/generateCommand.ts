import { constants, existsSync } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ImageFormat } from './outputPaths';
import { Engine } from '../engine/engine';
import type { Recipe, VaeTiling } from '../protocol/recipe';
import { EngineError } from '../engine/errors';
import { promptSlug } from '../engine/image/fileNames';
import { readRecipeFromFile } from '../engine/image/recipeMetadata';
import { writeImage } from '../engine/image/writeImage';
import { SAMPLERS, TIMESTEP_SPACINGS } from '../protocol/recipe';
import { checkSettings, randomSeed } from '../engine/models/generationSettings';
import { MAX_BATCH, vaeTilingProblem } from '../protocol/generationLimits';
import { PROVIDER_CHOICES } from '../protocol/providerChoice';
import {
  extensionOf,
  formatFromPath,
  IMAGE_FORMATS,
  isFolderTarget,
  sameFile,
} from './outputPaths';
import { localModel, modelForGenerate, type CliModel } from './modelArgument';
import type { Phase } from '../protocol/phase';
import type { StepInfo } from '../engine/pipelines/denoiseLoop';
import type { TileInfo } from '../engine/pipelines/vaeRuns';
import { ProgressReporter } from './progress';
import { parseChoice, parseNumber, UsageError } from './usageError';

export const GENERATE_USAGE = `sdxl-assets generate --model DIR_OR_ID --prompt TEXT --out FILE_OR_DIR [options]
  --model DIR_OR_ID          a model folder, or a catalog id (sdxl-assets models), downloaded on
                             first use; a catalog model's recommended settings are the defaults
  --negative TEXT            negative prompt (none: zeroed, as diffusers does for SDXL)
  --width N, --height N      image size in pixels (default: the model's trained size)
  --steps N                  denoising steps (default 30)
  --guidance G               classifier-free guidance scale; <= 1 turns it off (default 5)
  --seed S                   seed of the torch-compatible noise (default: random, recorded)
  --sampler NAME             ${SAMPLERS.join('|')} (default: the model's scheduler)
  --karras                   Karras sigmas (euler, dpmpp-2m)
  --timestep-spacing S       ${TIMESTEP_SPACINGS.join('|')} (default: the model's scheduler config)
  --batch N                  N images with seeds S, S+1, … each regenerable alone
  --provider P               ${PROVIDER_CHOICES.join('|')} (default auto)
  --format F                 ${IMAGE_FORMATS.join('|')} (default: from --out, else png)
  --low-memory               load each model part only while it runs
  --init-image FILE          image-to-image: start from this image (PNG, JPEG, WebP, …);
                             size defaults to the image's own, rounded down to the UNet's multiple
  --strength S               with --init-image: how far to move from it, above 0 and at most 1 (default 0.5)
  --guidance-rescale R       rescale the guided prediction (diffusers' guidance_rescale), 0 to 1 (default 0)
  --prompt-weighting         AUTOMATIC1111 syntax: (word:1.2), (word), [word], \\( ; prompts past 75
                             tokens in 77-token chunks (default off: read as diffusers does)
  --refiner DIR_OR_ID        hand the latents over to this SDXL refiner at --refiner-start
                             (diffusers' base + refiner ensemble; the refiner decodes)
  --refiner-start F          share of the steps the base runs before the refiner, 0 to 1 (default 0.8)
  --aesthetic-score A        refiner only: the aesthetic score it is conditioned on (default 6)
  --negative-aesthetic-score A   refiner only: the negative side's score (default 2.5)
  --vae-tiling               decode (and encode) in diffusers' overlapping VAE tiles, at the VAE
                             config's tile size (SDXL: 1024 px): less memory for large images
  --vae-tile-size PX         VAE tiling with smaller tiles, a multiple of 32 px (implies --vae-tiling)
  --recipe IMAGE             start from the recipe stored in an image this tool made
                             (options given explicitly override it)`;

export async function generateCommand(argv: string[], signal: AbortSignal): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      model: { type: 'string' },
      prompt: { type: 'string' },
      negative: { type: 'string' },
      width: { type: 'string' },
      height: { type: 'string' },
      steps: { type: 'string' },
      guidance: { type: 'string' },
      seed: { type: 'string' },
      sampler: { type: 'string' },
      karras: { type: 'boolean' },
      'timestep-spacing': { type: 'string' },
      batch: { type: 'string' },
      provider: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      'low-memory': { type: 'boolean' },
      recipe: { type: 'string' },
      'init-image': { type: 'string' },
      strength: { type: 'string' },
      'guidance-rescale': { type: 'string' },
      'prompt-weighting': { type: 'boolean' },
      refiner: { type: 'string' },
      'refiner-start': { type: 'string' },
      'aesthetic-score': { type: 'string' },
      'negative-aesthetic-score': { type: 'string' },
      'vae-tiling': { type: 'boolean' },
      'vae-tile-size': { type: 'string' },
    },
  });
  if (!values.model) throw new UsageError('--model DIR_OR_ID is required.');
  const base = values.recipe ? await recipeFrom(values.recipe) : undefined;
  const prompt = values.prompt ?? base?.prompt;
  if (prompt === undefined) throw new UsageError('--prompt TEXT is required.');
  if (!values.out) throw new UsageError('--out FILE_OR_DIR is required.');
  const batch = parseNumber('batch', values.batch, true) ?? 1;
  if (batch < 1 || batch > MAX_BATCH) throw new UsageError(`--batch must be from 1 to ${MAX_BATCH}, got ${batch}.`);
  const out = values.out;
  const toFolder = isFolderTarget(out);
  const format: ImageFormat = parseChoice('format', values.format, IMAGE_FORMATS) ?? (toFolder ? undefined : formatFromPath(out)) ?? 'png';
  const firstSeed = parseNumber('seed', values.seed, true) ?? base?.seed ?? randomSeed();
  const initImage = values['init-image'] ?? base?.initImage;
  const strength = parseNumber('strength', values.strength, false) ?? base?.strength;
  if (values.strength !== undefined && initImage === undefined) {
    throw new UsageError('--strength needs --init-image FILE.');
  }
  if (!toFolder) refuseExistingOut(out, initImage);
  const refinerArg = values.refiner ?? base?.refiner;
  const refinerStart = parseNumber('refiner-start', values['refiner-start'], false) ?? base?.refinerStart;
  if (values['refiner-start'] !== undefined && refinerArg === undefined) {
    throw new UsageError('--refiner-start needs --refiner DIR_OR_ID.');
  }
  if (refinerArg !== undefined && initImage !== undefined) {
    throw new UsageError('--refiner runs after the base from noise; for image-to-image give the refiner as --model.');
  }

  const vaeTiling = parseVaeTiling(values['vae-tiling'], values['vae-tile-size']) ?? base?.vaeTiling;

  const given = {
    prompt,
    negativePrompt: values.negative ?? base?.negativePrompt ?? null,
    width: parseNumber('width', values.width, true) ?? base?.width,
    height: parseNumber('height', values.height, true) ?? base?.height,
    steps: parseNumber('steps', values.steps, true) ?? base?.steps,
    guidance: parseNumber('guidance', values.guidance, false) ?? base?.guidance,
    sampler: parseChoice('sampler', values.sampler, SAMPLERS) ?? base?.sampler,
    karras: values.karras ?? base?.karras,
    timestepSpacing: parseChoice('timestep-spacing', values['timestep-spacing'], TIMESTEP_SPACINGS) ?? base?.timestepSpacing,
    initImage,
    strength,
    guidanceRescale: parseNumber('guidance-rescale', values['guidance-rescale'], false) ?? base?.guidanceRescale,
    promptWeighting: values['prompt-weighting'] ?? base?.promptWeighting,
    refinerStart,
    aestheticScore: parseNumber('aesthetic-score', values['aesthetic-score'], false) ?? base?.aestheticScore,
    negativeAestheticScore:
      parseNumber('negative-aesthetic-score', values['negative-aesthetic-score'], false) ?? base?.negativeAestheticScore,
    vaeTiling,
  };
  // Before any download or model load: a bad number must not cost gigabytes first. The first and
  // last seeds stand for the batch, since seeds only grow.
  for (const seed of [firstSeed, firstSeed + (batch - 1)]) checkSettings(withoutUndefined({ ...given, seed }));
  const provider = parseChoice('provider', values.provider, PROVIDER_CHOICES) ?? 'auto';

  // A folder the user may not write to fails now, not after a download and a whole generation.
  await checkWritable(toFolder ? out : dirname(resolve(out)));

  // A refiner named only by the recipe is used where it already is, never downloaded unasked.
  const recipeRefiner = refinerArg !== undefined && values.refiner === undefined ? recipeRefinerFor(refinerArg) : undefined;
  const model = await modelForGenerate(values.model, signal);
  const refiner = recipeRefiner ?? (values.refiner === undefined ? undefined : await modelForGenerate(values.refiner, signal));
  const recommended = model.entry?.recommended;
  const request = {
    ...given,
    modelDir: model.dir,
    width: given.width ?? recommended?.width,
    height: given.height ?? recommended?.height,
    steps: given.steps ?? recommended?.steps,
    guidance: given.guidance ?? recommended?.guidance,
    sampler: given.sampler ?? recommended?.sampler,
    timestepSpacing: given.timestepSpacing ?? recommended?.timestepSpacing ?? null,
    refinerDir: refiner?.dir,
    refinerStart: refiner ? refinerStart : undefined,
  };
  const engine = new Engine({
    provider,
    lowMemory: values['low-memory'] === true,
    events: {
      onFallback: (provider, reason) => process.stderr.write(`provider ${provider} not used: ${reason}\n`),
    },
  });
  try {
    const seeds = Array.from({ length: batch }, (_, i) => firstSeed + i);
    let progress: ProgressReporter | undefined;
    const hooksFor = (first: number, count: number) => {
      progress = new ProgressReporter(batch === 1 ? '' : count === 1 ? `[${first + 1}/${batch}] ` : `[${first + 1}-${first + count}/${batch}] `);
      const reporter = progress;
      return {
        signal,
        onPhase: (phase: Phase) => reporter.phase(phase),
        onStep: (info: StepInfo) => reporter.step(info),
        onTile: (info: TileInfo) => reporter.tile(info),
      };
    };
    let i = 0;
    for await (const image of engine.generateMany(request, seeds, hooksFor)) {
      progress?.done();
      progress = undefined;
      // Exclusive creation: a name another process took meanwhile moves on to the next free one.
      const path = toFolder
        ? await writeImage(join(out, `${promptSlug(image.recipe.prompt)}-${image.recipe.seed}.${extensionOf(format)}`), image.rgb, image.width, image.height, {
            format,
            recipe: image.recipe,
            ifExists: 'next-free',
          })
        : await writeImage(out, image.rgb, image.width, image.height, {
            format,
            recipe: image.recipe,
            ...(i === 0 ? { ifExists: 'fail' } : { ifExists: 'next-free', firstNumber: i + 1 }),
          });
      process.stdout.write(`${path}\n`);
      i++;
    }
  } finally {
    await engine.unload();
  }
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
