import sharp from 'sharp';

export type PreviewFamily = 'sdxl' | 'sd15';

export interface PreviewImage {
  /** Interleaved RGB, 8 bits per channel, one pixel per latent cell. */
  rgb: Uint8Array;
  width: number;
  height: number;
}

interface LatentRgbFactors {
  /** One row per latent channel; columns R, G, B. */
  factors: readonly (readonly [number, number, number])[];
  bias: readonly [number, number, number];
}

// latent_rgb_factors and latent_rgb_factors_bias of SDXL and SD15 in ComfyUI's comfy/latent_formats.py.
const FACTORS: Record<PreviewFamily, LatentRgbFactors> = {
  sdxl: {
    factors: [
      [0.3651, 0.4232, 0.4341],
      [-0.2533, -0.0042, 0.1068],
      [0.1076, 0.1111, -0.0362],
      [-0.3165, -0.2492, -0.2188],
    ],
    bias: [0.1084, -0.0175, -0.0011],
  },
  sd15: {
    factors: [
      [0.3512, 0.2297, 0.3227],
      [0.325, 0.4974, 0.235],
      [-0.2829, 0.1762, 0.2721],
      [-0.212, -0.2616, -0.7177],
    ],
    bias: [0, 0, 0],
  },
};

/**
 * A live preview without running the VAE: each latent cell maps linearly to roughly [-1, 1]
 * RGB, then to bytes as (x + 1) · 127.5, rounded and clamped. Only the first image of a batch
 * is shown.
 */
export function latentPreview(latents: Float32Array, shape: readonly number[], family: PreviewFamily): PreviewImage {
  const { factors, bias } = FACTORS[family];
  if (shape.length !== 4 || shape[1] !== factors.length) {
    throw new Error(`expected latents of shape [batch, ${factors.length}, h, w], got [${shape.join(', ')}]`);
  }
  const [, channels, height, width] = shape;
  const plane = width * height;
  if (latents.length < channels * plane) {
    throw new Error(`expected at least ${channels * plane} latent values for [${shape.join(', ')}], got ${latents.length}`);
  }
  const rgb = new Uint8Array(plane * 3);
  for (let pixel = 0; pixel < plane; pixel++) {
    for (let color = 0; color < 3; color++) {
      let value = bias[color];
      for (let channel = 0; channel < channels; channel++) {
        value += latents[channel * plane + pixel] * factors[channel][color];
      }
      rgb[pixel * 3 + color] = Math.min(255, Math.max(0, Math.round((value + 1) * 127.5)));
    }
  }
  return { rgb, width, height };
}

/** Previews are sent every few steps and thrown away, so speed matters more than size. */
export function encodePreviewPng(image: PreviewImage): Promise<Buffer> {
  return sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toBuffer();
}
