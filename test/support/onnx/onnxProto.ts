// Encoders for the ONNX messages a test model needs. Field numbers are those of onnx/onnx.proto
// (github.com/onnx/onnx, onnx/onnx.proto); only fields the builders use are written.
import { ProtoWriter } from './protobuf';

/** TensorProto.DataType values. */
export const DataType = {
  FLOAT: 1,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
} as const;
export type DataType = (typeof DataType)[keyof typeof DataType];

/** AttributeProto.AttributeType values. */
const AttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  INTS: 7,
} as const;

const DATA_LOCATION_EXTERNAL = 1;

export interface ExternalLocation {
  /** Path relative to the folder holding model.onnx. */
  location: string;
  offset: number;
  length: number;
}

export type TensorData =
  /** Little-endian element bytes, stored in raw_data. */
  | { kind: 'raw'; bytes: Uint8Array }
  | { kind: 'int64'; values: readonly number[] }
  | { kind: 'external'; where: ExternalLocation };

export interface TensorInit {
  name: string;
  dataType: DataType;
  dims: readonly number[];
  data: TensorData;
}

export type AttributeValue =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string }
  | { type: 'ints'; value: readonly number[] };

/** Attribute constructors, so call sites read `{ axis: attr.int(1) }`. */
export const attr = {
  int: (value: number): AttributeValue => ({ type: 'int', value }),
  ints: (value: readonly number[]): AttributeValue => ({ type: 'ints', value }),
  float: (value: number): AttributeValue => ({ type: 'float', value }),
  string: (value: string): AttributeValue => ({ type: 'string', value }),
};

export interface NodeInit {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: Readonly<Record<string, AttributeValue>>;
}

/** A number is a fixed size (dim_value), a string a named dynamic axis (dim_param). */
export type Dim = number | string;

export interface ValueInfoInit {
  name: string;
  elemType: DataType;
  shape: readonly Dim[];
}

export interface GraphInit {
  name: string;
  nodes: readonly NodeInit[];
  initializers: readonly TensorInit[];
  inputs: readonly ValueInfoInit[];
  outputs: readonly ValueInfoInit[];
}

export interface ModelInit {
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  graph: GraphInit;
}

export function encodeModel(model: ModelInit): Uint8Array {
  return new ProtoWriter()
    .varint(1, model.irVersion)
    .string(2, model.producerName)
    .message(7, graphProto(model.graph))
    .message(8, new ProtoWriter().string(1, '').varint(2, model.opsetVersion))
    .finish();
}

function graphProto(graph: GraphInit): ProtoWriter {
  const w = new ProtoWriter();
  for (const node of graph.nodes) w.message(1, nodeProto(node));
  w.string(2, graph.name);
  for (const tensor of graph.initializers) w.message(5, tensorProto(tensor));
  for (const input of graph.inputs) w.message(11, valueInfoProto(input));
  for (const output of graph.outputs) w.message(12, valueInfoProto(output));
  return w;
}

function nodeProto(node: NodeInit): ProtoWriter {
  const w = new ProtoWriter();
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) w.message(5, attributeProto(name, value));
  return w;
}

function attributeProto(name: string, attribute: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  switch (attribute.type) {
    case 'float':
      w.float(2, attribute.value).varint(20, AttributeType.FLOAT);
      break;
    case 'int':
      w.varint(3, attribute.value).varint(20, AttributeType.INT);
      break;
    case 'string':
      w.string(4, attribute.value).varint(20, AttributeType.STRING);
      break;
    case 'ints':
      // onnx.proto is proto2 and does not mark `ints` packed, so each element is its own record.
      for (const value of attribute.value) w.varint(8, value);
      w.varint(20, AttributeType.INTS);
      break;
  }
  return w;
}

function tensorProto(tensor: TensorInit): ProtoWriter {
  const w = new ProtoWriter();
  for (const dim of tensor.dims) w.varint(1, dim);
  w.varint(2, tensor.dataType);
  w.string(8, tensor.name);
  const data = tensor.data;
  switch (data.kind) {
    case 'raw':
      w.bytes(9, data.bytes);
      break;
    case 'int64':
      w.packedVarints(7, data.values);
      break;
    case 'external': {
      const entries: Array<[string, string]> = [
        ['location', data.where.location],
        ['offset', String(data.where.offset)],
        ['length', String(data.where.length)],
      ];
      for (const [key, value] of entries) w.message(13, new ProtoWriter().string(1, key).string(2, value));
      w.varint(14, DATA_LOCATION_EXTERNAL);
      break;
    }
  }
  return w;
}

function valueInfoProto(info: ValueInfoInit): ProtoWriter {
  const shape = new ProtoWriter();
  for (const dim of info.shape) {
    const dimension = typeof dim === 'number' ? new ProtoWriter().varint(1, dim) : new ProtoWriter().string(2, dim);
    shape.message(1, dimension);
  }
  const tensorType = new ProtoWriter().varint(1, info.elemType).message(2, shape);
  return new ProtoWriter().string(1, info.name).message(2, new ProtoWriter().message(1, tensorType));
}
