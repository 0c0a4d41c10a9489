import type { ClipTokenizer } from '../text/clipTokenizer';
import type { LoadedComponent } from '../runtime/modelSessions';
import { EngineError } from '../errors';
import { integerTensor, tensorToFloat32 } from '../runtime/tensors';

/** One side of classifier-free guidance: per-token states [1,L,D] and the pooled vector [1,P]. */
export interface SdxlEmbeddings {
  tokens: Float32Array;
  pooled: Float32Array;
}

export interface SdxlConditioning {
  positive: SdxlEmbeddings;
  /** Present only when guidance is on. */
  negative?: SdxlEmbeddings;
  sequenceLength: number;
  tokenDim: number;
  pooledDim: number;
}

export interface TextEncoderPair {
  tokenizers: [ClipTokenizer, ClipTokenizer];
  encoders: [LoadedComponent, LoadedComponent];
  /** num_hidden_layers from each encoder's config.json, when known. */
  layers: [number | undefined, number | undefined];
}

interface EncoderOutput {
  hidden: Float32Array;
  width: number;
  pooled?: Float32Array;
}

/**
 * diffusers StableDiffusionXLPipeline.encode_prompt: the penultimate hidden state of each
 * encoder, concatenated per token; the pooled vector is text_encoder_2's text_embeds.
 */
export async function encodeSdxlPrompts(
  pair: TextEncoderPair,
  prompt: string,
  negativePrompt: string | null,
  guidance: boolean,
  forceZerosForEmptyPrompt: boolean,
): Promise<SdxlConditioning> {
  const positive = await encodeOne(pair, prompt);
  const dims = {
    sequenceLength: pair.tokenizers[0].maxLength,
    tokenDim: positive.tokens.length / pair.tokenizers[0].maxLength,
    pooledDim: positive.pooled.length,
  };
  if (!guidance) return { positive, ...dims };
  const negative =
    negativePrompt === null && forceZerosForEmptyPrompt
      ? { tokens: new Float32Array(positive.tokens.length), pooled: new Float32Array(positive.pooled.length) }
      : await encodeOne(pair, negativePrompt ?? '');
  return { positive, negative, ...dims };
}

async function encodeOne(pair: TextEncoderPair, text: string): Promise<SdxlEmbeddings> {
  const first = await runEncoder(pair.encoders[0], pair.tokenizers[0], text, pair.layers[0], false);
  const second = await runEncoder(pair.encoders[1], pair.tokenizers[1], text, pair.layers[1], true);
  if (!second.pooled) throw new Error('text_encoder_2 gave no pooled embedding');
  const length = pair.tokenizers[0].maxLength;
  if (pair.tokenizers[1].maxLength !== length) {
    throw new EngineError('tokenizer and tokenizer_2 disagree on the sequence length.', 'model-folder');
  }
  const width = first.width + second.width;
  const tokens = new Float32Array(length * width);
  for (let i = 0; i < length; i++) {
    tokens.set(first.hidden.subarray(i * first.width, (i + 1) * first.width), i * width);
    tokens.set(second.hidden.subarray(i * second.width, (i + 1) * second.width), i * width + first.width);
  }
  return { tokens, pooled: second.pooled };
}

async function runEncoder(
  encoder: LoadedComponent,
  tokenizer: ClipTokenizer,
  text: string,
  configLayers: number | undefined,
  withPooled: boolean,
): Promise<EncoderOutput> {
  const ids = tokenizer.encodeForModel(text);
  const hiddenName = `hidden_states.${penultimateIndex(encoder, configLayers)}`;
  const fetches = withPooled ? [hiddenName, encoder.signature.output('text_embeds').name] : [hiddenName];
  encoder.signature.output(hiddenName);
  const feeds = { input_ids: integerTensor(encoder.signature.input('input_ids'), ids, [1, ids.length]) };
  const result = await encoder.session.run(feeds, fetches);
  const component = encoder.signature.component;
  const hidden = tensorToFloat32(result[hiddenName], `${component} ${hiddenName}`);
  return {
    hidden,
    width: hidden.length / ids.length,
    pooled: withPooled ? tensorToFloat32(result.text_embeds, `${component} text_embeds`) : undefined,
  };
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
