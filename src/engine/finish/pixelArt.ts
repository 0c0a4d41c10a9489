import type { PixelArt } from '../../protocol/recipe';
import { EngineError } from '../errors';
import { parseHexColor } from './fitSize';
import { mapToPalette, medianCutPalette } from './palette';
import type { RawImage } from './rawImage';

/**
 * Palette first, then the downscale: the palette is chosen from every pixel of the picture
 * rather than from the one in factor² that nearest-neighbour keeps, which aliasing picks; and
 * nearest-neighbour copies pixels without blending, so the sprite holds only palette colours.
 */
export function toPixelArt(image: RawImage, pixelArt: PixelArt): RawImage {
  const palette = pixelArt.palette
    ? pixelArt.palette.map(parseHexColor)
    : medianCutPalette(image, pixelArt.colors ?? Number.NaN);
  return downscaleNearest(mapToPalette(image, palette), pixelArt.factor);
}

/** Every factor×factor block becomes the pixel at its centre (the lower-right of the middle four for even factors). */
export function downscaleNearest(image: RawImage, factor: number): RawImage {
  const width = Math.floor(image.width / factor);
  const height = Math.floor(image.height / factor);
  if (!Number.isInteger(factor) || factor < 1 || width < 1 || height < 1) {
    throw new EngineError(`a ${image.width}x${image.height} picture cannot be shrunk by ${factor}.`, 'bad-request');
  }
  const offset = Math.floor(factor / 2);
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = ((y * factor + offset) * image.width + x * factor + offset) * 3;
      rgb.set(image.rgb.subarray(from, from + 3), (y * width + x) * 3);
    }
  }
  return { rgb, width, height };
}
