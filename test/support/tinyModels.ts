// Tiny SDXL models with random weights in Hugging Face Optimum's ONNX folder layout, built in
// milliseconds so engine tests need neither the network nor a GPU. The networks are not
// diffusion models, but every output depends on every input the way the real ones do.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type FloatType, GraphBuilder, type IoType } from './onnx/graphBuilder';
import { attr, DataType, type Dim } from './onnx/onnxProto';
import { smallVocabSize, writeSmallClipTokenizer } from './smallVocab';

export interface TinyModelOptions {
  /** float16: every float input, output and weight is float16 (as Optimum fp16 exports); input_ids stays integer. */
  dtype?: 'float32' | 'float16';
  /** input_ids element type, default int32. */
  idsType?: 'int32' | 'int64';
  /** unet timestep: a rank-0 float scalar (Optimum >= 1.24, default) or int64 [steps] (older exports). */
  timestep?: 'float-scalar' | 'int64-1d';
  /** latent_parameters = concat(mean, logvar), 8 channels (Optimum >= 1.23). */
  vaeEncoderOutput?: 'latent_sample' | 'latent_parameters';
  /** Those components' weights go to model.onnx_data. */
  externalDataFor?: Array<'text_encoder' | 'text_encoder_2' | 'unet' | 'vae_decoder' | 'vae_encoder'>;
  /** Fixes the unet batch dim (e.g. 1) instead of leaving it dynamic. */
  staticBatch?: number;
  /** Weight seed. */
  seed?: number;
  /** Default true. */
  withVaeEncoder?: boolean;
  /** scheduler_config.json in place of SDXL base 1.0's (e.g. TURBO_SCHEDULER_CONFIG). */
  scheduler?: Record<string, unknown>;
  /** The UNet config's sample_size (latent cells), default 8. */
  sampleSize?: number;
  /** An LCM UNet: a timestep_cond input of this width and time_cond_proj_dim in its config. */
  timeCondProjDim?: number;
  /** 9: an inpainting UNet, whose sample is latents ‖ mask ‖ masked-image latents (in_channels 9); default 4. */
  unetInChannels?: 4 | 9;
}

/** An SD 1.x (CLIP ViT-L-like text encoder) or SD 2.x (OpenCLIP-like) folder, one text encoder. */
export interface TinySdOptions extends Omit<TinyModelOptions, 'externalDataFor'> {
  version: 1 | 2;
}

type Component = NonNullable<TinyModelOptions['externalDataFor']>[number];

const DIFFUSERS_VERSION = '0.40.0.dev0';
const MAX_POSITIONS = 77;

/** Two encoders with different sizes and layer counts, so a port that mixes them up fails. */
const TEXT_ENCODER = { hidden: 16, intermediate: 32, layers: 2 };
const TEXT_ENCODER_2 = { hidden: 24, intermediate: 48, layers: 3, projection: 20 };
const CROSS_ATTENTION_DIM = TEXT_ENCODER.hidden + TEXT_ENCODER_2.hidden;
const ADDITION_TIME_EMBED_DIM = 4;
const TIME_EMBED_DIM = 32;
const UNET_CHANNELS = [8, 16];
const LATENT_CHANNELS = 4;
const VAE_SCALING_FACTOR = 0.13025;
/** SD 1.x/2.x's VAE scaling_factor. */
const SD_VAE_SCALING_FACTOR = 0.18215;
/** SD 1.x's encoder is quick_gelu like CLIP ViT-L, SD 2.x's gelu like OpenCLIP ViT-H; widths differ so a mix-up fails. */
const SD_TEXT_ENCODERS = {
  1: { hidden: 16, intermediate: 32, layers: 2, activation: 'quick_gelu' },
  2: { hidden: 20, intermediate: 40, layers: 3, activation: 'gelu' },
} as const;

