// Writes the SDXL base UNet (or SD 2.1's) with random weights as an ONNX model in Optimum's
// layout, so a machine's speed and memory on the real architecture can be measured without
// downloading gigabytes of weights or having PyTorch. The architecture is diffusers'
// UNet2DConditionModel as configured by stabilityai/stable-diffusion-xl-base-1.0/unet/config.json
// (and stabilityai/stable-diffusion-2-1's); the code is our own.
import { attr } from '../../test/support/onnx/onnxProto';
import { type BuiltWeights, Layers, type StreamingGraph, writeStreamingModel } from './streamingGraph';

export interface SdxlUnetConfig {
  /** block_out_channels. */
  channels: readonly number[];
  layersPerBlock: number;
  /** Whether each level's blocks are CrossAttn blocks (SDXL's first is a DownBlock2D, SD 2.1's last). */
  attention: readonly boolean[];
  /** transformer_layers_per_block; the mid block takes the deepest level's count. */
  transformerLayers: readonly number[];
  /** Width of one attention head: SDXL's and SD 2.1's attention_head_dim are head counts of 64-wide heads. */
  headDim: number;
  normGroups: number;
  crossAttentionDim: number;
  /** SDXL's text_time added embedding: pooled text plus the size/crop ids; absent for SD. */
  added?: { pooledDim: number; additionTimeEmbedDim: number; timeIds: number };
  /** The config's sample_size (latent cells). */
  sampleSize: number;
}

/** stabilityai/stable-diffusion-xl-base-1.0's UNet: about 2.57 billion parameters. */
export const SDXL_BASE_UNET: SdxlUnetConfig = {
  channels: [320, 640, 1280],
  layersPerBlock: 2,
  attention: [false, true, true],
  transformerLayers: [1, 2, 10],
  headDim: 64,
  normGroups: 32,
  crossAttentionDim: 2048,
  added: { pooledDim: 1280, additionTimeEmbedDim: 256, timeIds: 6 },
  sampleSize: 128,
};

/** stabilityai/stable-diffusion-2-1's UNet: about 866 million parameters. */
export const SD21_UNET: SdxlUnetConfig = {
  channels: [320, 640, 1280, 1280],
  layersPerBlock: 2,
  attention: [true, true, true, false],
  transformerLayers: [1, 1, 1, 1],
  headDim: 64,
  normGroups: 32,
  crossAttentionDim: 1024,
  sampleSize: 96,
};

/** The same graph shape with narrow blocks and one or two transformer layers: seconds to build and run on a CPU. */
export const SDXL_TINY_UNET: SdxlUnetConfig = {
  ...SDXL_BASE_UNET,
  channels: [32, 64, 128],
  transformerLayers: [1, 1, 2],
  headDim: 16,
  normGroups: 8,
};

export const UNET_SCALES = { full: SDXL_BASE_UNET, tiny: SDXL_TINY_UNET } as const;
export type UnetScale = keyof typeof UNET_SCALES;

/** Writes `dir/model.onnx`, `dir/model.onnx_data` and a diffusers-style `dir/config.json`. */
export function buildSdxlUnet(
  dir: string,
  config: SdxlUnetConfig,
  options: { dtype: 'float16' | 'float32'; seed?: number },
): BuiltWeights {
  const modelOptions = { dtype: options.dtype, seed: options.seed ?? 1, config: diffusersConfig(config) };
  return writeStreamingModel(dir, 'unet', modelOptions, (g) => {
    unet(g, config);
    const added = config.added;
    return {
      inputs: [
        g.float('sample', ['batch_size', 4, 'height', 'width']),
        g.float('timestep', []),
        g.float('encoder_hidden_states', ['batch_size', 'sequence_length', config.crossAttentionDim]),
        ...(added ? [g.float('text_embeds', ['batch_size', added.pooledDim]), g.float('time_ids', ['batch_size', added.timeIds])] : []),
      ],
      outputs: [g.float('out_sample', ['batch_size', 4, 'height', 'width'])],
    };
  });
}

