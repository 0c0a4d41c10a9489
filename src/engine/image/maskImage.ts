// Inpainting masks: one byte per pixel, 255 repaints and 0 keeps, read from any image file and
// processed as diffusers' mask_processor (VaeImageProcessor with do_binarize and
// do_convert_grayscale) and VaeImageProcessor.blur do it.
import sharp from 'sharp';
import { EngineError } from '../errors';
import { decodeImageFile } from './readInputImage';

/** A single-channel 8-bit picture, row by row. */
export interface GrayImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * The mask in a file, oriented as displayed. When the file has an alpha channel that is not
 * opaque everywhere, the alpha is the mask (a painted stroke on a transparent layer: opaque
 * repaints, transparent keeps); otherwise its luma, PIL's convert("L") (ITU-R 601-2, in
 * Pillow's fixed point), so white repaints and black keeps, grey between.
 */
export async function readMaskImage(path: string): Promise<GrayImage> {
  const { data, info } = await decodeImageFile(
    path,
    () => sharp(path).autoOrient().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }),
    'mask',
  );
  const { width, height, channels } = info;
  if (channels < 1 || channels > 4) {
    throw new EngineError(`Cannot use the mask image ${path}: it decodes to ${channels} channels.`, 'image-input');
  }
  const pixels = width * height;
  const mask = new Uint8Array(pixels);
  const alpha = channels === 2 || channels === 4 ? channels - 1 : -1;
  if (alpha >= 0 && !opaque(data, channels, alpha)) {
    for (let i = 0; i < pixels; i++) mask[i] = data[i * channels + alpha];
  } else if (channels >= 3) {
    for (let i = 0; i < pixels; i++) mask[i] = luma(data[i * channels], data[i * channels + 1], data[i * channels + 2]);
  } else {
    for (let i = 0; i < pixels; i++) mask[i] = data[i * channels];
  }
  return { data: mask, width, height };
}

function opaque(data: Uint8Array, channels: number, alpha: number): boolean {
  for (let i = alpha; i < data.length; i += channels) if (data[i] !== 255) return false;
  return true;
}

/** Pillow's Convert.c L24: (R·19595 + G·38470 + B·7471 + 0x8000) >> 16. */
export function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;
}

/**
 * VaeImageProcessor.binarize after pil_to_numpy: u8 / 255 in float32, then < 0.5 → 0 and ≥ 0.5 → 1,
 * so 128 and above repaint.
 */
export function binarizeMask(mask: GrayImage): Float32Array {
  const out = new Float32Array(mask.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.fround(mask.data[i] / 255) >= 0.5 ? 1 : 0;
  return out;
}

/**
 * diffusers' prepare_mask_latents: torch.nn.functional.interpolate(mask, size=(h/f, w/f)) in its
 * default mode 'nearest', whose source index is floor(dst · in/out).
 */
export function latentMask(mask: Float32Array, width: number, height: number, latentWidth: number, latentHeight: number): Float32Array {
  const out = new Float32Array(latentWidth * latentHeight);
  const scaleX = Math.fround(width / latentWidth);
  const scaleY = Math.fround(height / latentHeight);
  for (let y = 0; y < latentHeight; y++) {
    const sy = Math.min(Math.floor(Math.fround(y * scaleY)), height - 1);
    for (let x = 0; x < latentWidth; x++) {
      const sx = Math.min(Math.floor(Math.fround(x * scaleX)), width - 1);
      out[y * latentWidth + x] = mask[sy * width + sx];
    }
  }
  return out;
}

/** Whether any pixel of the mask asks for repainting; a mask that keeps everything has nothing to inpaint. */
export function masksAnything(mask: GrayImage): boolean {
  return mask.data.some((v) => v !== 0);
}
