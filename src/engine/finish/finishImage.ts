import type { FinishSteps } from '../../protocol/recipe';
import { fitToSize } from './fitSize';
import { toPixelArt } from './pixelArt';
import type { RawImage } from './rawImage';

/**
 * The generated picture turned into the finished file's pixels: first the exact size, then
 * pixel art. With both, the picture is fitted to the output size times the pixel-art factor,
 * so that the sprite comes out at the asked size.
 */
export async function finishImage(image: RawImage, steps: FinishSteps): Promise<RawImage> {
  const { output, pixelArt } = steps;
  let finished = image;
  if (output) {
    const factor = pixelArt?.factor ?? 1;
    finished = await fitToSize(finished, { ...output, width: output.width * factor, height: output.height * factor });
  }
  return pixelArt ? toPixelArt(finished, pixelArt) : finished;
}