/** What the tiny UNet takes: the cross-attention width, SDXL's added conditions, an LCM guidance embedding. */
interface UnetSpec {
  crossAttentionDim: number;
  /** SDXL's added conditions: time ids of 6 (base) or 5 (refiner: aesthetic score) values; absent for SD. */
  timeIdCount: 5 | 6 | undefined;
  timeCondProjDim: number | undefined;
  timestep: 'float-scalar' | 'int64-1d';
  staticBatch: number | undefined;
  inChannels: 4 | 9;
}

/** Writes a complete SDXL model folder into `dir`. */
export function buildTinySdxl(dir: string, options: TinyModelOptions = {}): void {
  const floatType: FloatType = options.dtype ?? 'float32';
  const seed = options.seed ?? 1234;
  const withVaeEncoder = options.withVaeEncoder ?? true;
  const external = new Set(options.externalDataFor ?? []);
  const idsType = options.idsType ?? 'int32';
  const vocabSize = smallVocabSize();

  const spec: UnetSpec = {
    crossAttentionDim: CROSS_ATTENTION_DIM,
    timeIdCount: 6,
    timeCondProjDim: options.timeCondProjDim,
    timestep: options.timestep ?? 'float-scalar',
    staticBatch: options.staticBatch,
    inChannels: options.unetInChannels ?? LATENT_CHANNELS,
  };
  const components: ComponentBuild[] = [
    ['text_encoder', (g) => textEncoder(g, idsType, vocabSize, TEXT_ENCODER), textEncoderConfig(floatType, vocabSize)],
    ['text_encoder_2', (g) => textEncoder2(g, idsType, vocabSize), textEncoder2Config(floatType, vocabSize)],
    ['unet', (g) => unet(g, spec), unetConfig(spec, options.sampleSize ?? 8)],
    ['vae_decoder', (g) => vaeDecoder(g, VAE_SCALING_FACTOR), vaeConfig(VAE_SCALING_FACTOR)],
  ];
  const encoderOutput = options.vaeEncoderOutput ?? 'latent_sample';
  if (withVaeEncoder) {
    components.push(['vae_encoder', (g) => vaeEncoder(g, encoderOutput, VAE_SCALING_FACTOR), vaeConfig(VAE_SCALING_FACTOR)]);
  }
  saveComponents(dir, components, floatType, seed, external);

  writeSmallClipTokenizer(join(dir, 'tokenizer'), { padToken: '<|endoftext|>' });
  writeSmallClipTokenizer(join(dir, 'tokenizer_2'), { padToken: '!' });
  writeJson(join(dir, 'scheduler', 'scheduler_config.json'), options.scheduler ?? SDXL_SCHEDULER_CONFIG);
  writeJson(join(dir, 'model_index.json'), modelIndex(withVaeEncoder));
}

/**
 * Writes an SDXL refiner folder as Optimum's ORTStableDiffusionXLImg2ImgPipeline saves
 * stabilityai/stable-diffusion-xl-refiner-1.0: text_encoder_2 alone (the UNet's cross-attention
 * width is its hidden size), time ids of 5 values ending in the aesthetic score, and a
 * model_index with requires_aesthetics_score and without force_zeros_for_empty_prompt.
 */
