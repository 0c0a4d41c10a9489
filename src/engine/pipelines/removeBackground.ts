import { Tensor } from 'onnxruntime-node';
import type { ProviderName } from '../../protocol/providerChoice';
import { EngineError, throwIfAborted } from '../errors';
import { resizeBilinear } from '../image/bilinear';
import { estimateForeground } from '../image/foregroundEstimate';
import { findNonFinite, unitFloatToBytes } from '../image/postprocess';
import type { MattingFolder } from '../models/mattingFolder';
import { createSession } from '../runtime/providers';

export interface TransparentImage {
  /** Interleaved RGBA, 8 bits per channel, the colour of edge pixels decontaminated. */
  rgba: Uint8Array;
  /** The matte at the image's size, [0,1] per pixel. */
  alpha: Float32Array;
  provider: ProviderName;
}

/**
 * Makes the background of interleaved 8-bit RGB transparent with a matting model. Its session
 * lives for this call only: it runs once per image, and its weights should not stay beside the
 * diffusion model's. Preprocessing is the model's image processor's (preprocessor_config.json):
 * resize to its size, rescale, normalise with its mean and std; the output is a logit map whose
 * sigmoid is the alpha (BiRefNet's inference applies `.sigmoid()` to its last prediction).
 */
export async function removeBackground(
  rgb: Uint8Array,
  width: number,
  height: number,
  model: MattingFolder,
  providers: readonly ProviderName[],
  signal?: AbortSignal,
): Promise<TransparentImage> {
  if (rgb.length !== width * height * 3) throw new Error(`expected ${width * height * 3} bytes of RGB for ${width}x${height}, got ${rgb.length}`);
  throwIfAborted(signal);
  const input = modelInput(rgb, width, height, model);
  const created = await createSession(model.modelPath, providers, { keepArena: false });
  let matte: Float32Array;
  try {
    const session = created.session;
    const feeds = { [session.inputNames[0]]: new Tensor('float32', input, [1, 3, model.height, model.width]) };
    const results = await session.run(feeds);
    const output = results[session.outputNames[0]];
    if (output.type !== 'float32') {
      throw new EngineError(`${model.modelPath} gives ${output.type} output; the engine reads a float32 matte.`, 'model-folder');
    }
    const [batch, channels, outHeight, outWidth] = output.dims;
    if (output.dims.length !== 4 || batch !== 1 || channels !== 1) {
      throw new EngineError(`${model.modelPath} gives a [${output.dims.join(',')}] output; a matte is [1,1,H,W].`, 'model-folder');
    }
    matte = resizeBilinear(sigmoid(output.data as Float32Array), 1, outWidth, outHeight, width, height);
  } finally {
    await created.session.release();
  }
  if (findNonFinite(matte) !== -1) throw new EngineError(`${model.name} gave a matte with NaN or infinite values.`, 'non-finite');
  const alpha = matte.map((a) => (a < 0 ? 0 : a > 1 ? 1 : a));
  const image = new Float32Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) image[i] = rgb[i] / 255;
  const colour = unitFloatToBytes(estimateForeground(image, alpha, width, height));
  const alphaBytes = unitFloatToBytes(alpha);
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[i * 4] = colour[i * 3];
    rgba[i * 4 + 1] = colour[i * 3 + 1];
    rgba[i * 4 + 2] = colour[i * 3 + 2];
    rgba[i * 4 + 3] = alphaBytes[i];
  }
  return { rgba, alpha, provider: created.provider };
}

/** [1,3,H,W] at the model's size: resized in 8-bit units, then `(v * rescale - mean) / std` per channel. */
function modelInput(rgb: Uint8Array, width: number, height: number, model: MattingFolder): Float32Array {
  const plane = width * height;
  const planar = new Float32Array(plane * 3);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) planar[c * plane + i] = rgb[i * 3 + c];
  const resized = resizeBilinear(planar, 3, width, height, model.width, model.height);
  const modelPlane = model.width * model.height;
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < modelPlane; i++) {
      const k = c * modelPlane + i;
      resized[k] = (resized[k] * model.rescale - model.mean[c]) / model.std[c];
    }
  }
  return resized;
}

function sigmoid(values: Float32Array): Float32Array {
  return values.map((x) => 1 / (1 + Math.exp(-x)));
}
