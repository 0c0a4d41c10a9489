// "Only masked" inpainting (diffusers' padding_mask_crop, AUTOMATIC1111's "Only masked"): the
// picture is cut around the mask, the cut is worked on at the model's size, and the result is
// pasted back over the original through the mask (inpainting over the whole picture pastes back
// too, without a crop). VaeImageProcessor's get_crop_region, resize modes "fill" and "crop", and
// apply_overlay, written for 8-bit pixels.
import { pilResize } from './pilResize';
import type { GrayImage } from './maskImage';
import type { RgbImage } from './readInputImage';

/** [x1, y1) – [x2, y2): the part of the picture that is worked on. */
export interface CropBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/**
 * VaeImageProcessor.get_crop_region: the bounding box of the mask's non-zero pixels, grown by
 * `pad` on each side within the picture, then widened or heightened (centred, shifted back
 * inside the picture) to the aspect ratio of width × height.
 */
export function cropRegion(mask: GrayImage, width: number, height: number, pad: number): CropBox {
  const { width: w, height: h, data } = mask;
  const columnUsed = (x: number) => {
    for (let y = 0; y < h; y++) if (data[y * w + x] !== 0) return true;
    return false;
  };
  const rowUsed = (y: number) => {
    for (let x = 0; x < w; x++) if (data[y * w + x] !== 0) return true;
    return false;
  };
  let left = 0;
  while (left < w && !columnUsed(left)) left++;
  let right = 0;
  while (right < w && !columnUsed(w - 1 - right)) right++;
  let top = 0;
  while (top < h && !rowUsed(top)) top++;
  let bottom = 0;
  while (bottom < h && !rowUsed(h - 1 - bottom)) bottom++;
  let x1 = Math.max(left - pad, 0);
  let y1 = Math.max(top - pad, 0);
  let x2 = Math.min(w - right + pad, w);
  let y2 = Math.min(h - bottom + pad, h);
  const ratioProcessing = width / height;
  if ((x2 - x1) / (y2 - y1) > ratioProcessing) {
    const diff = Math.trunc((x2 - x1) / ratioProcessing - (y2 - y1));
    [y1, y2] = centredSpan(y1, y2, diff, h);
  } else {
    const diff = Math.trunc((y2 - y1) * ratioProcessing - (x2 - x1));
    [x1, x2] = centredSpan(x1, x2, diff, w);
  }
  return { x1, y1, x2, y2 };
}

/** get_crop_region's widening of one axis by `diff` (Python's floor division), kept inside [0, size]. */
function centredSpan(start: number, end: number, diff: number, size: number): [number, number] {
  start -= Math.floor(diff / 2);
  end += diff - Math.floor(diff / 2);
  if (end >= size) {
    const over = end - size;
    end -= over;
    start -= over;
  }
  if (start < 0) {
    end -= start;
    start = 0;
  }
  if (end >= size) end = size;
  return [start, end];
}

/** A picture of 1 (gray) or 3 (RGB) interleaved 8-bit channels. */
type Pixels = { data: Uint8Array; width: number; height: number };

export function cropPixels<T extends Pixels>(image: T, box: CropBox): T {
  const channels = image.data.length / (image.width * image.height);
  const width = box.x2 - box.x1;
  const height = box.y2 - box.y1;
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const from = ((box.y1 + y) * image.width + box.x1) * channels;
    data.set(image.data.subarray(from, from + width * channels), y * width * channels);
  }
  return { ...image, data, width, height };
}

/** A plain resize to exactly width × height with PIL's LANCZOS (VaeImageProcessor.resize, mode "default"). */
export async function resizePixels<T extends Pixels>(image: T, width: number, height: number): Promise<T> {
  return image.width === width && image.height === height ? image : pilResize(image, width, height);
}

/**
 * VaeImageProcessor._resize_and_fill: scaled to fit inside width × height keeping its aspect and
 * centred; each uncovered band is PIL's resize (bicubic, its default) of the zero-height (or
 * zero-width) box at the picture's first or last row (column): a blend of the rows at the edge.
 */
