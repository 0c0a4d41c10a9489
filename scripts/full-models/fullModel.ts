// A whole model folder at full size with random weights, SDXL base or SD 2.1, in Optimum's
// layout: what the engine's memory and speed are measured on without downloading the real
// weights. The tokenizers are the test suite's small ones; their ids index the full vocabulary.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeSmallClipTokenizer } from '../../test/support/smallVocab';
import { clipConfig, modelIndex, SD21_V_SCHEDULER_CONFIG, SDXL_SCHEDULER_CONFIG, sdModelIndex } from '../../test/support/tinyModels';
import { SD21_UNET, SDXL_BASE_UNET, buildSdxlUnet } from '../gpu-bench/sdxlUnet';
import type { WeightType } from '../gpu-bench/streamingGraph';
import { buildClipTextModel, CLIP_VIT_L, CLIP_VOCAB, type ClipTextSpec, OPENCLIP_BIGG, OPENCLIP_H } from './clipTextModel';
import { buildVaeDecoder } from './vaeDecoder';

export const FULL_MODELS = ['sdxl', 'sd21'] as const;
export type FullModel = (typeof FULL_MODELS)[number];

/** Writes the folder, one component at a time, and says how many bytes of weights each got. */
export function buildFullModel(dir: string, model: FullModel, dtype: WeightType, log: (line: string) => void): void {
  const encoders: Array<[string, ClipTextSpec, string]> =
    model === 'sdxl'
      ? [
          ['text_encoder', CLIP_VIT_L, 'CLIPTextModel'],
          ['text_encoder_2', OPENCLIP_BIGG, 'CLIPTextModelWithProjection'],
        ]
      : [['text_encoder', OPENCLIP_H, 'CLIPTextModel']];
  encoders.forEach(([name, spec, architecture], i) => {
    const config = clipConfig(dtype, CLIP_VOCAB, architecture, spec.activation, { ...spec, projection: spec.projection ?? spec.hidden });
    config.num_attention_heads = spec.heads;
    report(log, name, buildClipTextModel(join(dir, name), spec, { dtype, seed: 11 + i, config }).dataBytes);
  });
  const unet = model === 'sdxl' ? SDXL_BASE_UNET : SD21_UNET;
  report(log, 'unet', buildSdxlUnet(join(dir, 'unet'), unet, { dtype, seed: 21 }).dataBytes);
  const vae = model === 'sdxl' ? { scalingFactor: 0.13025, sampleSize: 1024 } : { scalingFactor: 0.18215, sampleSize: 768 };
  report(log, 'vae_decoder', buildVaeDecoder(join(dir, 'vae_decoder'), { dtype, seed: 31, ...vae }).dataBytes);

  writeSmallClipTokenizer(join(dir, 'tokenizer'), { padToken: model === 'sdxl' ? '<|endoftext|>' : '!' });
  if (model === 'sdxl') writeSmallClipTokenizer(join(dir, 'tokenizer_2'), { padToken: '!' });
  const scheduler = model === 'sdxl' ? SDXL_SCHEDULER_CONFIG : SD21_V_SCHEDULER_CONFIG;
  writeJson(join(dir, 'scheduler', 'scheduler_config.json'), scheduler);
  writeJson(join(dir, 'model_index.json'), model === 'sdxl' ? modelIndex(false) : sdModelIndex(false, String(scheduler._class_name)));
}

function report(log: (line: string) => void, component: string, bytes: number): void {
  log(`${component}: ${(bytes / 2 ** 30).toFixed(2)} GiB of weights`);
}

function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}
