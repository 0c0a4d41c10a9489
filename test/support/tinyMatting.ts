// A matting model with the interface of onnx-community/BiRefNet_lite-ONNX (one float32 input
// [1,3,H,W] normalised with ImageNet's mean and std, one float32 logit map [1,1,H,W], and the
// Hugging Face preprocessor_config.json beside it), small and with weights chosen so that the
// matte is predictable: red pixels are foreground, green ones background.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphBuilder } from './onnx/graphBuilder';
import { attr } from './onnx/onnxProto';

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];
/** Logit per unit of (red - green) in [0,1]: 20 makes a pure colour's alpha 1 - 2e-9 or 2e-9. */
const SHARPNESS = 20;

export interface TinyMattingOptions {
  /** The processor's square input size; the real model's is 1024. */
  size?: number;
  /** Where the ONNX file goes, as in transformers.js repositories or bare. */
  layout?: 'onnx-folder' | 'bare';
}

/** Writes the model and its preprocessor_config.json into `dir`. The logit is 20 × (red − green). */
export function writeTinyMatting(dir: string, options: TinyMattingOptions = {}): void {
  const size = options.size ?? 32;
  const g = new GraphBuilder('tiny-matting', 'float32', 1);
  const image = g.input('input_image', 'float', [1, 3, 'height', 'width']);
  // Undoes the normalisation inside the weights: (x·std + mean) is the pixel in [0,1].
  const weight = g.floats([1, 3, 1, 1], [SHARPNESS * IMAGENET_STD[0], -SHARPNESS * IMAGENET_STD[1], 0]);
  const bias = g.floats([1], [SHARPNESS * (IMAGENET_MEAN[0] - IMAGENET_MEAN[1])]);
  const logits = g.op('Conv', [image, weight, bias], { kernel_shape: attr.ints([1, 1]) });
  g.output('output_image', logits, 'float', [1, 1, 'height', 'width']);
  const modelPath = options.layout === 'bare' ? join(dir, 'model.onnx') : join(dir, 'onnx', 'model.onnx');
  g.save(modelPath);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'preprocessor_config.json'),
    `${JSON.stringify(
      {
        do_normalize: true,
        do_rescale: true,
        do_resize: true,
        feature_extractor_type: 'ViTFeatureExtractor',
        image_mean: IMAGENET_MEAN,
        image_processor_type: 'ViTFeatureExtractor',
        image_std: IMAGENET_STD,
        resample: 2,
        rescale_factor: 1 / 255,
        size: { height: size, width: size },
      },
      null,
      2,
    )}\n`,
  );
}
