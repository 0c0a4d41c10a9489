import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, parse } from 'node:path';
import sharp from 'sharp';
import { isOutputFormat, type OutputFormat } from '../../protocol/generationLimits';
import { EngineError } from '../errors';
import type { Recipe } from '../../protocol/recipe';
import { formatA1111Parameters } from './a1111Parameters';
import { insertPngTextChunks } from './pngText';
import { PARAMETERS_KEYWORD, readEmbeddedMetadata, RECIPE_KEYWORD, serializeRecipe } from './recipeMetadata';
import { recipeXmp } from './xmp';


export interface WriteImageOptions {
  format: OutputFormat;
  /** 4: the pixels are RGBA, for PNG and WebP (JPEG has no alpha); default 3, RGB. */
  channels?: 3 | 4;
  /** Embedded so that the file alone regenerates the image. */
  recipe?: Recipe;
  /** WebP and JPEG only, 1–100; defaults 90 and 92 keep generated detail visually intact. */
  quality?: number;
  /**
   * A taken name is refused (the default), moves on to the next free `stem-N.ext`, or is replaced
   * in one rename (a manifest build remaking an outdated asset: readers see the old file or the new).
   */
  ifExists?: 'fail' | 'next-free' | 'replace';
  /** With next-free: the number to start from (2 tries `stem-2.ext` first). */
  firstNumber?: number;
}

const DEFAULT_QUALITY = { webp: 90, jpeg: 92 } as const;

/**
 * Encodes interleaved 8-bit RGB, or RGBA with `channels: 4`. With a recipe, PNG gets a
 * `parameters` text chunk (read by AUTOMATIC1111 and most viewers) and an iTXt
 * `sdxl-assets-recipe` chunk; WebP and JPEG get the
 * parameters in EXIF UserComment, where A1111 looks (libvips folds it to ASCII), and the recipe
 * JSON in XMP as sdxlAssets:recipe.
 */
export async function encodeImage(
  rgb: Uint8Array,
  width: number,
  height: number,
  options: WriteImageOptions,
): Promise<Buffer> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`image size must be positive whole numbers, got ${width}x${height}`);
  }
  const channels = options.channels ?? 3;
  if (rgb.length !== width * height * channels) {
    throw new Error(`expected ${width * height * channels} bytes of ${channels === 4 ? 'RGBA' : 'RGB'} for ${width}x${height}, got ${rgb.length}`);
  }
  const { format, recipe } = options;
  // Anything else would fall through to JPEG and land in a file named for another format.
  if (!isOutputFormat(format)) throw new EngineError(`Unknown image format "${String(format)}"; use png, webp or jpeg.`, 'bad-request');
  if (channels === 4 && format === 'jpeg') {
    throw new EngineError('JPEG has no alpha channel; save a transparent background as PNG or WebP.', 'bad-request');
  }
  const image = sharp(rgb, { raw: { width, height, channels } });
  if (format === 'png') {
    const png = await image.png().toBuffer();
    if (!recipe) return png;
    return insertPngTextChunks(png, [
      { keyword: PARAMETERS_KEYWORD, text: formatA1111Parameters(recipe) },
      { keyword: RECIPE_KEYWORD, text: serializeRecipe(recipe), utf8: true },
    ]);
  }
  if (recipe) {
    image
      .withExif({ IFD2: { UserComment: guardAgainstTailTrim(formatA1111Parameters(recipe)) } })
      .withXmp(recipeXmp(serializeRecipe(recipe)));
  }
  const quality = options.quality ?? DEFAULT_QUALITY[format];
  // exact: lossy WebP otherwise replaces the colour under transparent pixels; the matte stays lossless.
  const webpOptions = channels === 4 ? { quality, alphaQuality: 100, exact: true } : { quality };
  const encoded = await (format === 'webp' ? image.webp(webpOptions) : image.jpeg({ quality })).toBuffer();
  // libvips silently leaves out XMP that does not fit (about 59 kB in JPEG's APP1 segment).
  if (recipe && (await readEmbeddedMetadata(encoded)).recipe === null) {
    throw new EngineError(`the recipe is too large for ${format} metadata; save as PNG instead`, 'bad-request');
  }
  return encoded;
}

/**
 * libvips drops a trailing " (…)" from EXIF strings, taking it for the annotation it adds when it
 * prints them. A trailing space stops that, and A1111 strips the text before parsing.
 */
function guardAgainstTailTrim(text: string): string {
  return text.endsWith(')') ? `${text} ` : text;
}

/**
 * Encodes and writes the image as a new file, never replacing one: the bytes go to a temporary
 * file first and are hard-linked to the final name, which fails when the name exists, so two
 * writers racing for one name cannot both get it and readers never see a partial file. With
 * `ifExists: 'next-free'` a taken name moves on to `stem-N.ext`; with 'replace' the file takes its
 * place by a rename; otherwise it is refused. The
 * folder is created when missing. Resolves to the path written.
 */
export async function writeImage(
  path: string,
  rgb: Uint8Array,
  width: number,
  height: number,
  options: WriteImageOptions,
): Promise<string> {
  const data = await encodeImage(rgb, width, height, options);
  const folder = dirname(path);
  await mkdir(folder, { recursive: true });
  // Same folder, so that the link stays on one file system.
  const temp = join(folder, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let created = false;
  try {
    const handle = await open(temp, 'wx');
    created = true;
    try {
      await handle.writeFile(data);
      // Flushed before the link, so a crash cannot leave an empty file under the final name.
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.ifExists === 'replace') {
      await rename(temp, path);
      created = false;
      return path;
    }
    for (let n = options.firstNumber ?? 1; n < MAX_NUMBER; n++) {
      const candidate = numberedPath(path, n);
      if (await claim(temp, candidate)) return candidate;
      if (options.ifExists !== 'next-free') {
        throw new EngineError(`${candidate} already exists and was not overwritten; choose another name.`, 'EEXIST');
      }
    }
    throw new EngineError(`No free file name left beside ${path}.`, 'EEXIST');
  } finally {
    if (created) await unlink(temp).catch(() => undefined);
  }
}

/** Far beyond any real folder; only stops a loop over a folder that refuses every name. */
const MAX_NUMBER = 100_000;

/** `path` itself for 1, then its stem with -2, -3, … before the extension. */
export function numberedPath(path: string, n: number): string {
  if (n <= 1) return path;
  const { dir, name, ext } = parse(path);
  return join(dir, `${name}-${n}${ext}`);
}

/**
 * Gives the temporary file the final name unless that name exists. A hard link is created whole
 * or not at all and, unlike rename, refuses an existing target. File systems without hard links
 * (FAT, exFAT, some network shares) get an exclusive copy instead: still never a replacement.
 */
export async function claim(temp: string, path: string): Promise<boolean> {
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
  }
  try {
    await copyFile(temp, path, constants.COPYFILE_EXCL);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    // Not EEXIST, so the name was free and what is there is this copy's partial output.
    await unlink(path).catch(() => undefined);
    throw error;
  }
}
