// Rewrites a float32 ONNX graph for float16 weights, after onnxconverter-common's
// convert_float_to_float16 (github.com/microsoft/onnxconverter-common, float16.py): float values
// become float16, the ops of its default block list keep computing in float32 behind Cast nodes,
// and float initializers that only blocked ops read stay float32. Graph inputs and outputs become
// float16 (its keep_io_types=False), which is what Optimum's fp16 export gives. The element types
// of inner values come from the graph itself (value_info where present, else each op's typing
// rule), since there is no ONNX shape inference here.
import { EngineError } from '../../errors';
import { AttributeView, castNode, ElemType, type GraphView, type NodeView, type TensorView } from './onnxModel';
import { convertTensorToFloat16 } from './float16Tensor';

/** float16.py's DEFAULT_OP_BLOCK_LIST: ops without float16 kernels or unsafe in half precision. */
export const FLOAT32_OPS: ReadonlySet<string> = new Set([
  'ArrayFeatureExtractor',
  'Binarizer',
  'CastMap',
  'CategoryMapper',
  'DictVectorizer',
  'FeatureVectorizer',
  'Imputer',
  'LabelEncoder',
  'LinearClassifier',
  'LinearRegressor',
  'Normalizer',
  'OneHotEncoder',
  'RandomUniformLike',
  'SVMClassifier',
  'SVMRegressor',
  'Scaler',
  'TreeEnsembleClassifier',
  'TreeEnsembleRegressor',
  'ZipMap',
  'NonMaxSuppression',
  'TopK',
  'RoiAlign',
  'Resize',
  'Range',
  'CumSum',
  'Min',
  'Max',
  'Upsample',
]);

/** Ops whose outputs are never float, whatever their inputs. */
const NON_FLOAT_OUTPUT_OPS = new Set([
  'Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual',
  'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf', 'BitShift',
]);

/** Ops whose float output type comes from a `dtype` attribute (default float) rather than an input. */
const DTYPE_OPS = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'EyeLike', 'Bernoulli', 'Multinomial']);

export interface Float16GraphResult {
  /** Float initializers left in float32 because only blocked ops read them. */
  keptFloat32: Set<string>;
  /** How many nodes now compute in float32 behind Cast nodes, by op type. */
  blockedNodes: Map<string, number>;
}

/** True when the graph has float32 values to convert (an fp16 export has none). */
export function hasFloat32(graph: GraphView): boolean {
  return (
    graph.initializers.some((t) => t.dataType === ElemType.FLOAT) ||
    graph.inputs.some((v) => v.elemType === ElemType.FLOAT) ||
    graph.outputs.some((v) => v.elemType === ElemType.FLOAT)
  );
}

/** Edits `graph` in place; initializer data is left to the caller, who streams it (see keptFloat32). */
export function rewriteGraphForFloat16(graph: GraphView, component: string): Float16GraphResult {
  if (graph.hasSparseInitializers) throw unsupported(component, 'sparse initializers');
  const floats = floatValues(graph);
  const names = new UniqueNames(graph);
  const blocked = (node: NodeView) => FLOAT32_OPS.has(node.opType) && node.domain === '';

  const readers = new Map<string, NodeView[]>();
  for (const node of graph.nodes) {
    for (const input of node.inputs) readers.set(input, [...(readers.get(input) ?? []), node]);
  }
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const keptFloat32 = new Set<string>();
  for (const tensor of graph.initializers) {
    const users = readers.get(tensor.name) ?? [];
    if (tensor.dataType === ElemType.FLOAT && users.length > 0 && users.every(blocked) && !graphOutputs.has(tensor.name)) {
      keptFloat32.add(tensor.name);
    }
  }

  const blockedNodes = new Map<string, number>();
  const nodes: NodeView[] = [];
  for (const node of graph.nodes) {
    if (node.attributes.some((a) => a.hasSubgraph())) throw unsupported(component, `subgraphs (${node.opType} node)`);
    if (node.attributes.some((a) => a.hasSparseTensor())) throw unsupported(component, `sparse tensor attributes (${node.opType} node)`);
    if (blocked(node)) {
      blockedNodes.set(node.opType, (blockedNodes.get(node.opType) ?? 0) + 1);
      node.inputs = node.inputs.map((input) => {
        if (!input || !floats.has(input) || keptFloat32.has(input)) return input;
        const cast = names.fresh(`${input}_float32`);
        nodes.push(castNode(names.fresh(`${cast}_cast`), input, cast, ElemType.FLOAT));
        return cast;
      });
      nodes.push(node);
      castOutputsToFloat16(node, floats, names, nodes);
      continue;
    }
    for (const attribute of node.attributes) {
      for (const tensor of attribute.tensors) {
        if (tensor.dataType === ElemType.FLOAT) convertTensorToFloat16(tensor);
      }
    }
    if (node.opType === 'Cast' && node.domain === '') {
      const to = node.attributes.find((a) => a.name === 'to');
      if (to?.int === ElemType.FLOAT) to.int = ElemType.FLOAT16;
    }
    nodes.push(node);
    if (makesFloat32ByAttribute(node)) castOutputsToFloat16(node, floats, names, nodes);
  }
  graph.nodes = nodes;

  // An initializer may also be declared as a graph input (IR < 4 exports): its declaration follows its data.
  for (const info of [...graph.inputs, ...graph.outputs, ...graph.valueInfo]) {
    if (info.elemType === ElemType.FLOAT && !keptFloat32.has(info.name)) info.elemType = ElemType.FLOAT16;
  }
  return { keptFloat32, blockedNodes };
}