function unet(g: StreamingGraph, config: SdxlUnetConfig): void {
  const { channels, layersPerBlock, transformerLayers } = config;
  const timeEmbedDim = 4 * channels[0];
  const n = new Layers(g, config);

  // Time embedding plus SDXL's text_time added embedding (pooled text and the six size/crop ids).
  const t = n.sinusoid(g.op('Reshape', ['timestep', g.int64s([1, 1])]), channels[0]);
  let emb = n.mlp('time_embedding', t, channels[0], timeEmbedDim);
  const extra = config.added;
  if (extra) {
    const idFeatures = n.sinusoid(g.op('Reshape', ['time_ids', g.int64s([-1, 1])]), extra.additionTimeEmbedDim);
    const ids = g.op('Reshape', [idFeatures, g.int64s([-1, extra.timeIds * extra.additionTimeEmbedDim])]);
    const added = g.op('Concat', ['text_embeds', ids], { axis: attr.int(1) });
    const addedWidth = extra.pooledDim + extra.timeIds * extra.additionTimeEmbedDim;
    emb = g.op('Add', [emb, n.mlp('add_embedding', added, addedWidth, timeEmbedDim)]);
  }
  const time = { embAct: n.silu(emb), embDim: timeEmbedDim };

  let x = n.conv('conv_in', 'sample', 4, channels[0], 3);
  const skips: Array<{ value: string; channels: number }> = [{ value: x, channels: channels[0] }];
  let width = channels[0];
  channels.forEach((out, level) => {
    for (let j = 0; j < layersPerBlock; j++) {
      const prefix = `down_blocks.${level}`;
      x = n.resnet(`${prefix}.resnets.${j}`, x, width, out, time);
      width = out;
      if (config.attention[level]) x = n.transformer(`${prefix}.attentions.${j}`, x, out, transformerLayers[level]);
      skips.push({ value: x, channels: out });
    }
    if (level < channels.length - 1) {
      x = n.conv(`down_blocks.${level}.downsamplers.0.conv`, x, out, out, 3, 2);
      skips.push({ value: x, channels: out });
    }
  });

  const deepest = channels.length - 1;
  x = n.resnet('mid_block.resnets.0', x, width, width, time);
  x = n.transformer('mid_block.attentions.0', x, width, transformerLayers[deepest]);
  x = n.resnet('mid_block.resnets.1', x, width, width, time);

  for (let up = 0; up < channels.length; up++) {
    const level = deepest - up;
    const out = channels[level];
    for (let j = 0; j <= layersPerBlock; j++) {
      const skip = skips.pop();
      if (!skip) throw new Error('skip connections ran out');
      const prefix = `up_blocks.${up}`;
      x = g.op('Concat', [x, skip.value], { axis: attr.int(1) });
      x = n.resnet(`${prefix}.resnets.${j}`, x, width + skip.channels, out, time);
      width = out;
      if (config.attention[level]) x = n.transformer(`${prefix}.attentions.${j}`, x, out, transformerLayers[level]);
    }
    if (level > 0) {
      const scales = g.float32s([1, 1, 2, 2]);
      const nearest = { mode: attr.string('nearest'), coordinate_transformation_mode: attr.string('asymmetric'), nearest_mode: attr.string('floor') };
      x = g.op('Resize', [x, '', scales], nearest);
      x = n.conv(`up_blocks.${up}.upsamplers.0.conv`, x, out, out, 3);
    }
  }

  x = n.silu(n.groupNorm('conv_norm_out', x, width, 1e-5));
  g.named('Identity', [n.conv('conv_out', x, width, 4, 3)], 'out_sample');
}

/** The config.json diffusers would write for this UNet, so the engine's folder reader sees an SDXL (or SD 2.1) UNet. */
function diffusersConfig(config: SdxlUnetConfig): Record<string, unknown> {
  const added = config.added;
  const sdxl = added
    ? {
        addition_embed_type: 'text_time',
        addition_time_embed_dim: added.additionTimeEmbedDim,
        projection_class_embeddings_input_dim: added.pooledDim + added.timeIds * added.additionTimeEmbedDim,
      }
    : {};
  const levels = config.attention;
  return {
    ...sdxl,
    _class_name: 'UNet2DConditionModel',
    act_fn: 'silu',
    attention_head_dim: config.channels.map((c) => c / config.headDim),
    block_out_channels: config.channels,
    cross_attention_dim: config.crossAttentionDim,
    down_block_types: levels.map((attention) => (attention ? 'CrossAttnDownBlock2D' : 'DownBlock2D')),
    flip_sin_to_cos: true,
    freq_shift: 0,
    in_channels: 4,
    layers_per_block: config.layersPerBlock,
    mid_block_type: 'UNetMidBlock2DCrossAttn',
    norm_eps: 1e-5,
    norm_num_groups: config.normGroups,
    out_channels: 4,
    sample_size: config.sampleSize,
    transformer_layers_per_block: config.transformerLayers,
    up_block_types: [...levels].reverse().map((attention) => (attention ? 'CrossAttnUpBlock2D' : 'UpBlock2D')),
    use_linear_projection: true,
  };
}
