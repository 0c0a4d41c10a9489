/**
 * Inpainting's strength when none is given, in the panel and on the command line alike: the mask
 * is repainted from noise, as diffusers' StableDiffusionInpaintPipeline defaults to (1.0; its
 * SDXL pipeline's 0.9999 differs only in leaving a trace of the picture in the first latents).
 */
export const DEFAULT_INPAINT_STRENGTH = 1;
