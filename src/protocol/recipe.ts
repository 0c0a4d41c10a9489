import type { BackgroundRemoval } from './background';
import type { ProviderReport } from './providerChoice';

/** Sampler names as users type them on the CLI and as they are stored in recipes. */
export const SAMPLERS = ['euler', 'euler-a', 'ddim', 'dpmpp-2m', 'lcm', 'pndm'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/**
 * Tiled VAE, as diffusers' AutoencoderKL after enable_tiling(): the latents are decoded (and an
 * input image encoded) in square tiles of tileSize pixels that overlap by a quarter and are blended
 * linearly. Lower peak memory at large sizes; the pixels differ slightly from a decode in one piece.
 */
export interface VaeTiling {
  tileSize: number;
}

/**
 * Seamless tiles (AUTOMATIC1111's "Tiling"): every padded convolution of the UNet and VAE wraps
 * around the image's edges, across its width (x), its height (y) or both, so the picture repeats
 * without a seam along those axes.
 */
export const TILINGS = ['x', 'y', 'both'] as const;
export type Tiling = (typeof TILINGS)[number];

/**
 * Inpainting: where the masked part of the input image is repainted. 'full' denoises the whole
 * picture and keeps the unmasked part; 'masked' crops around the mask, works at the model's size
 * there and pastes the result back with a feathered edge (diffusers' padding_mask_crop,
 * AUTOMATIC1111's "Only masked").
 */
export const INPAINT_AREAS = ['full', 'masked'] as const;
export type InpaintArea = (typeof INPAINT_AREAS)[number];

/** Outpainting: pixels added to each side of the input image; the new border is filled, masked and inpainted. */
export interface Outpaint {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export const TIMESTEP_SPACINGS = ['leading', 'trailing', 'linspace'] as const;
export type TimestepSpacing = (typeof TIMESTEP_SPACINGS)[number];

/** How a generated picture becomes the asked size: scaled to fill and cut, scaled to fit and padded, or cut without scaling. */
export const OUTPUT_FITS = ['cover', 'contain', 'crop'] as const;
export type OutputFit = (typeof OUTPUT_FITS)[number];

/** The finished file's exact size, made from the generated picture after decoding. */
export interface OutputSize {
  width: number;
  height: number;
  fit: OutputFit;
  /** cover and crop: the point of the generated picture kept in view, as fractions of its width and height. */
  focus?: [number, number];
  /** contain: the colour of the padding, `#rrggbb`; absent, white, or transparent under a transparent background. */
  background?: string;
}

/**
 * Pixel art: the picture is reduced to a palette, then shrunk by a whole factor with
 * nearest-neighbour sampling, so every output pixel is one palette colour.
 */
export interface PixelArt {
  factor: number;
  /** Median-cut palette of this many colours, computed from the picture (absent when `palette` is given). */
  colors?: number;
  /** A fixed palette, `#rrggbb` each: a palette file's colours, recorded rather than its path. */
  palette?: string[];
}

/**
 * Everything needed to regenerate one image. It travels inside the image file, so a field
 * once written must keep its meaning.
 */
export interface Recipe {
  version: 1;
  /** Model folder name (or catalog id) the image was made with. */
  model: string;
  prompt: string;
  /** null: no negative prompt (zeroed embeddings when the model forces zeros); '' is encoded. */
  negativePrompt: string | null;
  width: number;
  height: number;
  steps: number;
  guidance: number;
  sampler: SamplerName;
  karras: boolean;
  /** null: the spacing of the model's scheduler_config.json. */
  timestepSpacing: TimestepSpacing | null;
  seed: number;
  /** Image-to-image: the input image's file name or path as the user gave it (absent for text-to-image). */
  initImage?: string;
  /** Image-to-image: the share of the denoising steps run on the noised input, in (0, 1]; the larger, the less of the input survives. */
  strength?: number;
  /**
   * Inpainting (needs initImage): the mask image's file name or path as the user gave it. White
   * repaints, black keeps, grey is in between; in a mask whose alpha channel is not opaque
   * everywhere the alpha is the mask (opaque repaints, transparent keeps), whatever the colours.
   */
  mask?: string;
  /** Inpainting: the mask's Gaussian blur radius in pixels before use (diffusers' VaeImageProcessor.blur); absent: 0. */
  maskBlur?: number;
  /** Inpainting: absent means 'full'. */
  inpaintArea?: InpaintArea;
  /** Inpainting with inpaintArea 'masked': the margin in pixels around the mask's bounding box (diffusers' padding_mask_crop). */
  maskPadding?: number;
  /** Outpainting (needs initImage): the canvas grows by these margins and the new area is added to the mask. */
  outpaint?: Outpaint;
  /**
   * Rescales the guided prediction toward the conditional one's standard deviation (Lin et al.
   * 2023, diffusers' guidance_rescale), in [0, 1]; absent means 0, off.
   */
  guidanceRescale?: number;
  /**
   * AUTOMATIC1111's prompt syntax: `(word:1.2)` weights, and prompts past 75 tokens encoded in
   * 77-token chunks. Absent means off: the prompt is read as diffusers reads it.
   */
  promptWeighting?: boolean;
  /**
   * Base→refiner hand-off (diffusers' "ensemble of expert denoisers"): the refiner model's
   * folder name or catalog id, as `model` names the base. Absent: the base alone.
   */
  refiner?: string;
  /**
   * With a refiner: the fraction of the schedule the base runs before the refiner takes the
   * latents over (diffusers' denoising_end on the base, denoising_start on the refiner), in (0, 1).
   */
  refinerStart?: number;
  /**
   * The aesthetic score an SDXL refiner UNet is conditioned on (its time ids end with it);
   * present only when a UNet of the job takes one. diffusers' defaults: 6 and 2.5 for the negative.
   */
  aestheticScore?: number;
  negativeAestheticScore?: number;
  /**
   * Where the image was computed: the ONNX Runtime provider, what was asked for, and the
   * providers passed over with their reasons. A record, not a setting: regenerating uses the
   * provider chosen then, and GPU kernels may round differently from the CPU's.
   */
  provider?: ProviderReport;
  /**
   * Present when the VAE ran in tiles (the image was larger than the tile), so that regenerating
   * tiles the same way and gives the same pixels. Absent: decoded and encoded in one piece.
   */
  vaeTiling?: VaeTiling;
  /** Post-processing: the finished file's exact size. Absent: the generated size. */
  output?: OutputSize;
  /** Post-processing after `output`: palette reduction and an integer nearest-neighbour downscale. */
  pixelArt?: PixelArt;
  /**
   * After decoding, the background was made transparent by a matting model (an RGBA file);
   * absent: the image as decoded.
   */
  background?: BackgroundRemoval;
  /** Seamless tiles along these axes; absent: the convolutions pad with zeros, as trained. */
  tiling?: Tiling;
}

/** The steps after decoding that turn a generated picture into the finished file, in this order. */
export type FinishSteps = Pick<Recipe, 'output' | 'pixelArt'>;

/** What one image needs besides the model: a recipe without its bookkeeping fields. */
export type GenerationSettings = Omit<Recipe, 'version' | 'model' | 'refiner' | 'provider' | 'background' | keyof FinishSteps>;

/**
 * Settings as a job asks for them: what is left out takes the model's defaults, and tiling
 * without a tile size takes the VAE config's sample_size, as diffusers does.
 */
export type SettingsRequest = Partial<Omit<GenerationSettings, 'vaeTiling'>> & {
  prompt: string;
  vaeTiling?: Partial<VaeTiling>;
};