export function buildTinySdxlRefiner(dir: string, options: Pick<TinyModelOptions, 'dtype' | 'seed' | 'scheduler'> = {}): void {
  const floatType: FloatType = options.dtype ?? 'float32';
  const vocabSize = smallVocabSize();
  const spec: UnetSpec = {
    crossAttentionDim: TEXT_ENCODER_2.hidden,
    timeIdCount: 5,
    timeCondProjDim: undefined,
    timestep: 'float-scalar',
    staticBatch: undefined,
    inChannels: LATENT_CHANNELS,
  };
  const components: ComponentBuild[] = [
    ['text_encoder_2', (g) => textEncoder2(g, 'int32', vocabSize), textEncoder2Config(floatType, vocabSize)],
    ['unet', (g) => unet(g, spec), unetConfig(spec, 8)],
    ['vae_decoder', (g) => vaeDecoder(g, VAE_SCALING_FACTOR), vaeConfig(VAE_SCALING_FACTOR)],
    ['vae_encoder', (g) => vaeEncoder(g, 'latent_sample', VAE_SCALING_FACTOR), vaeConfig(VAE_SCALING_FACTOR)],
  ];
  saveComponents(dir, components, floatType, options.seed ?? 5678, new Set());
  writeSmallClipTokenizer(join(dir, 'tokenizer_2'), { padToken: '!' });
  writeJson(join(dir, 'scheduler', 'scheduler_config.json'), options.scheduler ?? SDXL_SCHEDULER_CONFIG);
  writeJson(join(dir, 'model_index.json'), {
    ...modelIndex(true),
    _class_name: 'ORTStableDiffusionXLImg2ImgPipeline',
    force_zeros_for_empty_prompt: false,
    requires_aesthetics_score: true,
    text_encoder: [null, null],
    tokenizer: [null, null],
  });
}

/**
 * Writes an SD 1.x/2.x folder as Optimum's ORTStableDiffusionPipeline saves it: one text
 * encoder whose last_hidden_state conditions a UNet without added conditions, VAE scaling
 * 0.18215. The scheduler defaults to SD 1.5's (PNDM) for version 1 and SD 2.1's v-prediction
 * DDIM for version 2.
 */
export function buildTinySd(dir: string, options: TinySdOptions): void {
  const floatType: FloatType = options.dtype ?? 'float32';
  const seed = options.seed ?? 4321;
  const idsType = options.idsType ?? 'int32';
  const vocabSize = smallVocabSize();
  const encoder = SD_TEXT_ENCODERS[options.version];
  const spec: UnetSpec = {
    crossAttentionDim: encoder.hidden,
    timeIdCount: undefined,
    timeCondProjDim: options.timeCondProjDim,
    timestep: options.timestep ?? 'float-scalar',
    staticBatch: options.staticBatch,
    inChannels: options.unetInChannels ?? LATENT_CHANNELS,
  };
  const encoderSpec = { ...encoder, projection: encoder.hidden };
  const components: ComponentBuild[] = [
    [
      'text_encoder',
      (g) => textEncoder(g, idsType, vocabSize, encoder),
      clipConfig(floatType, vocabSize, 'CLIPTextModel', encoder.activation, encoderSpec),
    ],
    ['unet', (g) => unet(g, spec), unetConfig(spec, options.sampleSize ?? 8)],
    ['vae_decoder', (g) => vaeDecoder(g, SD_VAE_SCALING_FACTOR), vaeConfig(SD_VAE_SCALING_FACTOR)],
  ];
  const withVaeEncoder = options.withVaeEncoder ?? true;
  const encoderOutput = options.vaeEncoderOutput ?? 'latent_sample';
  if (withVaeEncoder) {
    const build = (g: GraphBuilder) => vaeEncoder(g, encoderOutput, SD_VAE_SCALING_FACTOR);
    components.push(['vae_encoder', build, vaeConfig(SD_VAE_SCALING_FACTOR)]);
  }
  saveComponents(dir, components, floatType, seed, new Set());
  writeSmallClipTokenizer(join(dir, 'tokenizer'), { padToken: '<|endoftext|>' });
  const scheduler = options.scheduler ?? (options.version === 1 ? SD15_SCHEDULER_CONFIG : SD21_V_SCHEDULER_CONFIG);
  writeJson(join(dir, 'scheduler', 'scheduler_config.json'), scheduler);
  writeJson(join(dir, 'model_index.json'), sdModelIndex(withVaeEncoder, String(scheduler._class_name)));
}

type ComponentBuild = [Component, (g: GraphBuilder) => void, Record<string, unknown>];

function saveComponents(
  dir: string,
  components: ComponentBuild[],
  floatType: FloatType,
  seed: number,
  external: ReadonlySet<Component>,
): void {
  components.forEach(([name, build, config], index) => {
    // Each component gets its own stream so adding one never changes another's weights.
    const g = new GraphBuilder(name, floatType, seed * 31 + index);
    build(g);
    g.save(join(dir, name, 'model.onnx'), { externalData: external.has(name) });
    writeJson(join(dir, name, 'config.json'), config);
  });
}

