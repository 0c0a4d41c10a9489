// Editable views of the ONNX messages the float16 conversion touches. Field numbers are those of
// onnx/onnx.proto (github.com/onnx/onnx); every field not named here is carried through as read.
import {
  all,
  bytesField,
  encodeFields,
  type Encoded,
  type Field,
  first,
  firstInt,
  firstString,
  flatten,
  type MessageField,
  messageField,
  parseMessage,
  repeatedInts,
  stringField,
  stringValue,
  varintField,
} from './protoWire';

/** TensorProto.DataType values the conversion and the seamless rewrite look at or write. */
export const ElemType = { FLOAT: 1, INT64: 7, FLOAT16: 10, DOUBLE: 11 } as const;

const MODEL_GRAPH = 7;
const GRAPH = { node: 1, initializer: 5, sparseInitializer: 15, input: 11, output: 12, valueInfo: 13 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 } as const;
const ATTRIBUTE = { name: 1, i: 3, t: 5, g: 6, tensors: 10, graphs: 11, type: 20, sparseTensor: 22, sparseTensors: 23 } as const;
/** AttributeProto.AttributeType INT. */
const ATTRIBUTE_INT = 2;
export const TENSOR = {
  dims: 1,
  dataType: 2,
  floatData: 4,
  int32Data: 5,
  name: 8,
  rawData: 9,
  externalData: 13,
  dataLocation: 14,
} as const;
const VALUE_INFO = { name: 1, type: 2 } as const;
const TYPE_TENSOR = 1;
const TENSOR_TYPE_ELEM = 1;
const STRING_ENTRY = { key: 1, value: 2 } as const;
const DATA_LOCATION_EXTERNAL = 1;

export interface ExternalData {
  location: string;
  offset: number;
  length: number;
}

export class TensorView {
  constructor(public fields: Field[]) {}

  get name(): string {
    return firstString(this.fields, TENSOR.name) ?? '';
  }

  get dataType(): number {
    return firstInt(this.fields, TENSOR.dataType) ?? 0;
  }

  get dims(): number[] {
    return repeatedInts(this.fields, TENSOR.dims);
  }

  get elementCount(): number {
    return this.dims.reduce((a, b) => a * b, 1);
  }

  /** Where the data lives when it is outside the protobuf (data_location EXTERNAL). */
  get external(): ExternalData | undefined {
    if (firstInt(this.fields, TENSOR.dataLocation) !== DATA_LOCATION_EXTERNAL) return undefined;
    const entries = new Map<string, string>();
    for (const entry of all(this.fields, TENSOR.externalData)) {
      const parsed = parseMessage(entry.data);
      entries.set(firstString(parsed, STRING_ENTRY.key) ?? '', firstString(parsed, STRING_ENTRY.value) ?? '');
    }
    const location = entries.get('location');
    if (!location) throw new Error(`tensor "${this.name}" has external data without a location`);
    const offset = Number(entries.get('offset') ?? '0');
    const length = entries.has('length') ? Number(entries.get('length')) : Number.NaN;
    return { location, offset, length };
  }

  /** Replaces data fields with fresh ones; the rest (dims, name, doc string, unknown fields) is kept. */
  replaceData(dataType: number, data: Field[]): void {
    const replaced = new Set<number>([
      TENSOR.dataType,
      TENSOR.floatData,
      TENSOR.int32Data,
      TENSOR.rawData,
      TENSOR.externalData,
      TENSOR.dataLocation,
    ]);
    this.fields = [...this.fields.filter((f) => !replaced.has(f.field)), varintField(TENSOR.dataType, dataType), ...data];
  }
}

export function externalDataFields(where: ExternalData): Field[] {
  const entries: Array<[string, string]> = [
    ['location', where.location],
    ['offset', String(where.offset)],
    ['length', String(where.length)],
  ];
  return [
    ...entries.map(([key, value]) =>
      bytesField(TENSOR.externalData, flatten(encodeFields([stringField(STRING_ENTRY.key, key), stringField(STRING_ENTRY.value, value)]))),
    ),
    varintField(TENSOR.dataLocation, DATA_LOCATION_EXTERNAL),
  ];
}

export class AttributeView {
  constructor(public fields: Field[]) {}

  get name(): string {
    return firstString(this.fields, ATTRIBUTE.name) ?? '';
  }

  get int(): number | undefined {
    return firstInt(this.fields, ATTRIBUTE.i);
  }

  set int(value: number) {
    this.fields = [...this.fields.filter((f) => f.field !== ATTRIBUTE.i), varintField(ATTRIBUTE.i, value)];
  }

  /** The `t` and `tensors` values; edits to them are written back by encode(). */
  tensors: TensorView[] = [];

  hasSubgraph(): boolean {
    return this.fields.some((f) => f.field === ATTRIBUTE.g || f.field === ATTRIBUTE.graphs);
  }

  hasSparseTensor(): boolean {
    return this.fields.some((f) => f.field === ATTRIBUTE.sparseTensor || f.field === ATTRIBUTE.sparseTensors);
  }

  static parse(bytes: Uint8Array): AttributeView {
    const view = new AttributeView(parseMessage(bytes));
    view.tensors = view.fields
      .filter((f) => f.field === ATTRIBUTE.t || f.field === ATTRIBUTE.tensors)
      .map((f) => new TensorView(parseMessage(f.data)));
    return view;
  }

  encode(): Encoded {
    let next = 0;
    return encodeFields(
      this.fields.map((f) =>
        f.field === ATTRIBUTE.t || f.field === ATTRIBUTE.tensors
          ? messageField(f.field, this.tensors[next++].fields)
          : f,
      ),
    );
  }
}

