// Outpainting: the canvas grows by the margins, the new border is filled before encoding and
// masked, and the job inpaints it.
import type { Outpaint } from '../../protocol/recipe';
import type { GrayImage } from './maskImage';
import type { RgbImage } from './readInputImage';

/**
 * The picture with its edge pixels repeated outwards over the margins (numpy.pad mode='edge'):
 * the new area starts from the colours at the border rather than from black, which the VAE would
 * encode as a hard edge the denoiser keeps. The mask is the new border plus the given mask, whose
 * pixels keep their place.
 */
export function outpaintCanvas(image: RgbImage, mask: GrayImage | undefined, margins: Outpaint): { image: RgbImage; mask: GrayImage } {
  const { left, top, right, bottom } = margins;
  const width = image.width + left + right;
  const height = image.height + top + bottom;
  const data = new Uint8Array(width * height * 3);
  const border = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.max(y - top, 0), image.height - 1);
    for (let x = 0; x < width; x++) {
      const sx = Math.min(Math.max(x - left, 0), image.width - 1);
      const from = (sy * image.width + sx) * 3;
      data.set(image.data.subarray(from, from + 3), (y * width + x) * 3);
      const inside = x >= left && x < left + image.width && y >= top && y < top + image.height;
      border[y * width + x] = inside ? (mask ? mask.data[(y - top) * image.width + (x - left)] : 0) : 255;
    }
  }
  return { image: { data, width, height }, mask: { data: border, width, height } };
}
