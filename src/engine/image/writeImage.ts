import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import sharp from 'sharp';
import type { Recipe } from '../recipe';
import { formatA1111Parameters } from './a1111Parameters';
import { insertPngTextChunks } from './pngText';
import { PARAMETERS_KEYWORD, readEmbeddedMetadata, RECIPE_KEYWORD, serializeRecipe } from './recipeMetadata';
import { recipeXmp } from './xmp';

export type OutputFormat = 'png' | 'webp' | 'jpeg';

export interface WriteImageOptions {
  format: OutputFormat;
  /** Embedded so that the file alone regenerates the image. */
  recipe?: Recipe;
  /** WebP and JPEG only, 1–100; defaults 90 and 92 keep generated detail visually intact. */
  quality?: number;
  /** Fail instead of replacing a file already at the path, even one created while encoding. */
  exclusive?: boolean;
}

const DEFAULT_QUALITY = { webp: 90, jpeg: 92 } as const;

/**
 * Encodes interleaved 8-bit RGB. With a recipe, PNG gets a `parameters` text chunk (read by
 * AUTOMATIC1111 and most viewers) and an iTXt `sdxl-assets-recipe` chunk; WebP and JPEG get the
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
  if (rgb.length !== width * height * 3) {
    throw new Error(`expected ${width * height * 3} bytes of RGB for ${width}x${height}, got ${rgb.length}`);
  }
  const { format, recipe } = options;
  const image = sharp(rgb, { raw: { width, height, channels: 3 } });
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
  const encoded = await (format === 'webp' ? image.webp({ quality }) : image.jpeg({ quality })).toBuffer();
  // libvips silently leaves out XMP that does not fit (about 59 kB in JPEG's APP1 segment).
  if (recipe && (await readEmbeddedMetadata(encoded)).recipe === null) {
    throw new Error(`the recipe is too large for ${format} metadata; save as PNG instead`);
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
 * Encodes and writes the image atomically: readers never see a partial file and an existing
 * file is replaced only by a complete one (or, with `exclusive`, never). The folder is created
 * when missing.
 */
export async function writeImage(
  path: string,
  rgb: Uint8Array,
  width: number,
  height: number,
  options: WriteImageOptions,
): Promise<void> {
  const data = await encodeImage(rgb, width, height, options);
  const folder = dirname(path);
  await mkdir(folder, { recursive: true });
  // Same folder, so that rename stays on one file system and is atomic.
  const temp = join(folder, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let created = false;
  try {
    const handle = await open(temp, 'wx');
    created = true;
    try {
      await handle.writeFile(data);
      // Flushed before the rename, so a crash cannot leave an empty file under the final name.
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.exclusive) {
      await linkExclusive(temp, path);
      await unlink(temp);
    } else {
      await rename(temp, path);
    }
  } catch (error) {
    if (created) await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/** A hard link is created whole or not at all and, unlike rename, refuses an existing target. */
async function linkExclusive(temp: string, path: string): Promise<void> {
  try {
    await link(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw Object.assign(new Error(`${path} already exists and was not overwritten.`), { code: 'EEXIST' });
  }
}