export async function resizeFill<T extends Pixels>(image: T, width: number, height: number): Promise<T> {
  const ratio = width / height;
  const sourceRatio = image.width / image.height;
  const fitWidth = ratio < sourceRatio ? width : Math.floor((image.width * height) / image.height);
  const fitHeight = ratio >= sourceRatio ? height : Math.floor((image.height * width) / image.width);
  const resized = await resizePixels(image, fitWidth, fitHeight);
  const out = { ...image, data: new Uint8Array(width * height * (image.data.length / (image.width * image.height))), width, height };
  paste(out, resized, Math.floor(width / 2) - Math.floor(fitWidth / 2), Math.floor(height / 2) - Math.floor(fitHeight / 2));
  if (ratio < sourceRatio) {
    const band = Math.floor(height / 2) - Math.floor(fitHeight / 2);
    if (band > 0) {
      paste(out, pilResize(resized, width, band, 'bicubic', { x0: 0, y0: 0, x1: width, y1: 0 }), 0, 0);
      paste(out, pilResize(resized, width, band, 'bicubic', { x0: 0, y0: fitHeight, x1: width, y1: fitHeight }), 0, band + fitHeight);
    }
  } else if (ratio > sourceRatio) {
    const band = Math.floor(width / 2) - Math.floor(fitWidth / 2);
    if (band > 0) {
      paste(out, pilResize(resized, band, height, 'bicubic', { x0: 0, y0: 0, x1: 0, y1: height }), 0, 0);
      paste(out, pilResize(resized, band, height, 'bicubic', { x0: fitWidth, y0: 0, x1: fitWidth, y1: height }), band + fitWidth, 0);
    }
  }
  return out;
}

/** PIL's paste at (left, top), clipped to the target. */
function paste(target: Pixels, source: Pixels, left: number, top: number): void {
  const channels = target.data.length / (target.width * target.height);
  for (let y = Math.max(0, -top); y < source.height && y + top < target.height; y++) {
    for (let x = Math.max(0, -left); x < source.width && x + left < target.width; x++) {
      const from = (y * source.width + x) * channels;
      target.data.set(source.data.subarray(from, from + channels), ((y + top) * target.width + x + left) * channels);
    }
  }
}

/**
 * VaeImageProcessor._resize_and_crop: scaled to cover width × height keeping its aspect, the
 * overhang cut off equally on both sides.
 */
async function resizeCrop(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  const ratio = width / height;
  const sourceRatio = image.width / image.height;
  const coverWidth = ratio > sourceRatio ? width : Math.floor((image.width * height) / image.height);
  const coverHeight = ratio <= sourceRatio ? height : Math.floor((image.height * width) / image.width);
  const resized = await resizePixels(image, coverWidth, coverHeight);
  const left = Math.floor(coverWidth / 2) - Math.floor(width / 2);
  const top = Math.floor(coverHeight / 2) - Math.floor(height / 2);
  return cropPixels(resized, { x1: left, y1: top, x2: left + width, y2: top + height });
}

/**
 * VaeImageProcessor.apply_overlay with crop_coords (the whole picture's box stands for a call
 * without them): the generated picture, resized into the crop box, under the original, whose
 * opacity is the inverted mask, so unmasked pixels come back unchanged and a blurred mask's ramp
 * is the feathered edge. Pillow's integer steps are kept
 * (paste through an "L" mask into RGBa, RGBa → RGBA, alpha_composite), so the pixels match PIL's.
 */
export async function overlayInpainted(original: RgbImage, mask: GrayImage, generated: RgbImage, box: CropBox): Promise<RgbImage> {
  const { width, height } = original;
  const fitted = await resizeCrop(generated, box.x2 - box.x1, box.y2 - box.y1);
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const keep = 255 - mask.data[i];
      const inside = x >= box.x1 && x < box.x2 && y >= box.y1 && y < box.y2;
      const under = inside ? ((y - box.y1) * fitted.width + (x - box.x1)) * 3 : -1;
      for (let c = 0; c < 3; c++) {
        const background = under >= 0 ? fitted.data[under + c] : 0;
        out[i * 3 + c] = composite(original.data[i * 3 + c], keep, background);
      }
    }
  }
  return { data: out, width, height };
}

/**
 * One channel of the original at opacity `alpha` over an opaque background: Pillow's paste through
 * a mask (a rounded division by 255), its RGBa → RGBA unpremultiply (a floor division), and
 * ImagingAlphaComposite's 7-bit fixed point.
 */
function composite(value: number, alpha: number, background: number): number {
  if (alpha === 0) return background;
  const premultiplied = div255(value * alpha);
  const straight = alpha === 255 ? premultiplied : Math.min(255, Math.floor((255 * premultiplied) / alpha));
  const coef1 = alpha * 128;
  const coef2 = 255 * 128 - coef1;
  const blended = straight * coef1 + background * coef2 + (0x80 << 7);
  return shiftForDiv255(blended) >> 7;
}

/** Pillow's DIV255 after its BLEND: (a + 128 + ((a + 128) >> 8)) >> 8, a division by 255 rounded to nearest. */
function div255(a: number): number {
  const t = a + 128;
  return (t + (t >> 8)) >> 8;
}

/** Pillow's SHIFTFORDIV255: ((a >> 8) + a) >> 8. */
function shiftForDiv255(a: number): number {
  return ((a >> 8) + a) >> 8;
}
