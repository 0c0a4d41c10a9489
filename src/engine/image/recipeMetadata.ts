import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { SAMPLERS, TILINGS, TIMESTEP_SPACINGS, type Recipe, type SamplerName, type Tiling, type TimestepSpacing } from '../../protocol/recipe';
import { inpaintProblem, vaeTilingProblem } from '../../protocol/generationLimits';
import { finishStepsProblem, orderedOutput, orderedPixelArt } from '../../protocol/finishSteps';
import { BACKGROUND_MODES, type BackgroundRemoval } from '../../protocol/background';
import { PROVIDER_CHOICES, type ProviderChoice, type ProviderReport } from '../../protocol/providerChoice';
import { EngineError } from '../errors';
import { readExifUserComment } from './exif';
import { isPng, readPngTextChunks } from './pngText';
import { readRecipeJsonFromXmp } from './xmp';

/** PNG text keyword of our JSON recipe. */
export const RECIPE_KEYWORD = 'sdxl-assets-recipe';
/** PNG text keyword AUTOMATIC1111 and the tools that follow it read. */
export const PARAMETERS_KEYWORD = 'parameters';

/** Compact JSON with the fields in a fixed order, so equal recipes give equal bytes. */
export function serializeRecipe(recipe: Recipe): string {
  return JSON.stringify(knownFields(recipe));
}

/** The recipe's own fields in declaration order; anything else the object carries stays behind. */
function knownFields(recipe: Recipe): Recipe {
  return {
    version: recipe.version,
    model: recipe.model,
    prompt: recipe.prompt,
    negativePrompt: recipe.negativePrompt,
    width: recipe.width,
    height: recipe.height,
    steps: recipe.steps,
    guidance: recipe.guidance,
    sampler: recipe.sampler,
    karras: recipe.karras,
    timestepSpacing: recipe.timestepSpacing,
    seed: recipe.seed,
    // Text-to-image recipes stay without these keys, byte for byte as before.
    ...(recipe.initImage !== undefined ? { initImage: recipe.initImage } : {}),
    ...(recipe.strength !== undefined ? { strength: recipe.strength } : {}),
    ...(recipe.mask !== undefined ? { mask: recipe.mask } : {}),
    ...(recipe.maskBlur !== undefined ? { maskBlur: recipe.maskBlur } : {}),
    ...(recipe.inpaintArea !== undefined ? { inpaintArea: recipe.inpaintArea } : {}),
    ...(recipe.maskPadding !== undefined ? { maskPadding: recipe.maskPadding } : {}),
    ...(recipe.outpaint !== undefined
      ? { outpaint: { left: recipe.outpaint.left, top: recipe.outpaint.top, right: recipe.outpaint.right, bottom: recipe.outpaint.bottom } }
      : {}),
    ...(recipe.guidanceRescale !== undefined ? { guidanceRescale: recipe.guidanceRescale } : {}),
    ...(recipe.promptWeighting !== undefined ? { promptWeighting: recipe.promptWeighting } : {}),
    ...(recipe.refiner !== undefined ? { refiner: recipe.refiner } : {}),
    ...(recipe.refinerStart !== undefined ? { refinerStart: recipe.refinerStart } : {}),
    ...(recipe.aestheticScore !== undefined ? { aestheticScore: recipe.aestheticScore } : {}),
    ...(recipe.negativeAestheticScore !== undefined ? { negativeAestheticScore: recipe.negativeAestheticScore } : {}),
    ...(recipe.tiling !== undefined ? { tiling: recipe.tiling } : {}),
    ...(recipe.provider !== undefined
      ? {
          provider: {
            choice: recipe.provider.choice,
            provider: recipe.provider.provider,
            skipped: recipe.provider.skipped.map(({ provider, reason }) => ({ provider, reason })),
          },
        }
      : {}),
    ...(recipe.vaeTiling !== undefined ? { vaeTiling: { tileSize: recipe.vaeTiling.tileSize } } : {}),
    ...(recipe.output !== undefined ? { output: orderedOutput(recipe.output) } : {}),
    ...(recipe.pixelArt !== undefined ? { pixelArt: orderedPixelArt(recipe.pixelArt) } : {}),
    ...(recipe.background !== undefined
      ? { background: { mode: recipe.background.mode, matting: recipe.background.matting, isolateSubject: recipe.background.isolateSubject } }
      : {}),
  };
}

