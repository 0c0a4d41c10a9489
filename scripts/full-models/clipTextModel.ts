// transformers' CLIPTextModel (and CLIPTextModelWithProjection) at full size with random weights,
// streamed to model.onnx_data, with the inputs and outputs Optimum's export gives it: input_ids,
// last_hidden_state, pooler_output or text_embeds, and every hidden_states.N.
import { attr, DataType, type ValueInfoInit } from '../../test/support/onnx/onnxProto';
import { type BuiltWeights, Layers, type StreamingGraph, type WeightType, writeStreamingModel } from '../gpu-bench/streamingGraph';

export interface ClipTextSpec {
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  activation: 'quick_gelu' | 'gelu';
  /** text_projection's width (CLIPTextModelWithProjection: SDXL's text_encoder_2); absent: pooler_output. */
  projection?: number;
}

/** openai/clip-vit-large-patch14: SDXL's text_encoder (and SD 1.x's). */
export const CLIP_VIT_L: ClipTextSpec = { hidden: 768, intermediate: 3072, layers: 12, heads: 12, activation: 'quick_gelu' };
/** OpenCLIP ViT-bigG/14: SDXL's text_encoder_2. */
export const OPENCLIP_BIGG: ClipTextSpec = { hidden: 1280, intermediate: 5120, layers: 32, heads: 20, activation: 'gelu', projection: 1280 };
/** OpenCLIP ViT-H/14 without its last layer, as stabilityai/stable-diffusion-2-1 ships it. */
export const OPENCLIP_H: ClipTextSpec = { hidden: 1024, intermediate: 4096, layers: 23, heads: 16, activation: 'gelu' };

export const CLIP_VOCAB = 49408;
const MAX_POSITIONS = 77;

export function buildClipTextModel(
  dir: string,
  spec: ClipTextSpec,
  options: { dtype: WeightType; seed: number; config: Record<string, unknown> },
): BuiltWeights {
  return writeStreamingModel(dir, 'text_encoder', options, (g) => clipText(g, spec));
}

function clipText(g: StreamingGraph, spec: ClipTextSpec): { inputs: ValueInfoInit[]; outputs: ValueInfoInit[] } {
  const n = new Layers(g, { normGroups: 1, headDim: spec.hidden / spec.heads });
  const h = spec.hidden;
  const length = g.op('Slice', [g.op('Shape', ['input_ids']), g.int64s([1]), g.int64s([2])]);
  const tokens = g.op('Gather', [g.weight('embeddings.token_embedding.weight', [CLIP_VOCAB, h], 0.02), 'input_ids']);
  const positions = g.op('Slice', [g.weight('embeddings.position_embedding.weight', [MAX_POSITIONS, h], 0.01), g.int64s([0]), length, g.int64s([0])]);
  let x = g.op('Add', [tokens, positions]);
  const hidden = [x];

  const ones = g.op('Expand', [g.constant([1], []), g.op('Concat', [length, length], { axis: attr.int(0) })]);
  const causal = g.op('Cast', [g.op('Trilu', [ones], { upper: attr.int(0) })], { to: attr.int(DataType.BOOL) });
  for (let layer = 0; layer < spec.layers; layer++) {
    const prefix = `encoder.layers.${layer}`;
    const normed = n.layerNorm(`${prefix}.layer_norm1`, x, h);
    x = g.op('Add', [x, n.attention(`${prefix}.self_attn`, normed, normed, h, h, { bias: true, heads: spec.heads, mask: causal })]);
    const fc1 = n.linear(`${prefix}.mlp.fc1`, n.layerNorm(`${prefix}.layer_norm2`, x, h), h, spec.intermediate);
    x = g.op('Add', [x, n.linear(`${prefix}.mlp.fc2`, activation(g, n, spec, fc1), spec.intermediate, h)]);
    hidden.push(x);
  }
  const lastHidden = n.layerNorm('final_layer_norm', x, h);
  // The pooled state is the one at the end-of-text token, the largest id.
  const eos = g.op('ArgMax', [g.op('Cast', ['input_ids'], { to: attr.int(DataType.FLOAT) })], { axis: attr.int(1), keepdims: attr.int(1) });
  const pooled = g.op('GatherND', [lastHidden, eos], { batch_dims: attr.int(1) });

  const states = (name: string) => g.float(name, ['batch_size', 'sequence_length', h]);
  const outputs: ValueInfoInit[] = [];
  if (spec.projection === undefined) {
    g.named('Identity', [pooled], 'pooler_output');
    outputs.push(g.float('pooler_output', ['batch_size', h]));
  } else {
    g.named('Identity', [n.linear('text_projection', pooled, h, spec.projection, false)], 'text_embeds');
    outputs.push(g.float('text_embeds', ['batch_size', spec.projection]));
  }
  g.named('Identity', [lastHidden], 'last_hidden_state');
  outputs.push(states('last_hidden_state'));
  hidden.forEach((value, i) => {
    g.named('Identity', [value], `hidden_states.${i}`);
    outputs.push(states(`hidden_states.${i}`));
  });
  return { inputs: [{ name: 'input_ids', elemType: DataType.INT32, shape: ['batch_size', 'sequence_length'] }], outputs };
}

/** CLIP ViT-L's quick_gelu is x·sigmoid(1.702·x); OpenCLIP's is the exact GELU. */
function activation(g: StreamingGraph, n: Layers, spec: ClipTextSpec, x: string): string {
  if (spec.activation === 'gelu') return n.gelu(x);
  return g.op('Mul', [x, g.op('Sigmoid', [g.op('Mul', [x, g.constant([1.702], [])])])]);
}