function textEncoder(
  g: GraphBuilder,
  idsType: IoType,
  vocabSize: number,
  spec: { hidden: number; intermediate: number; layers: number },
): void {
  const { lastHidden, pooled, hidden } = clipTransformer(g, idsType, vocabSize, spec);
  const h = spec.hidden;
  g.output('last_hidden_state', lastHidden, 'float', ['batch_size', 'sequence_length', h]);
  g.output('pooler_output', pooled, 'float', ['batch_size', h]);
  hidden.forEach((value, i) => g.output(`hidden_states.${i}`, value, 'float', ['batch_size', 'sequence_length', h]));
}

function textEncoder2(g: GraphBuilder, idsType: IoType, vocabSize: number): void {
  const { lastHidden, pooled, hidden } = clipTransformer(g, idsType, vocabSize, TEXT_ENCODER_2);
  const { hidden: h, projection } = TEXT_ENCODER_2;
  const textEmbeds = g.linear(pooled, h, projection, { bias: false });
  g.output('text_embeds', textEmbeds, 'float', ['batch_size', projection]);
  g.output('last_hidden_state', lastHidden, 'float', ['batch_size', 'sequence_length', h]);
  hidden.forEach((value, i) => g.output(`hidden_states.${i}`, value, 'float', ['batch_size', 'sequence_length', h]));
}

/**
 * A pre-norm transformer with single-head causal self-attention, like CLIP's text model: the
 * state at position i depends on the tokens at positions <= i only, so padding changes just the
 * padded positions. The pooled output is the final state at the first largest id (the first EOS).
 */
function clipTransformer(
  g: GraphBuilder,
  idsType: IoType,
  vocabSize: number,
  spec: { hidden: number; intermediate: number; layers: number },
): { lastHidden: string; pooled: string; hidden: string[] } {
  const h = spec.hidden;
  const ids = g.input('input_ids', idsType, ['batch_size', 'sequence_length']);
  const length = g.shape(ids, 1, 2);
  const tokens = g.op('Gather', [g.randomFloats([vocabSize, h], 1), ids]);
  const positions = g.slice(g.randomFloats([MAX_POSITIONS, h], 0.5), [0], length, [0]);
  let x = g.add(tokens, positions);
  const hidden = [x];

  const ones = g.op('Expand', [g.scalar(1), g.concat([length, length], 0)]);
  const causal = g.cast(g.op('Trilu', [ones], { upper: attr.int(0) }), DataType.BOOL);
  // Finite, so it stays finite when a float16 model stores it; the diagonal is never masked.
  const blocked = g.scalar(-1e4);
  for (let layer = 0; layer < spec.layers; layer++) {
    const normed = g.layerNorm(x, h);
    const q = g.linear(normed, h, h);
    const k = g.linear(normed, h, h);
    const v = g.linear(normed, h, h);
    const scores = g.mul(g.matMul(q, g.transpose(k, [0, 2, 1])), g.scalar(1 / Math.sqrt(h)));
    const weights = g.softmax(g.op('Where', [causal, scores, blocked]), -1);
    x = g.add(x, g.linear(g.matMul(weights, v), h, h));
    const mlp = g.linear(g.tanh(g.linear(g.layerNorm(x, h), h, spec.intermediate)), spec.intermediate, h);
    x = g.add(x, mlp);
    hidden.push(x);
  }

  const lastHidden = g.layerNorm(x, h);
  // ArgMax picks the first maximum. Ids below 2^24 are exact as floats, so int32 and int64 ids share one path.
  const eos = g.op('ArgMax', [g.cast(ids, DataType.FLOAT)], { axis: attr.int(1), keepdims: attr.int(1) });
  const pooled = g.op('GatherND', [lastHidden, eos], { batch_dims: attr.int(1) });
  return { lastHidden, pooled, hidden };
}