export interface NodeView {
  inputs: string[];
  outputs: string[];
  name: string;
  opType: string;
  domain: string;
  attributes: AttributeView[];
  /** Every other field (doc string, overload, metadata…), written back unchanged. */
  rest: Field[];
}

function parseNode(bytes: Uint8Array): NodeView {
  const fields = parseMessage(bytes);
  const known = new Set<number>([NODE.input, NODE.output, NODE.name, NODE.opType, NODE.attribute]);
  return {
    inputs: all(fields, NODE.input).map(stringValue),
    outputs: all(fields, NODE.output).map(stringValue),
    name: firstString(fields, NODE.name) ?? '',
    opType: firstString(fields, NODE.opType) ?? '',
    domain: firstString(fields, NODE.domain) ?? '',
    attributes: all(fields, NODE.attribute).map((f) => AttributeView.parse(f.data)),
    rest: fields.filter((f) => !known.has(f.field)),
  };
}

function encodeNode(node: NodeView): MessageField {
  return messageField(GRAPH.node, [
    ...node.inputs.map((name) => stringField(NODE.input, name)),
    ...node.outputs.map((name) => stringField(NODE.output, name)),
    ...(node.name ? [stringField(NODE.name, node.name)] : []),
    stringField(NODE.opType, node.opType),
    ...node.rest,
    ...node.attributes.map((a) => ({ field: NODE.attribute, body: a.encode() })),
  ]);
}

/** A node made by the conversion: a Cast to `to`. */
export function castNode(name: string, input: string, output: string, to: number): NodeView {
  const toAttribute = new AttributeView([stringField(ATTRIBUTE.name, 'to'), varintField(ATTRIBUTE.i, to), varintField(ATTRIBUTE.type, ATTRIBUTE_INT)]);
  return { inputs: [input], outputs: [output], name, opType: 'Cast', domain: '', attributes: [toAttribute], rest: [] };
}

export class ValueInfoView {
  constructor(public fields: Field[]) {}

  get name(): string {
    return firstString(this.fields, VALUE_INFO.name) ?? '';
  }

  /** The tensor element type, or undefined for sequences, maps and missing types. */
  get elemType(): number | undefined {
    const tensorType = this.tensorTypeFields();
    return tensorType ? firstInt(tensorType, TENSOR_TYPE_ELEM) : undefined;
  }

  set elemType(value: number) {
    const tensorType = this.tensorTypeFields();
    const typeField = first(this.fields, VALUE_INFO.type);
    if (!tensorType || !typeField) return;
    const newTensorType = [...tensorType.filter((f) => f.field !== TENSOR_TYPE_ELEM), varintField(TENSOR_TYPE_ELEM, value)];
    const typeFields = parseMessage(typeField.data).map((f) =>
      f.field === TYPE_TENSOR ? bytesField(TYPE_TENSOR, flatten(encodeFields(newTensorType))) : f,
    );
    this.fields = this.fields.map((f) => (f === typeField ? bytesField(VALUE_INFO.type, flatten(encodeFields(typeFields))) : f));
  }

  private tensorTypeFields(): Field[] | undefined {
    const typeField = first(this.fields, VALUE_INFO.type);
    if (!typeField) return undefined;
    const tensorType = first(parseMessage(typeField.data), TYPE_TENSOR);
    return tensorType ? parseMessage(tensorType.data) : undefined;
  }
}

export interface GraphView {
  nodes: NodeView[];
  initializers: TensorView[];
  inputs: ValueInfoView[];
  outputs: ValueInfoView[];
  valueInfo: ValueInfoView[];
  hasSparseInitializers: boolean;
  rest: Field[];
}

export interface ModelView {
  graph: GraphView;
  rest: Field[];
}

export function parseModel(bytes: Uint8Array): ModelView {
  const fields = parseMessage(bytes);
  const graphField = first(fields, MODEL_GRAPH);
  if (!graphField) throw new Error('the file holds no ONNX graph');
  const graph = parseMessage(graphField.data);
  const known = new Set<number>([GRAPH.node, GRAPH.initializer, GRAPH.input, GRAPH.output, GRAPH.valueInfo]);
  return {
    graph: {
      nodes: all(graph, GRAPH.node).map((f) => parseNode(f.data)),
      initializers: all(graph, GRAPH.initializer).map((f) => new TensorView(parseMessage(f.data))),
      inputs: all(graph, GRAPH.input).map((f) => new ValueInfoView(parseMessage(f.data))),
      outputs: all(graph, GRAPH.output).map((f) => new ValueInfoView(parseMessage(f.data))),
      valueInfo: all(graph, GRAPH.valueInfo).map((f) => new ValueInfoView(parseMessage(f.data))),
      hasSparseInitializers: graph.some((f) => f.field === GRAPH.sparseInitializer),
      rest: graph.filter((f) => !known.has(f.field)),
    },
    rest: fields.filter((f) => f.field !== MODEL_GRAPH),
  };
}

export function encodeModel(model: ModelView): Encoded {
  const g = model.graph;
  const graph = encodeFields([
    ...g.nodes.map(encodeNode),
    ...g.rest,
    ...g.initializers.map((t) => messageField(GRAPH.initializer, t.fields)),
    ...g.inputs.map((v) => messageField(GRAPH.input, v.fields)),
    ...g.outputs.map((v) => messageField(GRAPH.output, v.fields)),
    ...g.valueInfo.map((v) => messageField(GRAPH.valueInfo, v.fields)),
  ]);
  return encodeFields([...model.rest, { field: MODEL_GRAPH, body: graph }]);
}
