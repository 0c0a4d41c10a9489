import type { PixelArt } from '../../protocol/recipe';
import { EngineError } from '../errors';
import { parseHexColor } from './fitSize';
import { isVisible, mapToPalette, medianCutPalette } from './palette';
import { channelsOf, type RawImage } from './rawImage';

/**
 * Palette first, then the downscale: the palette is chosen from every pixel of the picture
 * rather than from the one in factor² that nearest-neighbour keeps, which aliasing picks; and
 * nearest-neighbour copies pixels without blending, so the sprite holds only palette colours.
 * An RGBA picture's palette comes from its visible pixels, and its alpha ends as 0 or 255.
 */
export function toPixelArt(image: RawImage, pixelArt: PixelArt): RawImage {
  const palette = pixelArt.palette
    ? pixelArt.palette.map(parseHexColor)
    : medianCutPalette(image, pixelArt.colors ?? Number.NaN);
  // Mapping is per pixel, so mapping only the pixels the downscale keeps gives the same sprite for 1/factor² of the work.
  const small = mapToPalette(downscaleNearest(image, pixelArt.factor), palette);
  return channelsOf(small) === 4 ? thresholdAlpha(small) : small;
}

/** Visible pixels made opaque, the rest transparent black: crisp at any zoom, the same bytes every time. */
function thresholdAlpha(image: RawImage): RawImage {
  const rgba = image.rgb.slice();
  for (let i = 0; i < rgba.length; i += 4) {
    if (isVisible(rgba[i + 3])) rgba[i + 3] = 255;
    else rgba.fill(0, i, i + 4);
  }
  return { ...image, rgb: rgba };
}

/** Every factor×factor block becomes the pixel at its centre (the lower-right of the middle four for even factors). */
export function downscaleNearest(image: RawImage, factor: number): RawImage {
  const width = Math.floor(image.width / factor);
  const height = Math.floor(image.height / factor);
  if (!Number.isInteger(factor) || factor < 1 || width < 1 || height < 1) {
    throw new EngineError(`a ${image.width}x${image.height} picture cannot be shrunk by ${factor}.`, 'bad-request');
  }
  const offset = Math.floor(factor / 2);
  const channels = channelsOf(image);
  const rgb = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = ((y * factor + offset) * image.width + x * factor + offset) * channels;
      rgb.set(image.rgb.subarray(from, from + channels), (y * width + x) * channels);
    }
  }
  return { ...image, rgb, width, height };
}