/** Renames each float output and appends a Cast to float16 that produces the old name. */
function castOutputsToFloat16(node: NodeView, floats: Set<string>, names: UniqueNames, nodes: NodeView[]): void {
  node.outputs = node.outputs.map((output) => {
    if (!output || !floats.has(output)) return output;
    const computed = names.fresh(`${output}_float32`);
    nodes.push(castNode(names.fresh(`${computed}_cast`), computed, output, ElemType.FLOAT16));
    return computed;
  });
}

/** Nodes outside the block list that still produce float32: a float attribute or a float `dtype`. */
function makesFloat32ByAttribute(node: NodeView): boolean {
  if (node.domain !== '') return false;
  if (node.opType === 'Constant') return node.attributes.some((a) => a.name === 'value_float' || a.name === 'value_floats');
  if (node.opType === 'ConstantOfShape') return !node.attributes.some((a) => a.name === 'value');
  if (DTYPE_OPS.has(node.opType)) {
    const dtype = node.attributes.find((a) => a.name === 'dtype')?.int;
    return dtype === ElemType.FLOAT || (dtype === undefined && !node.opType.endsWith('Like'));
  }
  return false;
}

/** The names of every float32 value of the original graph. */
function floatValues(graph: GraphView): Set<string> {
  const declared = new Map<string, number | undefined>();
  for (const info of [...graph.inputs, ...graph.outputs, ...graph.valueInfo]) declared.set(info.name, info.elemType);
  const floats = new Set<string>();
  for (const input of graph.inputs) if (input.elemType === ElemType.FLOAT) floats.add(input.name);
  for (const tensor of graph.initializers) if (tensor.dataType === ElemType.FLOAT) floats.add(tensor.name);
  for (const node of graph.nodes) {
    node.outputs.forEach((output, index) => {
      const type = declared.get(output);
      const isFloat = type !== undefined ? type === ElemType.FLOAT : outputIsFloat(node, index, floats);
      if (output && isFloat) floats.add(output);
    });
  }
  return floats;
}

/** ONNX's type constraint for output `index` of `node`, reduced to "is it float32". */
function outputIsFloat(node: NodeView, index: number, floats: Set<string>): boolean {
  const input = (i: number) => floats.has(node.inputs[i] ?? '');
  const attribute = (name: string) => node.attributes.find((a) => a.name === name);
  if (node.domain !== '' && node.domain !== 'ai.onnx') return input(0);
  switch (node.opType) {
    case 'Cast':
      return attribute('to')?.int === ElemType.FLOAT;
    case 'CastLike':
      return input(1);
    case 'Constant':
      return tensorAttributeIsFloat(attribute('value')) || attribute('value_float') !== undefined || attribute('value_floats') !== undefined;
    case 'ConstantOfShape': {
      const value = attribute('value');
      return value === undefined || tensorAttributeIsFloat(value);
    }
    case 'Where':
      return input(1);
    case 'TopK':
    case 'Unique':
    case 'Dropout':
    case 'MaxPool':
      return index === 0 && input(0);
  }
  if (NON_FLOAT_OUTPUT_OPS.has(node.opType)) return false;
  if (DTYPE_OPS.has(node.opType)) {
    const dtype = attribute('dtype')?.int;
    return dtype !== undefined ? dtype === ElemType.FLOAT : node.opType.endsWith('Like') ? input(0) : true;
  }
  return input(0);
}

function tensorAttributeIsFloat(attribute: AttributeView | undefined): boolean {
  const tensor: TensorView | undefined = attribute?.tensors[0];
  return tensor?.dataType === ElemType.FLOAT;
}

function unsupported(component: string, what: string): EngineError {
  return new EngineError(`${component}/model.onnx uses ${what}, which the float16 conversion does not handle.`, 'model-folder');
}

/** Fresh value and node names that collide with nothing in the graph. */
class UniqueNames {
  private readonly taken = new Set<string>();

  constructor(graph: GraphView) {
    for (const node of graph.nodes) {
      this.taken.add(node.name);
      for (const name of [...node.inputs, ...node.outputs]) this.taken.add(name);
    }
    for (const info of [...graph.inputs, ...graph.outputs, ...graph.valueInfo]) this.taken.add(info.name);
    for (const tensor of graph.initializers) this.taken.add(tensor.name);
  }

  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }
}
