import type { ClipTokenizer } from '../text/clipTokenizer';
import type { LoadedComponent } from '../runtime/modelSessions';
import { EngineError } from '../errors';
import { concatFloat32, integerTensor, tensorToFloat32 } from '../runtime/tensors';
import { applyChunkWeights, emptyChunk, weightedChunks, type PromptChunk } from '../text/promptWeighting';

/** One side of classifier-free guidance: per-token states [1,L,D] and, for SDXL, the pooled vector [1,P]. */
export interface PromptEmbeddings {
  tokens: Float32Array;
  pooled?: Float32Array;
}

export interface Conditioning {
  positive: PromptEmbeddings;
  /** Present only when guidance is on. */
  negative?: PromptEmbeddings;
  /** 77, or a multiple of it for a weighted prompt in several chunks. */
  sequenceLength: number;
  tokenDim: number;
  /** 0 when the model takes no pooled embedding. */
  pooledDim: number;
}

/** One text encoder with the tokenizer that feeds it and which of its outputs the UNet takes. */
export interface TextEncoderSpec {
  tokenizer: ClipTokenizer;
  encoder: LoadedComponent;
  /** num_hidden_layers from the encoder's config.json, when known. */
  configLayers: number | undefined;
  /** SDXL takes hidden_states[-2]; SD (clip_skip None) last_hidden_state. */
  hiddenState: 'penultimate' | 'last';
  /** Whether the pooled text_embeds come from this encoder (SDXL's text_encoder_2). */
  pooled: boolean;
}

export interface PromptOptions {
  /** Encode the negative side too (classifier-free guidance is on). */
  guidance: boolean;
  /** SDXL's force_zeros_for_empty_prompt: no negative prompt means zero embeddings. */
  forceZerosForEmptyPrompt: boolean;
  /** A1111's weights and 77-token chunks instead of diffusers' truncation at 77. */
  weighting: boolean;
}

/**
 * diffusers' encode_prompt for SD (one encoder) and SDXL (two, per-token states concatenated
 * along the width, pooled from the second). With weighting, A1111's chunks: both sides padded
 * to the same chunk count with empty chunks, pooled from the first chunk.
 */
export async function encodePrompts(
  specs: readonly TextEncoderSpec[],
  prompt: string,
  negativePrompt: string | null,
  options: PromptOptions,
): Promise<Conditioning> {
  const length = specs[0].tokenizer.maxLength;
  if (specs.some((spec) => spec.tokenizer.maxLength !== length)) {
    throw new EngineError('The tokenizers disagree on the sequence length.', 'model-folder');
  }
  const chunksOf = (text: string) =>
    specs.map((spec) => (options.weighting ? weightedChunks(spec.tokenizer, text) : [plainChunk(spec.tokenizer, text)]));
  const zeroNegative = negativePrompt === null && options.forceZerosForEmptyPrompt;
  const sides = [chunksOf(prompt), ...(options.guidance && !zeroNegative ? [chunksOf(negativePrompt ?? '')] : [])];
  const chunkCount = Math.max(...sides.flat().map((chunks) => chunks.length));
  for (const side of sides) {
    side.forEach((chunks, i) => {
      while (chunks.length < chunkCount) chunks.push(emptyChunk(specs[i].tokenizer));
    });
  }
  const positive = await encodeSide(specs, sides[0], options.weighting);
  const negative = sides[1] ? await encodeSide(specs, sides[1], options.weighting) : undefined;
  const sequenceLength = chunkCount * length;
  const dims = {
    sequenceLength,
    tokenDim: positive.tokens.length / sequenceLength,
    pooledDim: positive.pooled?.length ?? 0,
  };
  if (!options.guidance) return { positive, ...dims };
  if (negative) return { positive, negative, ...dims };
  return {
    positive,
    negative: {
      tokens: new Float32Array(positive.tokens.length),
      ...(positive.pooled ? { pooled: new Float32Array(positive.pooled.length) } : {}),
    },
    ...dims,
  };
}

