// A small fluent builder for ONNX graphs with random weights, used to make test models that
// have the names, types and shapes of real exports.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { toFloat16 } from './float16';
import {
  attr,
  type AttributeValue,
  DataType,
  type Dim,
  encodeModel,
  type NodeInit,
  type TensorInit,
  type ValueInfoInit,
} from './onnxProto';

/** The versions of the reference SDXL exports; ONNX Runtime 1.30 reads both. */
const IR_VERSION = 8;
const OPSET_VERSION = 17;

export type FloatType = 'float32' | 'float16';

/** 'float' is the model's float type: float16 models take and give float16, as Optimum's fp16 exports do. */
export type IoType = 'float' | 'int32' | 'int64';

export interface SaveOptions {
  /** Float weights go to `<model file>_data` beside it, as in Optimum exports past protobuf's 2 GB limit. */
  externalData?: boolean;
}

/** mulberry32: a tiny deterministic generator of floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type StoredInitializer = { name: string; dataType: DataType; dims: readonly number[] } & (
  /** Float weights as stored (float32 or float16 bytes); these are what externalData moves out. */
  | { weightBytes: Uint8Array }
  | { int64Values: readonly number[] }
);

/**
 * Builds one graph. Inside the graph every float value is float32 whatever the model's float
 * type: float16 inputs and weights are cast up where they enter and outputs cast down where
 * they leave, because ONNX Runtime's CPU provider lacks float16 kernels for most ops.
 */
export class GraphBuilder {
  private readonly nodes: NodeInit[] = [];
  private readonly initializers: StoredInitializer[] = [];
  private readonly inputs: ValueInfoInit[] = [];
  private readonly outputs: ValueInfoInit[] = [];
  private readonly random: () => number;
  private nextId = 0;

  constructor(
    private readonly name: string,
    readonly floatType: FloatType,
    seed: number,
  ) {
    this.random = mulberry32(seed);
  }

  /** Declares a graph input and returns the value to compute with (float32 for float inputs). */
  input(name: string, type: IoType, shape: readonly Dim[]): string {
    this.inputs.push({ name, elemType: this.dataType(type), shape });
    return type === 'float' ? this.toFloat32(name) : name;
  }

  /** Declares `value` (float32 when type is 'float') as the graph output `name`. */
  output(name: string, value: string, type: IoType, shape: readonly Dim[]): void {
    const elemType = this.dataType(type);
    if (type === 'float' && this.floatType === 'float16') {
      const attributes = { to: attr.int(DataType.FLOAT16) };
      this.nodes.push({ opType: 'Cast', inputs: [value], outputs: [name], attributes });
    } else {
      this.nodes.push({ opType: 'Identity', inputs: [value], outputs: [name] });
    }
    this.outputs.push({ name, elemType, shape });
  }

