/** What a model folder is, as the engine detects it from the folder's files. */
export type ModelFamily = 'sdxl' | 'sdxl-refiner' | 'sd';

/**
 * Whether a model can start from noise and a prompt. An SDXL refiner alone only refines an
 * existing image: diffusers runs it only as StableDiffusionXLImg2ImgPipeline.
 */
export function drawsFromPrompt(family: ModelFamily | undefined): boolean {
  return family !== 'sdxl-refiner';
}
