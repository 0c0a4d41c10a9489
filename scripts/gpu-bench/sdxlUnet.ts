// Writes the SDXL base UNet with random weights as an ONNX model in Optimum's layout, so a
// GPU's speed on the real architecture can be measured without downloading 10 GB of weights
// or having PyTorch. The architecture is diffusers' UNet2DConditionModel as configured by
// stabilityai/stable-diffusion-xl-base-1.0/unet/config.json; the code is our own.
// Weights stream into model.onnx_data as they are drawn, so memory stays small at any size.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { float32ToFloat16Bits } from '../../test/support/onnx/float16';
import { mulberry32 } from '../../test/support/onnx/graphBuilder';
import { attr, type AttributeValue, DataType, encodeModel, type NodeInit, type TensorInit } from '../../test/support/onnx/onnxProto';

export interface SdxlUnetConfig {
  /** block_out_channels. */
  channels: readonly number[];
  /** layers_per_block: resnets per down block; up blocks have one more. */
  layersPerBlock: number;
  /** transformer_layers_per_block; the first down block is a DownBlock2D and has none. */
  transformerLayers: readonly number[];
  /** SDXL's attention_head_dim [5, 10, 20] are head counts, each head 64 wide. */
  headDim: number;
  normGroups: number;
  /** The UNet's inputs are SDXL's whatever the size, so a reduced model runs on the same feeds. */
  crossAttentionDim: number;
  pooledDim: number;
  additionTimeEmbedDim: number;
  timeIds: number;
}