/**
 * conv_in → down (stride 2) → cross-attention on encoder_hidden_states → up (DepthToSpace) with a
 * skip → conv_out, plus 0.9·sample so it behaves roughly like an epsilon predictor. The timestep
 * and, for SDXL, the added conditions (text_embeds, time_ids) enter as per-channel biases at both
 * levels, as diffusers' resnet blocks add their time embedding; an LCM UNet's timestep_cond is
 * projected onto the timestep features first, as diffusers' TimestepEmbedding.cond_proj does.
 * Odd latent sizes fail at the skip connection, as in a real one-level UNet.
 */
function unet(g: GraphBuilder, spec: UnetSpec): void {
  const [c0, c1] = UNET_CHANNELS;
  const batch: Dim = spec.staticBatch ?? 'batch_size';
  const sample = g.input('sample', 'float', [batch, spec.inChannels, 'height', 'width']);
  const timestep =
    spec.timestep === 'float-scalar'
      ? g.input('timestep', 'float', [])
      : g.cast(g.input('timestep', 'int64', ['steps']), DataType.FLOAT);
  const context = g.input('encoder_hidden_states', 'float', [batch, 'sequence_length', spec.crossAttentionDim]);

  // [1] or [steps] timesteps broadcast against the batch like diffusers' expanded timestep.
  let timeFeatures = sinusoid(g, g.reshape(timestep, [-1, 1]), c0);
  if (spec.timeCondProjDim !== undefined) {
    const cond = g.input('timestep_cond', 'float', [batch, spec.timeCondProjDim]);
    timeFeatures = g.add(timeFeatures, g.linear(cond, spec.timeCondProjDim, c0, { bias: false }));
  }
  let embedding = mlp(g, timeFeatures, c0);
  if (spec.timeIdCount !== undefined) {
    const textEmbeds = g.input('text_embeds', 'float', [batch, TEXT_ENCODER_2.projection]);
    const timeIds = g.input('time_ids', 'float', [batch, spec.timeIdCount]);
    const timeIdFeatures = g.reshape(sinusoid(g, g.unsqueeze(timeIds, [2]), ADDITION_TIME_EMBED_DIM), [0, -1]);
    const addedInputs = g.concat([textEmbeds, timeIdFeatures], 1);
    const addedWidth = TEXT_ENCODER_2.projection + spec.timeIdCount * ADDITION_TIME_EMBED_DIM;
    embedding = g.add(embedding, mlp(g, addedInputs, addedWidth));
  }
  embedding = g.silu(embedding);
  const channelBias = (channels: number) => g.unsqueeze(g.linear(embedding, TIME_EMBED_DIM, channels), [2, 3]);

  const skip = g.silu(g.add(g.conv(sample, spec.inChannels, c0), channelBias(c0)));
  let down = g.silu(g.add(g.conv(skip, c0, c1, { stride: 2 }), channelBias(c1)));
  down = g.add(down, crossAttention(g, down, c1, context, spec.crossAttentionDim));
  const up = g.depthToSpace(g.conv(down, c1, 4 * c0, { kernel: 1 }), 2);
  const epsilon = g.conv(g.silu(g.add(up, skip)), c0, LATENT_CHANNELS);
  // An inpainting UNet predicts the noise of the latents alone, its first four channels.
  const latents = spec.inChannels === LATENT_CHANNELS ? sample : g.slice(sample, [0], [LATENT_CHANNELS], [1]);
  const out = g.add(g.mul(latents, g.scalar(0.9)), epsilon);
  g.output('out_sample', out, 'float', [batch, LATENT_CHANNELS, 'height', 'width']);
}

/** diffusers' get_timestep_embedding with flip_sin_to_cos: cos then sin of x·10000^(-i/half). */
function sinusoid(g: GraphBuilder, x: string, dim: number): string {
  const half = dim / 2;
  const frequencies = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
  const args = g.mul(x, g.floats([half], frequencies));
  return g.concat([g.op('Cos', [args]), g.op('Sin', [args])], -1);
}

