import { basename } from 'node:path';
import { parseA1111Parameters } from '../../engine/image/a1111Parameters';
import { readImageSize } from '../../engine/image/readInputImage';
import { readImageMetadata, type ImageMetadata } from '../../engine/image/recipeMetadata';
import type { ModelChoice, PanelSettings } from '../../protocol/panelProtocol';
import { isInside, workspaceRelative } from '../outputFiles';
import type { InitImageFile } from '../panel/panelBackend';
import { settingsFromRecipe } from './recipeSettings';

/** What the panel needs to switch to image-to-image with a picture. */
export interface ImageToImageRequest {
  image: InitImageFile;
  settings: Partial<PanelSettings>;
}

/**
 * Image-to-image from a picture on disk: its size, and the prompt and settings its metadata
 * states. The file is only read. A picture that does not decode is refused here, with its
 * name, rather than after a model load.
 */
export async function imageToImageRequest(
  path: string,
  root: string | undefined,
  models: readonly ModelChoice[],
): Promise<ImageToImageRequest> {
  const size = await readImageSize(path);
  // A broken recipe chunk should not stop anyone from using the picture itself.
  const metadata = await readImageMetadata(path).catch(() => ({ recipe: null, parameters: null }));
  const label = root !== undefined && isInside(root, path) ? workspaceRelative(root, path) : basename(path);
  return { image: { path, label, ...size }, settings: prefillFromMetadata(metadata, models) };
}

/**
 * The form values an input picture suggests: its recipe's, else those of an AUTOMATIC1111
 * `parameters` text. The seed is left to the form (it drew the picture's noise, which an
 * image-to-image job does not start from) and so is the size, which follows the picture.
 */
export function prefillFromMetadata(metadata: ImageMetadata, models: readonly ModelChoice[]): Partial<PanelSettings> {
  if (metadata.recipe) {
    const { seedMode: _mode, seed: _seed, width: _width, height: _height, ...rest } = settingsFromRecipe(metadata.recipe, models);
    return rest;
  }
  if (metadata.parameters === null) return {};
  const parsed = parseA1111Parameters(metadata.parameters);
  // AUTOMATIC1111 always reads its prompts with weights.
  const settings: Partial<PanelSettings> = { promptWeighting: true };
  if (parsed.prompt !== undefined) settings.prompt = parsed.prompt;
  if (parsed.negativePrompt !== undefined) settings.negativePrompt = parsed.negativePrompt ?? '';
  if (parsed.steps !== undefined) settings.steps = parsed.steps;
  if (parsed.guidance !== undefined) settings.guidance = parsed.guidance;
  if (parsed.sampler !== undefined) settings.sampler = parsed.sampler;
  if (parsed.karras !== undefined) settings.karras = parsed.karras;
  // A1111 writes Tiling only when it was on, as our recipes do.
  settings.tiling = parsed.tiling ?? 'off';
  return settings;
}