/** diffusers' tokenizer call: padding "max_length", truncation at 77, every weight 1. */
function plainChunk(tokenizer: ClipTokenizer, text: string): PromptChunk {
  const ids = tokenizer.encodeForModel(text);
  return { ids, weights: ids.map(() => 1) };
}

async function encodeSide(
  specs: readonly TextEncoderSpec[],
  chunksPerSpec: PromptChunk[][],
  weighting: boolean,
): Promise<PromptEmbeddings> {
  const outputs: { hidden: Float32Array; width: number }[] = [];
  let pooled: Float32Array | undefined;
  for (let s = 0; s < specs.length; s++) {
    const spec = specs[s];
    const parts: Float32Array[] = [];
    for (let c = 0; c < chunksPerSpec[s].length; c++) {
      const chunk = chunksPerSpec[s][c];
      const result = await runEncoder(spec, chunk.ids, spec.pooled && c === 0);
      if (weighting) applyChunkWeights(result.hidden, chunk.weights);
      parts.push(result.hidden);
      if (result.pooled) pooled = result.pooled;
    }
    const hidden = concatFloat32(parts);
    outputs.push({ hidden, width: hidden.length / (chunksPerSpec[s].length * spec.tokenizer.maxLength) });
  }
  if (specs.some((spec) => spec.pooled) && !pooled) throw new Error('the pooled text encoder gave no text_embeds');
  const tokens = outputs.length === 1 ? outputs[0].hidden : interleave(outputs);
  return pooled ? { tokens, pooled } : { tokens };
}

/** Per token, each encoder's state side by side (torch.concat(prompt_embeds_list, dim=-1)). */
function interleave(outputs: { hidden: Float32Array; width: number }[]): Float32Array {
  const rows = outputs[0].hidden.length / outputs[0].width;
  const width = outputs.reduce((sum, o) => sum + o.width, 0);
  const tokens = new Float32Array(rows * width);
  for (let i = 0; i < rows; i++) {
    let offset = i * width;
    for (const { hidden, width: w } of outputs) {
      tokens.set(hidden.subarray(i * w, (i + 1) * w), offset);
      offset += w;
    }
  }
  return tokens;
}

async function runEncoder(
  spec: TextEncoderSpec,
  ids: number[],
  withPooled: boolean,
): Promise<{ hidden: Float32Array; pooled?: Float32Array }> {
  const { encoder } = spec;
  const hiddenName =
    spec.hiddenState === 'last' ? 'last_hidden_state' : `hidden_states.${penultimateIndex(encoder, spec.configLayers)}`;
  encoder.signature.output(hiddenName);
  const fetches = withPooled ? [hiddenName, encoder.signature.output('text_embeds').name] : [hiddenName];
  const feeds = { input_ids: integerTensor(encoder.signature.input('input_ids'), ids, [1, ids.length]) };
  const result = await encoder.session.run(feeds, fetches);
  const component = encoder.signature.component;
  const hidden = tensorToFloat32(result[hiddenName], `${component} ${hiddenName}`);
  if (!withPooled) return { hidden };
  return { hidden, pooled: tensorToFloat32(result.text_embeds, `${component} text_embeds`) };
}

/**
 * hidden_states.0 is the embedding output and hidden_states.N the last layer, so SDXL's
 * hidden_states[-2] is index N-1, with N from the config or, failing that, the outputs.
 */
function penultimateIndex(encoder: LoadedComponent, configLayers: number | undefined): number {
  const indices = [...encoder.signature.outputs.keys()]
    .map((name) => /^hidden_states\.(\d+)$/.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => Number(match[1]));
  if (indices.length === 0) {
    throw new EngineError(
      `${encoder.signature.component}/model.onnx has no hidden_states.* outputs; SDXL needs the penultimate hidden state (export with output_hidden_states).`,
      'model-folder',
    );
  }
  const layers = configLayers ?? Math.max(...indices);
  return layers - 1;
}