function mlp(g: GraphBuilder, x: string, inFeatures: number): string {
  return g.linear(g.silu(g.linear(x, inFeatures, TIME_EMBED_DIM)), TIME_EMBED_DIM, TIME_EMBED_DIM);
}

/** Every pixel of `features` [b,c,h,w] attends over all positions of `context` [b,L,d]. */
function crossAttention(g: GraphBuilder, features: string, channels: number, context: string, contextDim: number): string {
  const headDim = 8;
  const tokens = g.transpose(g.reshape(features, [0, channels, -1]), [0, 2, 1]);
  const q = g.linear(tokens, channels, headDim);
  const k = g.linear(context, contextDim, headDim);
  const v = g.linear(context, contextDim, channels);
  const scores = g.mul(g.matMul(q, g.transpose(k, [0, 2, 1])), g.scalar(1 / Math.sqrt(headDim)));
  const attended = g.linear(g.matMul(g.softmax(scores, -1), v), channels, channels);
  return g.reshape(g.transpose(attended, [0, 2, 1]), g.shape(features, 0, 4));
}

/**
 * Three ×2 upsamplings (DepthToSpace) to the 8× image, ending in 1.1·tanh so values mostly lie in
 * [-1, 1] yet sometimes pass it, which the post-processing must clamp. The first convolution is
 * scaled for inputs of size 1/scaling_factor, as the engine feeds latents / scaling_factor.
 */
function vaeDecoder(g: GraphBuilder, scalingFactor: number): void {
  const latent = g.input('latent_sample', 'float', ['batch_size', LATENT_CHANNELS, 'latent_height', 'latent_width']);
  const upsample = (x: string) => g.depthToSpace(x, 2);
  let x = upsample(g.silu(g.conv(latent, LATENT_CHANNELS, 16, { gain: scalingFactor })));
  x = upsample(g.silu(g.conv(x, 4, 16, { gain: 1.5 })));
  x = upsample(g.conv(x, 4, 12, { gain: 2 }));
  const image = g.mul(g.tanh(x), g.scalar(1.1));
  g.output('sample', image, 'float', ['batch_size', 3, 'latent_height * 8', 'latent_width * 8']);
}

/**
 * Three stride-2 convolutions to the 1/8 latent grid. The mean is of order 1/scaling_factor like
 * a real VAE's; latent_parameters appends a log-variance near -5, as the reference fixture has.
 */
function vaeEncoder(g: GraphBuilder, output: 'latent_sample' | 'latent_parameters', scalingFactor: number): void {
  const image = g.input('sample', 'float', ['batch_size', 3, 'sample_height', 'sample_width']);
  let x = g.silu(g.conv(image, 3, 8, { stride: 2 }));
  x = g.silu(g.conv(x, 8, 16, { stride: 2, gain: 2 }));
  x = g.silu(g.conv(x, 16, 16, { stride: 2, gain: 2 }));
  const mean = g.conv(x, 16, LATENT_CHANNELS, { gain: 1 / scalingFactor });
  const latentShape: Dim[] = ['batch_size', LATENT_CHANNELS, 'sample_height / 8', 'sample_width / 8'];
  if (output === 'latent_sample') {
    g.output('latent_sample', mean, 'float', latentShape);
    return;
  }
  const logvar = g.add(g.scalar(-5), g.mul(g.tanh(g.conv(x, 16, LATENT_CHANNELS)), g.scalar(0.5)));
  const parameters = g.concat([mean, logvar], 1);
  const parametersShape = ['batch_size', 2 * LATENT_CHANNELS, latentShape[2], latentShape[3]];
  g.output('latent_parameters', parameters, 'float', parametersShape);
}

function textEncoderConfig(floatType: FloatType, vocabSize: number): Record<string, unknown> {
  const spec = { ...TEXT_ENCODER, projection: TEXT_ENCODER.hidden };
  return clipConfig(floatType, vocabSize, 'CLIPTextModel', 'quick_gelu', spec);
}