  /** A float initializer, stored in the model's float type. */
  floats(dims: readonly number[], values: Float32Array | readonly number[]): string {
    const data = Float32Array.from(values);
    if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`${data.length} values for dims [${dims}]`);
    const stored = this.floatType === 'float16' ? toFloat16(data) : data;
    const name = this.fresh('w');
    this.initializers.push({
      name,
      dataType: this.dataType('float'),
      dims,
      weightBytes: new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength),
    });
    return this.toFloat32(name);
  }

  /** Uniform random weights with standard deviation `std`. */
  randomFloats(dims: readonly number[], std: number): string {
    const values = new Float32Array(dims.reduce((a, b) => a * b, 1));
    const halfWidth = std * Math.sqrt(3);
    for (let i = 0; i < values.length; i++) values[i] = (2 * this.random() - 1) * halfWidth;
    return this.floats(dims, values);
  }

  scalar(value: number): string {
    return this.floats([], [value]);
  }

  /** An int64 tensor for shapes, axes and indices; always stored inline. */
  int64s(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const name = this.fresh('c');
    this.initializers.push({ name, dataType: DataType.INT64, dims, int64Values: values });
    return name;
  }

  op(opType: string, inputs: readonly string[], attributes?: Record<string, AttributeValue>): string {
    const output = this.fresh('v');
    this.nodes.push({ opType, inputs, outputs: [output], ...(attributes ? { attributes } : {}) });
    return output;
  }

  add(a: string, b: string): string {
    return this.op('Add', [a, b]);
  }

  sub(a: string, b: string): string {
    return this.op('Sub', [a, b]);
  }

  mul(a: string, b: string): string {
    return this.op('Mul', [a, b]);
  }

  div(a: string, b: string): string {
    return this.op('Div', [a, b]);
  }

  matMul(a: string, b: string): string {
    return this.op('MatMul', [a, b]);
  }

  tanh(x: string): string {
    return this.op('Tanh', [x]);
  }

  silu(x: string): string {
    return this.mul(x, this.op('Sigmoid', [x]));
  }

  /** x·W + b over the last axis, with weights scaled to keep unit-variance inputs near unit variance. */
  linear(x: string, inFeatures: number, outFeatures: number, options: { bias?: boolean } = {}): string {
    const y = this.matMul(x, this.randomFloats([inFeatures, outFeatures], 1 / Math.sqrt(inFeatures)));
    return options.bias === false ? y : this.add(y, this.randomFloats([outFeatures], 0.1));
  }

  /** A square-kernel NCHW convolution with 'same' padding for stride 1 and halving for stride 2. */
  conv(
    x: string,
    inChannels: number,
    outChannels: number,
    options: { kernel?: number; stride?: number; gain?: number } = {},
  ): string {
    const kernel = options.kernel ?? 3;
    const pad = (kernel - 1) / 2;
    const std = (options.gain ?? 1) / Math.sqrt(inChannels * kernel * kernel);
    const weight = this.randomFloats([outChannels, inChannels, kernel, kernel], std);
    const bias = this.randomFloats([outChannels], 0.1);
    return this.op('Conv', [x, weight, bias], {
      kernel_shape: attr.ints([kernel, kernel]),
      pads: attr.ints([pad, pad, pad, pad]),
      strides: attr.ints([options.stride ?? 1, options.stride ?? 1]),
    });
  }

  /** Normalises the last axis to zero mean and unit variance, then applies a random affine map. */
  layerNorm(x: string, features: number): string {
    const centred = this.sub(x, this.reduceMean(x, [-1]));
    const variance = this.reduceMean(this.mul(centred, centred), [-1]);
    const normalised = this.div(centred, this.op('Sqrt', [this.add(variance, this.scalar(1e-5))]));
    const gamma = this.floats([features], Array.from({ length: features }, () => 1 + 0.2 * (this.random() - 0.5)));
    return this.add(this.mul(normalised, gamma), this.randomFloats([features], 0.05));
  }

  reduceMean(x: string, axes: readonly number[]): string {
    return this.op('ReduceMean', [x], { axes: attr.ints(axes), keepdims: attr.int(1) });
  }

  /** `shape` may be a computed int64 value; 0 keeps that dim of x and -1 takes what is left. */
  reshape(x: string, shape: readonly number[] | string): string {
    return this.op('Reshape', [x, typeof shape === 'string' ? shape : this.int64s(shape)]);
  }

  transpose(x: string, perm: readonly number[]): string {
    return this.op('Transpose', [x], { perm: attr.ints(perm) });
  }

  concat(values: readonly string[], axis: number): string {
    return this.op('Concat', values, { axis: attr.int(axis) });
  }

  unsqueeze(x: string, axes: readonly number[]): string {
    return this.op('Unsqueeze', [x, this.int64s(axes)]);
  }

  /** Slices `x` on `axes`; `ends` may be a computed int64 value for data-dependent sizes. */
  slice(x: string, starts: readonly number[], ends: readonly number[] | string, axes: readonly number[]): string {
    const endsValue = typeof ends === 'string' ? ends : this.int64s(ends);
    return this.op('Slice', [x, this.int64s(starts), endsValue, this.int64s(axes)]);
  }

  /** The int64 dims [start, end) of x's shape. */
  shape(x: string, start: number, end: number): string {
    return this.op('Shape', [x], { start: attr.int(start), end: attr.int(end) });
  }

  cast(x: string, to: DataType): string {
    return this.op('Cast', [x], { to: attr.int(to) });
  }

  /** Moves channel blocks into 2-D space: [b, c·s², h, w] → [b, c, h·s, w·s]. */
  depthToSpace(x: string, blockSize: number): string {
    return this.op('DepthToSpace', [x], { blocksize: attr.int(blockSize) });
  }

  softmax(x: string, axis: number): string {
    return this.op('Softmax', [x], { axis: attr.int(axis) });
  }

  save(path: string, options: SaveOptions = {}): void {
    mkdirSync(dirname(path), { recursive: true });
    const dataFile = `${basename(path)}_data`;
    const external: Uint8Array[] = [];
    let offset = 0;
    const initializers: TensorInit[] = this.initializers.map((init) => {
      const base = { name: init.name, dataType: init.dataType, dims: init.dims };
      if ('int64Values' in init) return { ...base, data: { kind: 'int64', values: init.int64Values } };
      const bytes = init.weightBytes;
      if (!options.externalData) return { ...base, data: { kind: 'raw', bytes } };
      external.push(bytes);
      const where = { location: dataFile, offset, length: bytes.length };
      offset += bytes.length;
      return { ...base, data: { kind: 'external', where } };
    });
    const model = encodeModel({
      irVersion: IR_VERSION,
      opsetVersion: OPSET_VERSION,
      producerName: 'sdxl-assets tests',
      graph: { name: this.name, nodes: this.nodes, initializers, inputs: this.inputs, outputs: this.outputs },
    });
    writeFileSync(path, model);
    if (options.externalData) writeFileSync(join(dirname(path), dataFile), Buffer.concat(external));
  }

  private toFloat32(value: string): string {
    return this.floatType === 'float16' ? this.cast(value, DataType.FLOAT) : value;
  }

  private dataType(type: IoType): DataType {
    if (type === 'int32') return DataType.INT32;
    if (type === 'int64') return DataType.INT64;
    return this.floatType === 'float16' ? DataType.FLOAT16 : DataType.FLOAT;
  }

  private fresh(prefix: string): string {
    return `${prefix}${this.nextId++}`;
  }
}
