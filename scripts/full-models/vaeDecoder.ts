// diffusers' AutoencoderKL decoder at SD/SDXL size (block_out_channels 128, 256, 512, 512; the
// two families share the architecture) with random weights, taking latent_sample and giving
// sample as Optimum's vae_decoder export does.
import { attr } from '../../test/support/onnx/onnxProto';
import { type BuiltWeights, Layers, type StreamingGraph, type WeightType, writeStreamingModel } from '../gpu-bench/streamingGraph';

const CHANNELS = [128, 256, 512, 512];
const LAYERS_PER_BLOCK = 2;
const LATENT_CHANNELS = 4;
const NORM_GROUPS = 32;
const EPSILON = 1e-6;

export function buildVaeDecoder(dir: string, options: { dtype: WeightType; seed: number; scalingFactor: number; sampleSize: number }): BuiltWeights {
  const config = vaeConfig(options.scalingFactor, options.sampleSize);
  return writeStreamingModel(dir, 'vae_decoder', { ...options, config }, (g) => {
    decoder(g);
    return {
      inputs: [g.float('latent_sample', ['batch_size', LATENT_CHANNELS, 'latent_height', 'latent_width'])],
      outputs: [g.float('sample', ['batch_size', 3, 'height', 'width'])],
    };
  });
}

function decoder(g: StreamingGraph): void {
  const n = new Layers(g, { normGroups: NORM_GROUPS, headDim: CHANNELS[CHANNELS.length - 1] });
  const top = CHANNELS[CHANNELS.length - 1];
  let x = n.conv('post_quant_conv', 'latent_sample', LATENT_CHANNELS, LATENT_CHANNELS, 1);
  x = n.conv('decoder.conv_in', x, LATENT_CHANNELS, top, 3);
  x = n.resnet('decoder.mid_block.resnets.0', x, top, top, undefined, EPSILON);
  x = midAttention(g, n, x, top);
  x = n.resnet('decoder.mid_block.resnets.1', x, top, top, undefined, EPSILON);
  let width = top;
  const reversed = [...CHANNELS].reverse();
  reversed.forEach((out, i) => {
    for (let j = 0; j <= LAYERS_PER_BLOCK; j++) {
      x = n.resnet(`decoder.up_blocks.${i}.resnets.${j}`, x, width, out, undefined, EPSILON);
      width = out;
    }
    if (i < reversed.length - 1) {
      const nearest = { mode: attr.string('nearest'), coordinate_transformation_mode: attr.string('asymmetric'), nearest_mode: attr.string('floor') };
      x = g.op('Resize', [x, '', g.float32s([1, 1, 2, 2])], nearest);
      x = n.conv(`decoder.up_blocks.${i}.upsamplers.0.conv`, x, out, out, 3);
    }
  });
  x = n.silu(n.groupNorm('decoder.conv_norm_out', x, width, EPSILON));
  g.named('Identity', [n.conv('decoder.conv_out', x, width, 3, 3)], 'sample');
}

/** The mid block's single-head self-attention over every latent cell, with a residual. */
function midAttention(g: StreamingGraph, n: Layers, x: string, channels: number): string {
  const prefix = 'decoder.mid_block.attentions.0';
  const normed = n.groupNorm(`${prefix}.group_norm`, x, channels, EPSILON);
  const tokens = g.op('Transpose', [g.op('Reshape', [normed, g.int64s([0, channels, -1])])], { perm: attr.ints([0, 2, 1]) });
  const attended = n.attention(prefix, tokens, tokens, channels, channels, { bias: true, heads: 1 });
  const spatial = g.op('Reshape', [g.op('Transpose', [attended], { perm: attr.ints([0, 2, 1]) }), g.op('Shape', [x])]);
  return g.op('Add', [spatial, x]);
}

/** sample_size is the image size the VAE was trained at, which diffusers' tiling takes as its tile. */
function vaeConfig(scalingFactor: number, sampleSize: number): Record<string, unknown> {
  return {
    _class_name: 'AutoencoderKL',
    act_fn: 'silu',
    block_out_channels: CHANNELS,
    force_upcast: true,
    in_channels: 3,
    latent_channels: LATENT_CHANNELS,
    layers_per_block: LAYERS_PER_BLOCK,
    norm_num_groups: NORM_GROUPS,
    out_channels: 3,
    sample_size: sampleSize,
    scaling_factor: scalingFactor,
    up_block_types: Array(CHANNELS.length).fill('UpDecoderBlock2D'),
  };
}