function textEncoder2Config(floatType: FloatType, vocabSize: number): Record<string, unknown> {
  return clipConfig(floatType, vocabSize, 'CLIPTextModelWithProjection', 'gelu', TEXT_ENCODER_2);
}

export function clipConfig(
  floatType: FloatType,
  vocabSize: number,
  architecture: string,
  activation: string,
  spec: { hidden: number; intermediate: number; layers: number; projection: number },
): Record<string, unknown> {
  return {
    architectures: [architecture],
    attention_dropout: 0.0,
    bos_token_id: 0,
    dropout: 0.0,
    eos_token_id: 2,
    hidden_act: activation,
    hidden_size: spec.hidden,
    initializer_factor: 1.0,
    initializer_range: 0.02,
    intermediate_size: spec.intermediate,
    layer_norm_eps: 1e-5,
    max_position_embeddings: MAX_POSITIONS,
    model_type: 'clip_text_model',
    num_attention_heads: 1,
    num_hidden_layers: spec.layers,
    output_hidden_states: true,
    pad_token_id: 1,
    projection_dim: spec.projection,
    torch_dtype: floatType,
    transformers_version: '4.44.2',
    vocab_size: vocabSize,
  };
}

function unetConfig(spec: UnetSpec, sampleSize: number): Record<string, unknown> {
  const sdxl =
    spec.timeIdCount !== undefined
      ? {
          addition_embed_type: 'text_time',
          addition_embed_type_num_heads: 64,
          addition_time_embed_dim: ADDITION_TIME_EMBED_DIM,
          projection_class_embeddings_input_dim: TEXT_ENCODER_2.projection + spec.timeIdCount * ADDITION_TIME_EMBED_DIM,
        }
      : {};
  return {
    ...sdxl,
    _class_name: 'UNet2DConditionModel',
    _diffusers_version: DIFFUSERS_VERSION,
    act_fn: 'silu',
    attention_head_dim: [2, 4],
    block_out_channels: UNET_CHANNELS,
    center_input_sample: false,
    cross_attention_dim: spec.crossAttentionDim,
    down_block_types: ['DownBlock2D', 'CrossAttnDownBlock2D'],
    downsample_padding: 1,
    flip_sin_to_cos: true,
    freq_shift: 0,
    in_channels: spec.inChannels,
    layers_per_block: 1,
    mid_block_type: 'UNetMidBlock2DCrossAttn',
    norm_eps: 1e-5,
    norm_num_groups: 4,
    out_channels: LATENT_CHANNELS,
    sample_size: sampleSize,
    time_cond_proj_dim: spec.timeCondProjDim ?? null,
    time_embedding_type: 'positional',
    transformer_layers_per_block: 1,
    up_block_types: ['CrossAttnUpBlock2D', 'UpBlock2D'],
    upcast_attention: false,
    use_linear_projection: true,
  };
}

function vaeConfig(scalingFactor: number): Record<string, unknown> {
  return {
    _class_name: 'AutoencoderKL',
    _diffusers_version: DIFFUSERS_VERSION,
    act_fn: 'silu',
    block_out_channels: [8, 16, 16, 16],
    down_block_types: Array(4).fill('DownEncoderBlock2D'),
    force_upcast: true,
    in_channels: 3,
    latent_channels: LATENT_CHANNELS,
    latents_mean: null,
    latents_std: null,
    layers_per_block: 1,
    norm_num_groups: 4,
    out_channels: 3,
    sample_size: 64,
    scaling_factor: scalingFactor,
    shift_factor: null,
    up_block_types: Array(4).fill('UpDecoderBlock2D'),
    use_post_quant_conv: true,
    use_quant_conv: true,
  };
}

