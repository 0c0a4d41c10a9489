// Image-to-image input: any file sharp decodes (PNG, JPEG, WebP, …; grayscale, alpha, 16 bits)
// becomes the VAE encoder's [1,3,H,W] tensor in [-1,1] at the size being generated.
import { existsSync } from 'node:fs';
import sharp from 'sharp';
import { EngineError } from '../errors';
import { rgbToModelInput } from './postprocess';

export interface ImageSize {
  width: number;
  height: number;
}

/** The image's size as it is displayed, i.e. after its EXIF orientation (diffusers' load_image applies it too). */
export async function readImageSize(path: string): Promise<ImageSize> {
  const meta = await decodeImageFile(path, () => sharp(path).metadata());
  return meta.autoOrient;
}

/**
 * The image oriented, resized to exactly width × height (diffusers' VaeImageProcessor with
 * resize_mode "default": a plain resize with a Lanczos filter, no crop), with any alpha
 * composited on white, scaled to [-1, 1] as `2 · u8 / 255 − 1`.
 */
export async function readInputImage(path: string, width: number, height: number): Promise<Float32Array> {
  const size = await readImageSize(path);
  const { data, info } = await decodeImageFile(path, () => {
    let image = sharp(path).autoOrient();
    // An image already at the size stays untouched, as PIL's resize leaves it.
    if (size.width !== width || size.height !== height) {
      image = image.resize(width, height, { fit: 'fill', kernel: 'lanczos3', fastShrinkOnLoad: false });
    }
    // 8 bits per channel like PIL's RGB mode; grayscale and CMYK become sRGB.
    return image.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  });
  if (info.channels !== 3 && info.channels !== 4) {
    throw new EngineError(`Cannot use the input image ${path}: it decodes to ${info.channels} channels.`, 'image-input');
  }
  return rgbToModelInput(data, info.width, info.height, info.channels);
}

/** Runs a sharp read, turning a missing or undecodable file into one line that names it (as the input image or the mask). */
export async function decodeImageFile<T>(path: string, read: () => Promise<T>, role: 'input' | 'mask' = 'input'): Promise<T> {
  if (!existsSync(path)) throw new EngineError(`${role === 'input' ? 'Input' : 'Mask'} image not found: ${path}`, 'image-input');
  try {
    return await read();
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    throw new EngineError(`Cannot read the ${role} image ${path}: ${reason}`, 'image-input');
  }
}

/** Interleaved 8-bit RGB pixels, row by row. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * The image oriented, at its own size, as 8-bit RGB with any alpha composited on white the way
 * readInputImage does, for the steps that work on pixels before the VAE (inpainting's crop and
 * outpainting's canvas).
 */
export async function readInputPixels(path: string): Promise<RgbImage> {
  const { data, info } = await decodeImageFile(path, () =>
    sharp(path).autoOrient().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }),
  );
  const { width, height, channels } = info;
  if (channels !== 3 && channels !== 4) {
    throw new EngineError(`Cannot use the input image ${path}: it decodes to ${channels} channels.`, 'image-input');
  }
  if (channels === 3) return { data: new Uint8Array(data), width, height };
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const alpha = data[i * 4 + 3];
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = Math.floor((data[i * 4 + c] * alpha + 255 * (255 - alpha)) / 255);
  }
  return { data: rgb, width, height };
}
