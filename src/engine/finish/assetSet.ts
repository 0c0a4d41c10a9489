import type { OutputSize, Recipe } from '../../protocol/recipe';
import { throwIfAborted } from '../errors';
import { encodeImage } from '../image/writeImage';
import { finishImage } from './finishImage';
import { buildIco } from './ico';
import { channelsOf, type RawImage } from './rawImage';

/** One file of a set: its name inside the set's folder (or beside the asked file) and its bytes. */
export interface SetFile {
  name: string;
  data: Uint8Array;
}

const ICON_SIZES = [16, 32, 48, 64, 128, 256, 512];
/** The set's file a single picture stands for it by. */
export const LARGEST_ICON = 'icon-512x512.png';
const APPLE_TOUCH_SIZE = 180;
const ANDROID_SIZES = [48, 72, 96, 144, 192, 512];
/** What browsers and Windows pick from for a tab or a shortcut. */
const FAVICON_SIZES = [16, 32, 48];

/**
 * A site's icon set from one generated picture: `icon-NxN.png` for 16 to 512, `favicon.ico`
 * (16, 32 and 48 as PNG entries), `apple-touch-icon.png` (180), `android-chrome-NxN.png` (48 to
 * 512), `site.webmanifest` listing the Android icons and `icons.json` listing every file. Each
 * PNG carries its own recipe, whose output size is the icon's, so it regenerates on its own.
 * The recipe's output gives the fit (cover around the centre without one); its size is replaced
 * by each icon's.
 */
export async function iconSetFiles(image: RawImage, recipe: Recipe, signal?: AbortSignal): Promise<SetFile[]> {
  const fit: OutputSize = recipe.output ?? { width: 1, height: 1, fit: 'cover', focus: [0.5, 0.5] };
  const pngs = new Map<number, Uint8Array>();
  const bare = new Map<number, Uint8Array>();
  const sides = [...new Set([...ICON_SIZES, APPLE_TOUCH_SIZE, ...ANDROID_SIZES])].sort((a, b) => a - b);
  for (const side of sides) {
    throwIfAborted(signal);
    const output: OutputSize = { ...fit, width: side, height: side };
    const icon = await finishImage(image, { output, pixelArt: recipe.pixelArt });
    const withRecipe: Recipe = { ...recipe, output };
    const channels = channelsOf(icon);
    pngs.set(side, await encodeImage(icon.rgb, icon.width, icon.height, { format: 'png', channels, recipe: withRecipe }));
    // The favicon's entries stay bare: browsers fetch it on every site visit.
    if (FAVICON_SIZES.includes(side)) bare.set(side, await encodeImage(icon.rgb, icon.width, icon.height, { format: 'png', channels }));
  }
  const png = (side: number) => pngs.get(side) as Uint8Array;
  const files: (SetFile & { size?: number; purpose: string })[] = [
    ...ICON_SIZES.map((side) => ({ name: `icon-${side}x${side}.png`, data: png(side), size: side, purpose: 'icon' })),
    {
      name: 'favicon.ico',
      data: buildIco(FAVICON_SIZES.map((side) => ({ size: side, png: bare.get(side) as Uint8Array }))),
      purpose: `favicon (${FAVICON_SIZES.join(', ')})`,
    },
    { name: 'apple-touch-icon.png', data: png(APPLE_TOUCH_SIZE), size: APPLE_TOUCH_SIZE, purpose: 'apple-touch-icon' },
    ...ANDROID_SIZES.map((side) => ({ name: `android-chrome-${side}x${side}.png`, data: png(side), size: side, purpose: 'android' })),
  ];
  const webmanifest = {
    icons: files
      .filter((file) => file.purpose === 'android')
      .map((file) => ({ src: file.name, sizes: `${file.size}x${file.size}`, type: 'image/png' })),
  };
  const listing = {
    model: recipe.model,
    seed: recipe.seed,
    files: files.map(({ name, size, purpose }) => ({ name, ...(size ? { size } : {}), purpose })),
  };
  return [
    ...files.map(({ name, data }) => ({ name, data })),
    { name: 'site.webmanifest', data: json(webmanifest) },
    { name: 'icons.json', data: json(listing) },
  ];
}

/**
 * `@1x/@2x/@3x` variants: the output size times each density, named `stem.ext` for 1 and
 * `stem@Nx.ext` otherwise, each with its own recipe.
 */
export async function densityFiles(
  image: RawImage,
  recipe: Recipe & { output: OutputSize },
  densities: readonly number[],
  stem: string,
  options: { format: 'png' | 'webp' | 'jpeg'; extension: string; embedRecipe: boolean },
  signal?: AbortSignal,
): Promise<SetFile[]> {
  const files: SetFile[] = [];
  for (const density of densities) {
    throwIfAborted(signal);
    const output: OutputSize = { ...recipe.output, width: recipe.output.width * density, height: recipe.output.height * density };
    const variant = await finishImage(image, { output, pixelArt: recipe.pixelArt });
    const data = await encodeImage(variant.rgb, variant.width, variant.height, {
      format: options.format,
      channels: channelsOf(variant),
      recipe: options.embedRecipe ? { ...recipe, output } : undefined,
    });
    files.push({ name: `${stem}${density === 1 ? '' : `@${density}x`}.${options.extension}`, data });
  }
  return files;
}

function json(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}