/** SDXL base 1.0's scheduler config, as in the reference fixture. */
export const SDXL_SCHEDULER_CONFIG: Readonly<Record<string, unknown>> = {
  _class_name: 'EulerDiscreteScheduler',
  _diffusers_version: '0.19.0.dev0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  clip_sample: false,
  interpolation_type: 'linear',
  num_train_timesteps: 1000,
  prediction_type: 'epsilon',
  sample_max_value: 1.0,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  timestep_spacing: 'leading',
  trained_betas: null,
  use_karras_sigmas: false,
};

/** stabilityai/sdxl-turbo's and sd-turbo's scheduler: Euler ancestral with trailing spacing. */
export const TURBO_SCHEDULER_CONFIG = {
  ...SDXL_SCHEDULER_CONFIG,
  _class_name: 'EulerAncestralDiscreteScheduler',
  _diffusers_version: '0.24.0.dev0',
  timestep_spacing: 'trailing',
};

/** SimianLuo/LCM_Dreamshaper_v7's scheduler. */
export const LCM_SCHEDULER_CONFIG = {
  _class_name: 'LCMScheduler',
  _diffusers_version: '0.22.0.dev0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  clip_sample: false,
  clip_sample_range: 1.0,
  dynamic_thresholding_ratio: 0.995,
  num_train_timesteps: 1000,
  original_inference_steps: 50,
  prediction_type: 'epsilon',
  rescale_betas_zero_snr: false,
  sample_max_value: 1.0,
  set_alpha_to_one: true,
  steps_offset: 1,
  thresholding: false,
  timestep_scaling: 10.0,
  timestep_spacing: 'leading',
  trained_betas: null,
};

/** runwayml/stable-diffusion-v1-5's scheduler (PNDM, which diffusers' old configs name without a spacing). */
export const SD15_SCHEDULER_CONFIG = {
  _class_name: 'PNDMScheduler',
  _diffusers_version: '0.6.0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
  clip_sample: false,
};

/** stabilityai/stable-diffusion-2-1's scheduler: DDIM on v-prediction. */
export const SD21_V_SCHEDULER_CONFIG = {
  _class_name: 'DDIMScheduler',
  _diffusers_version: '0.8.0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  clip_sample: false,
  num_train_timesteps: 1000,
  prediction_type: 'v_prediction',
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
};

/** The format optimum's ORTStableDiffusionPipeline.save_pretrained writes. */
export function sdModelIndex(withVaeEncoder: boolean, schedulerClass: string): Record<string, unknown> {
  const onnx = ['diffusers', 'OnnxRuntimeModel'];
  return {
    _class_name: 'ORTStableDiffusionPipeline',
    _diffusers_version: DIFFUSERS_VERSION,
    feature_extractor: [null, null],
    image_encoder: [null, null],
    requires_safety_checker: false,
    safety_checker: [null, null],
    scheduler: ['diffusers', schedulerClass],
    text_encoder: onnx,
    tokenizer: ['transformers', 'CLIPTokenizer'],
    unet: onnx,
    vae_decoder: onnx,
    vae_encoder: withVaeEncoder ? onnx : [null, null],
  };
}

/** The format optimum's ORTStableDiffusionXLPipeline.save_pretrained writes. */
export function modelIndex(withVaeEncoder: boolean): Record<string, unknown> {
  const onnx = ['diffusers', 'OnnxRuntimeModel'];
  return {
    _class_name: 'ORTStableDiffusionXLPipeline',
    _diffusers_version: DIFFUSERS_VERSION,
    feature_extractor: [null, null],
    force_zeros_for_empty_prompt: true,
    image_encoder: [null, null],
    requires_aesthetics_score: false,
    scheduler: ['diffusers', 'EulerDiscreteScheduler'],
    text_encoder: onnx,
    text_encoder_2: onnx,
    tokenizer: ['transformers', 'CLIPTokenizer'],
    tokenizer_2: ['transformers', 'CLIPTokenizer'],
    unet: onnx,
    vae_decoder: onnx,
    vae_encoder: withVaeEncoder ? onnx : [null, null],
  };
}

function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}