/**
 * A recipe from JSON, checked field by field; the error names the first bad field. Unknown
 * fields are dropped rather than rejected so that a later version 1 writer may add optional ones.
 */
export function parseRecipe(json: string): Recipe {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new EngineError(`recipe is not valid JSON: ${(error as Error).message}`, 'image-input');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EngineError('recipe must be a JSON object', 'image-input');
  }
  const r = value as Record<string, unknown>;
  const fail = (field: string, expected: string): never => {
    throw new EngineError(`recipe field "${field}" must be ${expected}, got ${JSON.stringify(r[field]) ?? 'nothing'}`, 'image-input');
  };
  if (r.version !== 1) fail('version', '1');
  if (typeof r.model !== 'string' || r.model === '') fail('model', 'a non-empty string');
  if (typeof r.prompt !== 'string') fail('prompt', 'a string');
  if (r.negativePrompt !== null && typeof r.negativePrompt !== 'string') fail('negativePrompt', 'a string or null');
  for (const field of ['width', 'height', 'steps']) {
    if (!Number.isSafeInteger(r[field]) || (r[field] as number) < 1) fail(field, 'a positive whole number');
  }
  if (typeof r.guidance !== 'number' || !Number.isFinite(r.guidance) || r.guidance < 0) {
    fail('guidance', 'a number >= 0');
  }
  if (!SAMPLERS.includes(r.sampler as SamplerName)) fail('sampler', `one of ${SAMPLERS.join(', ')}`);
  if (typeof r.karras !== 'boolean') fail('karras', 'true or false');
  if (r.timestepSpacing !== null && !TIMESTEP_SPACINGS.includes(r.timestepSpacing as TimestepSpacing)) {
    fail('timestepSpacing', `null or one of ${TIMESTEP_SPACINGS.join(', ')}`);
  }
  // Seeds travel as JSON numbers, exact only up to 2^53 - 1.
  if (!Number.isSafeInteger(r.seed) || (r.seed as number) < 0) fail('seed', 'a whole number from 0 to 2^53 - 1');
  if (r.initImage !== undefined && (typeof r.initImage !== 'string' || r.initImage === '')) {
    fail('initImage', 'a non-empty string when present');
  }
  if (r.strength !== undefined) {
    if (r.initImage === undefined) fail('strength', 'absent without initImage');
    if (typeof r.strength !== 'number' || !(r.strength > 0 && r.strength <= 1)) fail('strength', 'a number above 0 and at most 1');
  }
  const inpaint = inpaintProblem(r);
  if (inpaint !== undefined) throw new EngineError(`recipe: ${inpaint}`, 'image-input');
  if (r.guidanceRescale !== undefined && !(typeof r.guidanceRescale === 'number' && r.guidanceRescale >= 0 && r.guidanceRescale <= 1)) {
    fail('guidanceRescale', 'a number from 0 to 1 when present');
  }
  if (r.promptWeighting !== undefined && typeof r.promptWeighting !== 'boolean') fail('promptWeighting', 'true or false when present');
  if (r.refiner !== undefined && (typeof r.refiner !== 'string' || r.refiner === '')) fail('refiner', 'a non-empty string when present');
  if (r.refinerStart !== undefined) {
    if (r.refiner === undefined) fail('refinerStart', 'absent without refiner');
    if (typeof r.refinerStart !== 'number' || !(r.refinerStart > 0 && r.refinerStart < 1)) fail('refinerStart', 'a number between 0 and 1');
  }
  for (const field of ['aestheticScore', 'negativeAestheticScore']) {
    const score = r[field];
    if (score !== undefined && !(typeof score === 'number' && score >= 0 && score <= 10)) fail(field, 'a number from 0 to 10 when present');
  }
  if (r.tiling !== undefined && !TILINGS.includes(r.tiling as Tiling)) fail('tiling', `one of ${TILINGS.join(', ')} when present`);
  if (r.provider !== undefined && !isProviderReport(r.provider)) {
    fail('provider', `{ choice, provider, skipped: [{ provider, reason }] } with providers among ${PROVIDER_CHOICES.join(', ')}`);
  }
  if (r.vaeTiling !== undefined) {
    const tileSize = (r.vaeTiling as { tileSize?: unknown } | null)?.tileSize;
    if (typeof r.vaeTiling !== 'object' || vaeTilingProblem(r.vaeTiling) !== undefined || tileSize === undefined) {
      fail('vaeTiling', '{ tileSize } with a tile size in pixels when present');
    }
  }
  const finishProblem = finishStepsProblem(r.output, r.pixelArt);
  if (finishProblem) fail(finishProblem.field, finishProblem.expected);
  if (r.background !== undefined && !isBackgroundRemoval(r.background)) {
    fail('background', `{ mode: ${BACKGROUND_MODES.join(' | ')}, matting: a non-empty string, isolateSubject: true or false } when present`);
  }
  return knownFields(r as unknown as Recipe);
}