/** stabilityai/stable-diffusion-xl-base-1.0's UNet: about 2.57 billion parameters. */
export const SDXL_BASE_UNET: SdxlUnetConfig = {
  channels: [320, 640, 1280],
  layersPerBlock: 2,
  transformerLayers: [1, 2, 10],
  headDim: 64,
  normGroups: 32,
  crossAttentionDim: 2048,
  pooledDim: 1280,
  additionTimeEmbedDim: 256,
  timeIds: 6,
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

export interface BuiltUnet {
  parameters: number;
  dataBytes: number;
}

const IR_VERSION = 8;
const OPSET_VERSION = 17;
const DATA_FILE = 'model.onnx_data';
/** Large tensors start at a page boundary so that ONNX Runtime can map them instead of copying. */
const ALIGN = 4096;
const POOL_SIZE = 1 << 20;
const CHUNK = 4096;

/** Writes `dir/model.onnx`, `dir/model.onnx_data` and a diffusers-style `dir/config.json`. */
export function buildSdxlUnet(
  dir: string,
  config: SdxlUnetConfig,
  options: { dtype: 'float16' | 'float32'; seed?: number },
): BuiltUnet {
  mkdirSync(dir, { recursive: true });
  const fd = openSync(join(dir, DATA_FILE), 'w');
  try {
    const g = new UnetGraph(fd, options.dtype, options.seed ?? 1);
    unet(g, config);
    g.flush();
    writeFileSync(join(dir, 'model.onnx'), g.encode(config));
    writeFileSync(join(dir, 'config.json'), `${JSON.stringify(diffusersConfig(config), null, 2)}\n`);
    return { parameters: g.parameters, dataBytes: g.dataBytes };
  } finally {
    closeSync(fd);
  }
}

/**
 * Nodes and initializer records in memory, weight bytes straight to the data file. Every
 * float tensor is the model's type: an fp16 model computes in fp16, as Optimum's fp16 exports
 * that GPUs run do.
 */
class UnetGraph {
  readonly nodes: NodeInit[] = [];
  readonly initializers: TensorInit[] = [];
  parameters = 0;
  dataBytes = 0;
  private readonly elementBytes: number;
  private readonly random: () => number;
  /** Weights are copied in chunks from a pool of unit-variance draws per scale: drawing 2.6 billion numbers one by one takes minutes. */
  private readonly pools = new Map<number, Uint8Array>();
  private readonly staging = Buffer.alloc(16 << 20);
  private staged = 0;
  private nextId = 0;

  constructor(
    private readonly fd: number,
    readonly dtype: 'float16' | 'float32',
    seed: number,
  ) {
    this.elementBytes = dtype === 'float16' ? 2 : 4;
    this.random = mulberry32(seed);
  }

  get floatType(): DataType {
    return this.dtype === 'float16' ? DataType.FLOAT16 : DataType.FLOAT;
  }

  /** Uniform weights of standard deviation `std`. */
  weight(name: string, dims: readonly number[], std: number): string {
    const count = dims.reduce((a, b) => a * b, 1);
    const pool = this.pool(std);
    const offset = this.startTensor(count);
    for (let done = 0; done < count; done += CHUNK) {
      const n = Math.min(CHUNK, count - done);
      const from = Math.floor(this.random() * (POOL_SIZE - CHUNK)) * this.elementBytes;
      this.write(pool.subarray(from, from + n * this.elementBytes));
    }
    return this.external(name, dims, offset, count);
  }

  /** A tensor of one repeated value (norm scales and shifts start at 1 and 0, as in diffusers). */
  filled(name: string, dims: readonly number[], value: number): string {
    const count = dims.reduce((a, b) => a * b, 1);
    const one = this.encodeFloats(Float32Array.of(value));
    const offset = this.startTensor(count);
    for (let i = 0; i < count; i++) this.write(one);
    return this.external(name, dims, offset, count);
  }

  /** A small constant of the model's float type, stored inline. */
  constant(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.inline(this.floatType, dims, this.encodeFloats(Float32Array.from(values)));
  }

  int64s(values: readonly number[]): string {
    const name = `c${this.nextId++}`;
    this.initializers.push({ name, dataType: DataType.INT64, dims: [values.length], data: { kind: 'int64', values } });
    return name;
  }

  float32s(values: readonly number[]): string {
    const bytes = new Uint8Array(Float32Array.from(values).buffer);
    return this.inline(DataType.FLOAT, [values.length], bytes);
  }

  op(opType: string, inputs: readonly string[], attributes?: Record<string, AttributeValue>): string {
    const output = `v${this.nextId++}`;
    this.nodes.push({ opType, inputs, outputs: [output], ...(attributes ? { attributes } : {}) });
    return output;
  }

  named(opType: string, inputs: readonly string[], output: string): void {
    this.nodes.push({ opType, inputs, outputs: [output] });
  }

  flush(): void {
    if (this.staged > 0) writeSync(this.fd, this.staging, 0, this.staged);
    this.staged = 0;
  }

  encode(config: SdxlUnetConfig): Uint8Array {
    const float = (name: string, shape: Array<number | string>) => ({ name, elemType: this.floatType, shape });
    return encodeModel({
      irVersion: IR_VERSION,
      opsetVersion: OPSET_VERSION,
      producerName: 'sdxl-assets gpu-bench',
      graph: {
        name: 'unet',
        nodes: this.nodes,
        initializers: this.initializers,
        inputs: [
          float('sample', ['batch_size', 4, 'height', 'width']),
          float('timestep', []),
          float('encoder_hidden_states', ['batch_size', 'sequence_length', config.crossAttentionDim]),
          float('text_embeds', ['batch_size', config.pooledDim]),
          float('time_ids', ['batch_size', config.timeIds]),
        ],
        outputs: [float('out_sample', ['batch_size', 4, 'height', 'width'])],
      },
    });
  }

  private pool(std: number): Uint8Array {
    let pool = this.pools.get(std);
    if (!pool) {
      const values = new Float32Array(POOL_SIZE);
      const halfWidth = std * Math.sqrt(3);
      for (let i = 0; i < values.length; i++) values[i] = (2 * this.random() - 1) * halfWidth;
      pool = this.encodeFloats(values);
      this.pools.set(std, pool);
    }
    return pool;
  }

  private encodeFloats(values: Float32Array): Uint8Array {
    if (this.dtype === 'float32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    const bits = Uint16Array.from(values, float32ToFloat16Bits);
    return new Uint8Array(bits.buffer);
  }

  private inline(dataType: DataType, dims: readonly number[], bytes: Uint8Array): string {
    const name = `c${this.nextId++}`;
    this.initializers.push({ name, dataType, dims, data: { kind: 'raw', bytes } });
    return name;
  }

  private startTensor(count: number): number {
    const bytes = count * this.elementBytes;
    if (bytes >= ALIGN) this.write(new Uint8Array((ALIGN - (this.dataBytes % ALIGN)) % ALIGN));
    this.parameters += count;
    return this.dataBytes;
  }

  private external(name: string, dims: readonly number[], offset: number, count: number): string {
    const where = { location: DATA_FILE, offset, length: count * this.elementBytes };
    this.initializers.push({ name, dataType: this.floatType, dims, data: { kind: 'external', where } });
    return name;
  }

  private write(bytes: Uint8Array): void {
    if (this.staged + bytes.length > this.staging.length) this.flush();
    this.staging.set(bytes, this.staged);
    this.staged += bytes.length;
    this.dataBytes += bytes.length;
  }
}

function unet(g: UnetGraph, config: SdxlUnetConfig): void {
  const { channels, layersPerBlock, transformerLayers } = config;
  const timeEmbedDim = 4 * channels[0];
  const n = new Layers(g, config);

  // Time embedding plus SDXL's text_time added embedding (pooled text and the six size/crop ids).
  const t = n.sinusoid(g.op('Reshape', ['timestep', g.int64s([1, 1])]), channels[0]);
  let emb = n.mlp('time_embedding', t, channels[0], timeEmbedDim);
  const idFeatures = n.sinusoid(g.op('Reshape', ['time_ids', g.int64s([-1, 1])]), config.additionTimeEmbedDim);
  const ids = g.op('Reshape', [idFeatures, g.int64s([-1, config.timeIds * config.additionTimeEmbedDim])]);
  const added = g.op('Concat', ['text_embeds', ids], { axis: attr.int(1) });
  const addedWidth = config.pooledDim + config.timeIds * config.additionTimeEmbedDim;
  emb = g.op('Add', [emb, n.mlp('add_embedding', added, addedWidth, timeEmbedDim)]);
  const embAct = n.silu(emb);

  let x = n.conv('conv_in', 'sample', 4, channels[0], 3);
  const skips: Array<{ value: string; channels: number }> = [{ value: x, channels: channels[0] }];
  let width = channels[0];
  channels.forEach((out, level) => {
    for (let j = 0; j < layersPerBlock; j++) {
      const prefix = `down_blocks.${level}`;
      x = n.resnet(`${prefix}.resnets.${j}`, x, width, out, embAct, timeEmbedDim);
      width = out;
      if (level > 0) x = n.transformer(`${prefix}.attentions.${j}`, x, out, transformerLayers[level]);
      skips.push({ value: x, channels: out });
    }
    if (level < channels.length - 1) {
      x = n.conv(`down_blocks.${level}.downsamplers.0.conv`, x, out, out, 3, 2);
      skips.push({ value: x, channels: out });
    }
  });

  const deepest = channels.length - 1;
  x = n.resnet('mid_block.resnets.0', x, width, width, embAct, timeEmbedDim);
  x = n.transformer('mid_block.attentions.0', x, width, transformerLayers[deepest]);
  x = n.resnet('mid_block.resnets.1', x, width, width, embAct, timeEmbedDim);

  for (let up = 0; up < channels.length; up++) {
    const level = deepest - up;
    const out = channels[level];
    for (let j = 0; j <= layersPerBlock; j++) {
      const skip = skips.pop();
      if (!skip) throw new Error('skip connections ran out');
      const prefix = `up_blocks.${up}`;
      x = g.op('Concat', [x, skip.value], { axis: attr.int(1) });
      x = n.resnet(`${prefix}.resnets.${j}`, x, width + skip.channels, out, embAct, timeEmbedDim);
      width = out;
      if (level > 0) x = n.transformer(`${prefix}.attentions.${j}`, x, out, transformerLayers[level]);
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

/** The building blocks, each a diffusers module of the same name. */
class Layers {
  constructor(
    private readonly g: UnetGraph,
    private readonly config: SdxlUnetConfig,
  ) {}

  /** Timesteps: get_timestep_embedding with flip_sin_to_cos and shift 0, in float32 because t reaches 999. */
  sinusoid(x: string, dim: number): string {
    const g = this.g;
    const half = dim / 2;
    const frequencies = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
    const args = g.op('Mul', [g.op('Cast', [x], { to: attr.int(DataType.FLOAT) }), g.float32s(frequencies)]);
    const features = g.op('Concat', [g.op('Cos', [args]), g.op('Sin', [args])], { axis: attr.int(-1) });
    return g.op('Cast', [features], { to: attr.int(this.g.floatType) });
  }

  /** TimestepEmbedding: linear, SiLU, linear. */
  mlp(prefix: string, x: string, inFeatures: number, outFeatures: number): string {
    return this.linear(`${prefix}.linear_2`, this.silu(this.linear(`${prefix}.linear_1`, x, inFeatures, outFeatures)), outFeatures, outFeatures);
  }

  linear(prefix: string, x: string, inFeatures: number, outFeatures: number, bias = true): string {
    const y = this.g.op('MatMul', [x, this.g.weight(`${prefix}.weight`, [inFeatures, outFeatures], 1 / Math.sqrt(inFeatures))]);
    return bias ? this.g.op('Add', [y, this.g.weight(`${prefix}.bias`, [outFeatures], 0.02)]) : y;
  }

  conv(prefix: string, x: string, inChannels: number, outChannels: number, kernel: number, stride = 1): string {
    const pad = (kernel - 1) / 2;
    const std = 1 / Math.sqrt(inChannels * kernel * kernel);
    const weight = this.g.weight(`${prefix}.weight`, [outChannels, inChannels, kernel, kernel], std);
    const bias = this.g.weight(`${prefix}.bias`, [outChannels], 0.02);
    return this.g.op('Conv', [x, weight, bias], {
      kernel_shape: attr.ints([kernel, kernel]),
      pads: attr.ints([pad, pad, pad, pad]),
      strides: attr.ints([stride, stride]),
    });
  }

  silu(x: string): string {
    return this.g.op('Mul', [x, this.g.op('Sigmoid', [x])]);
  }

  /** torch.nn.GroupNorm as torch.onnx exports it before opset 18: InstanceNormalization over [b, groups, rest]. */
  groupNorm(prefix: string, x: string, channels: number, epsilon: number): string {
    const g = this.g;
    const groups = this.config.normGroups;
    const grouped = g.op('Reshape', [x, g.int64s([0, groups, -1])]);
    const ones = g.constant(Array(groups).fill(1));
    const zeros = g.constant(Array(groups).fill(0));
    const normed = g.op('InstanceNormalization', [grouped, ones, zeros], { epsilon: attr.float(epsilon) });
    const back = g.op('Reshape', [normed, g.op('Shape', [x])]);
    const scaled = g.op('Mul', [back, g.filled(`${prefix}.weight`, [channels, 1, 1], 1)]);
    return g.op('Add', [scaled, g.filled(`${prefix}.bias`, [channels, 1, 1], 0)]);
  }

  layerNorm(prefix: string, x: string, features: number): string {
    const scale = this.g.filled(`${prefix}.weight`, [features], 1);
    const bias = this.g.filled(`${prefix}.bias`, [features], 0);
    return this.g.op('LayerNormalization', [x, scale, bias], { axis: attr.int(-1), epsilon: attr.float(1e-5) });
  }

  /** ResnetBlock2D: two norm-SiLU-conv stages, the time embedding added between, a 1×1 shortcut when the width changes. */
  resnet(prefix: string, x: string, inChannels: number, outChannels: number, embAct: string, embDim: number): string {
    const g = this.g;
    let h = this.conv(`${prefix}.conv1`, this.silu(this.groupNorm(`${prefix}.norm1`, x, inChannels, 1e-5)), inChannels, outChannels, 3);
    const timeBias = g.op('Unsqueeze', [this.linear(`${prefix}.time_emb_proj`, embAct, embDim, outChannels), g.int64s([2, 3])]);
    h = g.op('Add', [h, timeBias]);
    h = this.conv(`${prefix}.conv2`, this.silu(this.groupNorm(`${prefix}.norm2`, h, outChannels, 1e-5)), outChannels, outChannels, 3);
    const shortcut = inChannels === outChannels ? x : this.conv(`${prefix}.conv_shortcut`, x, inChannels, outChannels, 1);
    return g.op('Add', [shortcut, h]);
  }

  /** Transformer2DModel with use_linear_projection: group norm, tokens [b, h·w, c], linear in, blocks, linear out, residual. */
  transformer(prefix: string, x: string, channels: number, layers: number): string {
    const g = this.g;
    const normed = this.groupNorm(`${prefix}.norm`, x, channels, 1e-6);
    let tokens = g.op('Transpose', [g.op('Reshape', [normed, g.int64s([0, channels, -1])])], { perm: attr.ints([0, 2, 1]) });
    tokens = this.linear(`${prefix}.proj_in`, tokens, channels, channels);
    for (let i = 0; i < layers; i++) tokens = this.block(`${prefix}.transformer_blocks.${i}`, tokens, channels);
    tokens = this.linear(`${prefix}.proj_out`, tokens, channels, channels);
    const spatial = g.op('Reshape', [g.op('Transpose', [tokens], { perm: attr.ints([0, 2, 1]) }), g.op('Shape', [x])]);
    return g.op('Add', [spatial, x]);
  }

  /** BasicTransformerBlock: self-attention, cross-attention on the text, GEGLU feed-forward, each pre-norm with a residual. */
  private block(prefix: string, x: string, channels: number): string {
    const g = this.g;
    const context = 'encoder_hidden_states';
    const self = this.layerNorm(`${prefix}.norm1`, x, channels);
    x = g.op('Add', [x, this.attention(`${prefix}.attn1`, self, self, channels, channels)]);
    const cross = this.layerNorm(`${prefix}.norm2`, x, channels);
    x = g.op('Add', [x, this.attention(`${prefix}.attn2`, cross, context, channels, this.config.crossAttentionDim)]);
    return g.op('Add', [x, this.geglu(`${prefix}.ff`, this.layerNorm(`${prefix}.norm3`, x, channels), channels)]);
  }

  /** Multi-head scaled dot-product attention with bias-free q/k/v projections, as diffusers' Attention. */
  private attention(prefix: string, x: string, context: string, channels: number, contextDim: number): string {
    const g = this.g;
    const headDim = this.config.headDim;
    const heads = channels / headDim;
    const split = (v: string, perm: number[]) =>
      g.op('Transpose', [g.op('Reshape', [v, g.int64s([0, 0, heads, headDim])])], { perm: attr.ints(perm) });
    const q = split(this.linear(`${prefix}.to_q`, x, channels, channels, false), [0, 2, 1, 3]);
    const k = split(this.linear(`${prefix}.to_k`, context, contextDim, channels, false), [0, 2, 3, 1]);
    const v = split(this.linear(`${prefix}.to_v`, context, contextDim, channels, false), [0, 2, 1, 3]);
    const scores = g.op('MatMul', [g.op('Mul', [q, g.constant([1 / Math.sqrt(headDim)], [])]), k]);
    const attended = g.op('MatMul', [g.op('Softmax', [scores], { axis: attr.int(-1) }), v]);
    const merged = g.op('Reshape', [g.op('Transpose', [attended], { perm: attr.ints([0, 2, 1, 3]) }), g.int64s([0, 0, channels])]);
    return this.linear(`${prefix}.to_out.0`, merged, channels, channels);
  }

  /** FeedForward with GEGLU (Shazeer 2020, arXiv:2002.05202): half the projection gates the other half through GELU. */
  private geglu(prefix: string, x: string, channels: number): string {
    const g = this.g;
    const inner = 4 * channels;
    const projected = this.linear(`${prefix}.net.0.proj`, x, channels, 2 * inner);
    const hidden = g.op('Slice', [projected, g.int64s([0]), g.int64s([inner]), g.int64s([-1])]);
    const gate = g.op('Slice', [projected, g.int64s([inner]), g.int64s([2 * inner]), g.int64s([-1])]);
    const erf = g.op('Erf', [g.op('Mul', [gate, g.constant([Math.SQRT1_2], [])])]);
    const gelu = g.op('Mul', [g.op('Mul', [gate, g.constant([0.5], [])]), g.op('Add', [erf, g.constant([1], [])])]);
    return this.linear(`${prefix}.net.2`, g.op('Mul', [hidden, gelu]), inner, channels);
  }
}

/** The config.json diffusers would write for this UNet, so the engine's folder reader sees an SDXL base UNet. */
function diffusersConfig(config: SdxlUnetConfig): Record<string, unknown> {
  return {
    _class_name: 'UNet2DConditionModel',
    act_fn: 'silu',
    addition_embed_type: 'text_time',
    addition_time_embed_dim: config.additionTimeEmbedDim,
    attention_head_dim: config.channels.map((c) => c / config.headDim),
    block_out_channels: config.channels,
    cross_attention_dim: config.crossAttentionDim,
    down_block_types: config.channels.map((_, i) => (i === 0 ? 'DownBlock2D' : 'CrossAttnDownBlock2D')),
    flip_sin_to_cos: true,
    freq_shift: 0,
    in_channels: 4,
    layers_per_block: config.layersPerBlock,
    mid_block_type: 'UNetMidBlock2DCrossAttn',
    norm_eps: 1e-5,
    norm_num_groups: config.normGroups,
    out_channels: 4,
    projection_class_embeddings_input_dim: config.pooledDim + config.timeIds * config.additionTimeEmbedDim,
    sample_size: 128,
    transformer_layers_per_block: config.transformerLayers,
    up_block_types: config.channels.map((_, i) => (i === config.channels.length - 1 ? 'UpBlock2D' : 'CrossAttnUpBlock2D')),
    use_linear_projection: true,
  };
}
