// Seamless tiles as AUTOMATIC1111's "Tiling" makes them (every Conv2d of the UNet and VAE switched
// to padding_mode='circular'), done on the ONNX graph: each padded Conv gets its input wrapped
// around along the tiled axes, and pads only what is left with zeros itself.
import type { Tiling } from '../../../protocol/recipe';
import { AttributeView, ElemType, type ModelView, type NodeView, TENSOR, TensorView } from '../convert/onnxModel';
import { bytesField, type Field, firstInt, firstString, parseMessage, repeatedInts, stringField, varintField } from '../convert/protoWire';

const ATTRIBUTE = { name: 1, i: 3, s: 4, ints: 8, type: 20 } as const;
const ATTRIBUTE_TYPE = { INT: 2, INTS: 7 } as const;
const MODEL_OPSET_IMPORT = 8;
const OPSET = { domain: 1, version: 2 } as const;
/** Slice takes starts, ends and axes as inputs from opset 10 on. */
const SLICE_INPUTS_OPSET = 10;
const INT64_MAX = 2n ** 63n - 1n;

/** NCHW: the height is axis 2, the width axis 3; Conv's pads are [h_begin, w_begin, h_end, w_end]. */
const AXES: Record<'h' | 'w', { axis: number; begin: number; end: number }> = {
  h: { axis: 2, begin: 0, end: 2 },
  w: { axis: 3, begin: 1, end: 3 },
};

export function wrappedAxes(tiling: Tiling): Array<'h' | 'w'> {
  return tiling === 'x' ? ['w'] : tiling === 'y' ? ['h'] : ['h', 'w'];
}

export class UnsupportedConvError extends Error {}

/**
 * Wraps the input of every padded 2-D Conv around along the tiled axes and zeroes those pads,
 * in place. The wrap is Slice+Concat rather than Pad's 'wrap' mode: that mode needs opset 19
 * (raising a model's opset changes other ops' meaning), and ONNX Runtime's CUDA provider had
 * no kernel for it until 2026 (microsoft/onnxruntime#26393, #27708), so it would fall back to
 * the CPU; Slice and Concat run on every provider. Returns how many Convs were changed.
 */
export function wrapConvolutions(model: ModelView, tiling: Tiling): number {
  const opset = defaultOpset(model);
  if (opset < SLICE_INPUTS_OPSET) throw new UnsupportedConvError(`the model's opset ${opset} is older than 10`);
  const axes = wrappedAxes(tiling);
  const constants = new Constants(model);
  const nodes: NodeView[] = [];
  let changed = 0;
  for (const node of model.graph.nodes) {
    const pads = convPads(node);
    if (!pads || axes.every((a) => pads[AXES[a].begin] === 0 && pads[AXES[a].end] === 0)) {
      nodes.push(node);
      continue;
    }
    let input = node.inputs[0];
    for (const a of axes) {
      const { axis, begin, end } = AXES[a];
      if (pads[begin] === 0 && pads[end] === 0) continue;
      const output = `${input}/seamless_${changed}_${a}`;
      nodes.push(...wrapNodes(input, output, axis, pads[begin], pads[end], constants));
      pads[begin] = 0;
      pads[end] = 0;
      input = output;
    }
    node.inputs[0] = input;
    setPads(node, pads);
    nodes.push(node);
    changed++;
  }
  model.graph.nodes = nodes;
  return changed;
}

/** The pads of a standard-domain 2-D Conv, or undefined for any other node. */
function convPads(node: NodeView): number[] | undefined {
  if (node.opType !== 'Conv' || (node.domain !== '' && node.domain !== 'ai.onnx')) return undefined;
  const autoPad = attribute(node, 'auto_pad');
  const autoPadValue = autoPad ? firstString(autoPad.fields, ATTRIBUTE.s) : undefined;
  if (autoPadValue === 'VALID') return undefined;
  if (autoPadValue !== undefined && autoPadValue !== 'NOTSET') {
    throw new UnsupportedConvError(`Conv "${node.name}" pads with auto_pad ${autoPadValue}, whose amounts depend on the input size`);
  }
  const padsAttribute = attribute(node, 'pads');
  if (!padsAttribute) return undefined;
  const pads = repeatedInts(padsAttribute.fields, ATTRIBUTE.ints);
  return pads.length === 4 ? pads : undefined;
}

function setPads(node: NodeView, pads: readonly number[]): void {
  const pad = attribute(node, 'pads');
  if (!pad) return;
  pad.fields = [...pad.fields.filter((f) => f.field !== ATTRIBUTE.ints), ...pads.map((p) => varintField(ATTRIBUTE.ints, p))];
}

function attribute(node: NodeView, name: string): AttributeView | undefined {
  return node.attributes.find((a) => a.name === name);
}

/** Concat(last `before` rows, x, first `after` rows) along `axis`: torch's circular padding. */
function wrapNodes(input: string, output: string, axis: number, before: number, after: number, constants: Constants): NodeView[] {
  const nodes: NodeView[] = [];
  const parts: string[] = [];
  const axes = constants.int64(axis);
  if (before > 0) {
    parts.push(`${output}/tail`);
    nodes.push(sliceNode(input, parts[parts.length - 1], constants.int64(-before), constants.int64(INT64_MAX), axes));
  }
  parts.push(input);
  if (after > 0) {
    parts.push(`${output}/head`);
    nodes.push(sliceNode(input, parts[parts.length - 1], constants.int64(0), constants.int64(after), axes));
  }
  const axisAttribute = new AttributeView([
    stringField(ATTRIBUTE.name, 'axis'),
    varintField(ATTRIBUTE.i, axis),
    varintField(ATTRIBUTE.type, ATTRIBUTE_TYPE.INT),
  ]);
  nodes.push({ inputs: parts, outputs: [output], name: output, opType: 'Concat', domain: '', attributes: [axisAttribute], rest: [] });
  return nodes;
}

function sliceNode(input: string, output: string, starts: string, ends: string, axes: string): NodeView {
  return { inputs: [input, starts, ends, axes], outputs: [output], name: output, opType: 'Slice', domain: '', attributes: [], rest: [] };
}

/** One-element int64 initializers, one per value, added to the graph as they are first asked for. */
class Constants {
  private readonly names = new Map<bigint, string>();

  constructor(private readonly model: ModelView) {}

  int64(value: number | bigint): string {
    const key = BigInt(value);
    let name = this.names.get(key);
    if (!name) {
      name = `seamless/int64_${key}`;
      const raw = new Uint8Array(8);
      new DataView(raw.buffer).setBigInt64(0, key, true);
      const fields: Field[] = [varintField(TENSOR.dims, 1), varintField(TENSOR.dataType, ElemType.INT64), stringField(TENSOR.name, name), bytesField(TENSOR.rawData, raw)];
      this.model.graph.initializers.push(new TensorView(fields));
      this.names.set(key, name);
    }
    return name;
  }
}

function defaultOpset(model: ModelView): number {
  for (const f of model.rest) {
    if (f.field !== MODEL_OPSET_IMPORT) continue;
    const entry = parseMessage(f.data);
    const domain = firstString(entry, OPSET.domain) ?? '';
    if (domain === '' || domain === 'ai.onnx') return firstInt(entry, OPSET.version) ?? 0;
  }
  return 0;
}
