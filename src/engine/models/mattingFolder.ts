import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { EngineError } from '../errors';

/**
 * A background-matting model: one ONNX file that takes a normalised RGB image [1,3,H,W] and
 * gives a foreground logit per pixel [1,1,H,W], with the Hugging Face image processor's
 * preprocessor_config.json beside it saying the input size and normalisation (as
 * onnx-community/BiRefNet_lite-ONNX publishes them).
 */
export interface MattingFolder {
  dir: string;
  /** The folder's name: what a recipe records, as it records the diffusion model's. */
  name: string;
  modelPath: string;
  width: number;
  height: number;
  /** Multiplies 8-bit values (1/255) before the normalisation. */
  rescale: number;
  mean: [number, number, number];
  std: [number, number, number];
}

/** Where the ONNX file may be: transformers.js's layout first, then a bare file. */
const MODEL_PATHS = ['onnx/model.onnx', 'model.onnx'];
export const PREPROCESSOR_CONFIG = 'preprocessor_config.json';

export function readMattingFolder(dirArg: string): MattingFolder {
  const dir = resolve(dirArg);
  const fail = (problem: string): never => {
    throw new EngineError(`${dir} is not a matting model folder: ${problem}`, 'model-folder');
  };
  if (!existsSync(dir)) fail('no such folder.');
  const modelPath = MODEL_PATHS.map((path) => join(dir, path)).find((path) => existsSync(path));
  if (modelPath === undefined) fail(`it has no ${MODEL_PATHS.join(' or ')}.`);
  const configPath = join(dir, PREPROCESSOR_CONFIG);
  if (!existsSync(configPath)) fail(`it has no ${PREPROCESSOR_CONFIG}, which says the model's input size and normalisation.`);
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    return fail(`${PREPROCESSOR_CONFIG} is not valid JSON (${(error as Error).message}).`);
  }
  const size = config.size as { height?: unknown; width?: unknown } | undefined;
  const side = (value: unknown, key: string): number =>
    Number.isInteger(value) && (value as number) > 0 && (value as number) <= 4096 ? (value as number) : fail(`${PREPROCESSOR_CONFIG} size.${key} must be a whole number from 1 to 4096.`);
  const triple = (value: unknown, key: string, identity: number): [number, number, number] => {
    if (value === undefined) return [identity, identity, identity];
    if (!Array.isArray(value) || value.length !== 3 || value.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      return fail(`${PREPROCESSOR_CONFIG} ${key} must be three numbers.`);
    }
    return value as [number, number, number];
  };
  const normalize = config.do_normalize !== false;
  const std = normalize ? triple(config.image_std, 'image_std', 1) : ([1, 1, 1] as [number, number, number]);
  if (std.some((v) => v === 0)) fail(`${PREPROCESSOR_CONFIG} image_std must not hold 0.`);
  const rescale = config.do_rescale === false ? 1 : typeof config.rescale_factor === 'number' ? config.rescale_factor : 1 / 255;
  return {
    dir,
    name: basename(dir),
    modelPath: modelPath as string,
    width: side(size?.width, 'width'),
    height: side(size?.height, 'height'),
    rescale,
    mean: normalize ? triple(config.image_mean, 'image_mean', 0) : [0, 0, 0],
    std,
  };
}
