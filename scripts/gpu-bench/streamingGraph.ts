// An ONNX graph whose weights stream into model.onnx_data as they are drawn, so full-size
// random-weight models (gigabytes) are written with little memory, and the diffusers building
// blocks that the full-size UNet, text encoders and VAE share. The code is our own; each block
// follows the diffusers or transformers module of the same name.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { float32ToFloat16Bits } from '../../test/support/onnx/float16';
import { mulberry32 } from '../../test/support/onnx/graphBuilder';
import {
  attr,
  type AttributeValue,
  DataType,
  encodeModel,
  type NodeInit,
  type TensorInit,
  type ValueInfoInit,
} from '../../test/support/onnx/onnxProto';

export type WeightType = 'float16' | 'float32';

export interface BuiltWeights {
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

/**
 * Writes `dir/model.onnx` and `dir/model.onnx_data` from what `build` adds to the graph, and
 * `dir/config.json` when given.
 */
export function writeStreamingModel(
  dir: string,
  name: string,
  options: { dtype: WeightType; seed: number; config?: Record<string, unknown> },
  build: (g: StreamingGraph) => { inputs: ValueInfoInit[]; outputs: ValueInfoInit[] },
): BuiltWeights {
  mkdirSync(dir, { recursive: true });
  const fd = openSync(join(dir, DATA_FILE), 'w');
  try {
    const g = new StreamingGraph(fd, options.dtype, options.seed);
    const { inputs, outputs } = build(g);
    g.flush();
    writeFileSync(join(dir, 'model.onnx'), g.encode(name, inputs, outputs));
    if (options.config) writeFileSync(join(dir, 'config.json'), `${JSON.stringify(options.config, null, 2)}\n`);
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
export class StreamingGraph {
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
    readonly dtype: WeightType,
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

  /** A graph input or output of the model's float type. */
  float(name: string, shape: ReadonlyArray<number | string>): ValueInfoInit {
    return { name, elemType: this.floatType, shape };
  }

  flush(): void {
    if (this.staged > 0) writeSync(this.fd, this.staging, 0, this.staged);
    this.staged = 0;
  }

  encode(name: string, inputs: ValueInfoInit[], outputs: ValueInfoInit[]): Uint8Array {
    return encodeModel({
      irVersion: IR_VERSION,
      opsetVersion: OPSET_VERSION,
      producerName: 'sdxl-assets full-size builder',
      graph: { name, nodes: this.nodes, initializers: this.initializers, inputs, outputs },
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

/** The building blocks, each a diffusers module of the same name. */
export class Layers {
  constructor(
    private readonly g: StreamingGraph,
    private readonly shape: { normGroups: number; headDim: number; crossAttentionDim?: number },
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
    const groups = this.shape.normGroups;
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

  /**
   * ResnetBlock2D: two norm-SiLU-conv stages, the time embedding (when the block has one: the
   * VAE's do not) added between, a 1×1 shortcut when the width changes.
   */
  resnet(
    prefix: string,
    x: string,
    inChannels: number,
    outChannels: number,
    time?: { embAct: string; embDim: number },
    epsilon = 1e-5,
  ): string {
    const g = this.g;
    let h = this.conv(`${prefix}.conv1`, this.silu(this.groupNorm(`${prefix}.norm1`, x, inChannels, epsilon)), inChannels, outChannels, 3);
    if (time) {
      const timeBias = g.op('Unsqueeze', [this.linear(`${prefix}.time_emb_proj`, time.embAct, time.embDim, outChannels), g.int64s([2, 3])]);
      h = g.op('Add', [h, timeBias]);
    }
    h = this.conv(`${prefix}.conv2`, this.silu(this.groupNorm(`${prefix}.norm2`, h, outChannels, epsilon)), outChannels, outChannels, 3);
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

  /**
   * Multi-head scaled dot-product attention of `x` [b, n, channels] over `context`, as diffusers'
   * Attention; `mask` (bool [n, m], true where allowed) is CLIP's causal mask.
   */
  attention(
    prefix: string,
    x: string,
    context: string,
    channels: number,
    contextDim: number,
    options: { bias?: boolean; heads?: number; mask?: string } = {},
  ): string {
    const g = this.g;
    const heads = options.heads ?? channels / this.shape.headDim;
    const headDim = channels / heads;
    const bias = options.bias ?? false;
    const split = (v: string, perm: number[]) =>
      g.op('Transpose', [g.op('Reshape', [v, g.int64s([0, 0, heads, headDim])])], { perm: attr.ints(perm) });
    const q = split(this.linear(`${prefix}.to_q`, x, channels, channels, bias), [0, 2, 1, 3]);
    const k = split(this.linear(`${prefix}.to_k`, context, contextDim, channels, bias), [0, 2, 3, 1]);
    const v = split(this.linear(`${prefix}.to_v`, context, contextDim, channels, bias), [0, 2, 1, 3]);
    let scores = g.op('MatMul', [g.op('Mul', [q, g.constant([1 / Math.sqrt(headDim)], [])]), k]);
    if (options.mask) scores = g.op('Where', [options.mask, scores, g.constant([-1e4], [])]);
    const attended = g.op('MatMul', [g.op('Softmax', [scores], { axis: attr.int(-1) }), v]);
    const merged = g.op('Reshape', [g.op('Transpose', [attended], { perm: attr.ints([0, 2, 1, 3]) }), g.int64s([0, 0, channels])]);
    return this.linear(`${prefix}.to_out.0`, merged, channels, channels);
  }

  /** BasicTransformerBlock: self-attention, cross-attention on the text, GEGLU feed-forward, each pre-norm with a residual. */
  private block(prefix: string, x: string, channels: number): string {
    const g = this.g;
    const context = 'encoder_hidden_states';
    const contextDim = this.shape.crossAttentionDim;
    if (contextDim === undefined) throw new Error('a transformer block needs the cross-attention width');
    const self = this.layerNorm(`${prefix}.norm1`, x, channels);
    x = g.op('Add', [x, this.attention(`${prefix}.attn1`, self, self, channels, channels)]);
    const cross = this.layerNorm(`${prefix}.norm2`, x, channels);
    x = g.op('Add', [x, this.attention(`${prefix}.attn2`, cross, context, channels, contextDim)]);
    return g.op('Add', [x, this.geglu(`${prefix}.ff`, this.layerNorm(`${prefix}.norm3`, x, channels), channels)]);
  }

  /** FeedForward with GEGLU (Shazeer 2020, arXiv:2002.05202): half the projection gates the other half through GELU. */
  private geglu(prefix: string, x: string, channels: number): string {
    const g = this.g;
    const inner = 4 * channels;
    const projected = this.linear(`${prefix}.net.0.proj`, x, channels, 2 * inner);
    const hidden = g.op('Slice', [projected, g.int64s([0]), g.int64s([inner]), g.int64s([-1])]);
    const gate = g.op('Slice', [projected, g.int64s([inner]), g.int64s([2 * inner]), g.int64s([-1])]);
    return this.linear(`${prefix}.net.2`, g.op('Mul', [hidden, this.gelu(gate)]), inner, channels);
  }

  /** Exact GELU, 0.5·x·(1 + erf(x/√2)). */
  gelu(x: string): string {
    const g = this.g;
    const erf = g.op('Erf', [g.op('Mul', [x, g.constant([Math.SQRT1_2], [])])]);
    return g.op('Mul', [g.op('Mul', [x, g.constant([0.5], [])]), g.op('Add', [erf, g.constant([1], [])])]);
  }
}