function isBackgroundRemoval(value: unknown): value is BackgroundRemoval {
  if (typeof value !== 'object' || value === null) return false;
  const background = value as Record<string, unknown>;
  return (
    (BACKGROUND_MODES as readonly unknown[]).includes(background.mode) &&
    typeof background.matting === 'string' &&
    background.matting !== '' &&
    typeof background.isolateSubject === 'boolean'
  );
}

function isProviderReport(value: unknown): value is ProviderReport {
  if (typeof value !== 'object' || value === null) return false;
  const report = value as Record<string, unknown>;
  const isName = (name: unknown) => name !== 'auto' && PROVIDER_CHOICES.includes(name as ProviderChoice);
  return (
    PROVIDER_CHOICES.includes(report.choice as ProviderChoice) &&
    isName(report.provider) &&
    Array.isArray(report.skipped) &&
    report.skipped.every(
      (skip: unknown) =>
        typeof skip === 'object' &&
        skip !== null &&
        isName((skip as Record<string, unknown>).provider) &&
        typeof (skip as Record<string, unknown>).reason === 'string',
    )
  );
}

export interface ImageMetadata {
  /** Our recipe; null when the file has none. */
  recipe: Recipe | null;
  /** AUTOMATIC1111's parameters text (ours or A1111's own); null when absent. */
  parameters: string | null;
}

/**
 * The generation metadata of an image file: PNG text chunks, or for other formats the XMP
 * recipe and the EXIF UserComment. Throws when a recipe is present but invalid.
 */
export async function readImageMetadata(path: string): Promise<ImageMetadata> {
  return readEmbeddedMetadata(await readFile(path));
}

export async function readRecipeFromFile(path: string): Promise<Recipe | null> {
  return (await readImageMetadata(path)).recipe;
}

export async function readEmbeddedMetadata(file: Uint8Array): Promise<ImageMetadata> {
  let recipeJson: string | null;
  let parameters: string | null;
  if (isPng(file)) {
    const texts = readPngTextChunks(file);
    recipeJson = texts.get(RECIPE_KEYWORD) ?? null;
    parameters = texts.get(PARAMETERS_KEYWORD) ?? null;
  } else {
    const { xmp, exif } = await sharp(file).metadata();
    recipeJson = xmp ? readRecipeJsonFromXmp(xmp.toString('utf8')) : null;
    // writeImage may have padded it against libvips' tail trimming; A1111 strips it too.
    parameters = exif ? (readExifUserComment(exif)?.trimEnd() ?? null) : null;
  }
  return { recipe: recipeJson === null ? null : parseRecipe(recipeJson), parameters };
}
