import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { maxAbsDiff } from './support/maxAbsDiff';
import { float16BitsToFloat32, float32ToFloat16Bits, fromFloat16, toFloat16 } from './support/onnx/float16';
import { GraphBuilder, mulberry32 } from './support/onnx/graphBuilder';
import { attr } from './support/onnx/onnxProto';
import { ProtoWriter } from './support/onnx/protobuf';
import { readReferenceJson, skipWithoutShared } from './support/shared';
import { smallVocabSize } from './support/smallVocab';
import { tempFolder } from './support/tempFolder';
import { buildTinySdxl, type TinyModelOptions } from './support/tinyModels';

type Component = 'text_encoder' | 'text_encoder_2' | 'unet' | 'vae_decoder' | 'vae_encoder';
const COMPONENTS: Component[] = ['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder', 'vae_encoder'];

interface ValueSpec {
  name: string;
  type: string;
  shape: Array<number | string>;
}
interface Interface {
  inputs: ValueSpec[];
  outputs: ValueSpec[];
}

const H1 = 16;
const H2 = 24;
const PROJECTION = 20;
const CONTEXT = H1 + H2;
const SEQUENCE = 77;

const workDir = tempFolder('onnx-builder');

function bytes(writer: ProtoWriter): number[] {
  return [...writer.finish()];
}

describe('ProtoWriter', () => {
  test('varints: small, multi-byte, above 2^31 and negative int64', () => {
    assert.deepEqual(bytes(new ProtoWriter().varint(1, 300)), [0x08, 0xac, 0x02]);
    assert.deepEqual(bytes(new ProtoWriter().varint(1, 2 ** 40)), [0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
    assert.deepEqual(bytes(new ProtoWriter().varint(20, -1)), [0xa0, 0x01, ...Array(9).fill(0xff), 0x01]);
    assert.deepEqual(bytes(new ProtoWriter().varint(1, 2n ** 63n - 1n)), [0x08, ...Array(8).fill(0xff), 0x7f]);
  });

  test('fixed-width, length-delimited, packed and nested fields', () => {
    assert.deepEqual(bytes(new ProtoWriter().fixed32(2, 0x01020304)), [0x15, 0x04, 0x03, 0x02, 0x01]);
    assert.deepEqual(bytes(new ProtoWriter().fixed64(3, -2n)), [0x19, 0xfe, ...Array(7).fill(0xff)]);
    assert.deepEqual(bytes(new ProtoWriter().float(4, 1.5)), [0x25, 0x00, 0x00, 0xc0, 0x3f]);
    assert.deepEqual(bytes(new ProtoWriter().string(5, 'hé')), [0x2a, 0x03, 0x68, 0xc3, 0xa9]);
    assert.deepEqual(bytes(new ProtoWriter().packedVarints(6, [1, 300, -1n])), [
      0x32, 0x0d, 0x01, 0xac, 0x02, ...Array(9).fill(0xff), 0x01,
    ]);
    const nested = new ProtoWriter().varint(1, 1).message(2, new ProtoWriter().varint(1, 150)).string(3, '');
    assert.deepEqual(bytes(nested), [0x08, 0x01, 0x12, 0x03, 0x08, 0x96, 0x01, 0x1a, 0x00]);
  });
});

describe('float16 conversion', () => {
  test('known values, ties to even, subnormals, overflow and NaN', () => {
    const cases: Array<[number, number]> = [
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [65520, 0x7c00],
      [1 / 3, 0x3555],
      [1 + 2 ** -11, 0x3c00],
      [1 + 3 * 2 ** -11, 0x3c02],
      [2 ** -24, 0x0001],
      [2 ** -25, 0x0000],
      [3 * 2 ** -25, 0x0002],
      [2 ** -14 - 2 ** -25, 0x0400],
      [-Infinity, 0xfc00],
      [-0, 0x8000],
    ];
    for (const [value, bits] of cases) assert.equal(float32ToFloat16Bits(value), bits, `${value}`);
    assert.equal(float32ToFloat16Bits(NaN) & 0x7e00, 0x7e00);
  });

  test('every finite float16 survives a round trip', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) === 0x7c00) continue;
      assert.equal(float32ToFloat16Bits(float16BitsToFloat32(bits)), bits);
    }
    assert.deepEqual([...fromFloat16(toFloat16(new Float32Array([0.5, -3.25])))], [0.5, -3.25]);
  });
});

describe('GraphBuilder', () => {
  for (const floatType of ['float32', 'float16'] as const) {
    test(`${floatType}: float and string attributes, weights inline and in external data`, async () => {
      for (const externalData of [false, true]) {
        const g = new GraphBuilder('probe', floatType, 1);
        const x = g.input('x', 'float', ['n', 2]);
        const leaky = g.op('LeakyRelu', [x], { alpha: attr.float(0.25) });
        const weight = g.floats([2, 3], [1, 2, 3, -1, 0.5, 4]);
        g.output('y', g.op('Einsum', [leaky, weight], { equation: attr.string('ij,jk->ik') }), 'float', ['n', 3]);
        const path = join(workDir, `probe-${floatType}-${externalData}`, 'model.onnx');
        g.save(path, { externalData });
        assert.equal(existsSync(`${path}_data`), externalData);
        const session = await ort.InferenceSession.create(path);
        const probe = new Runner(session, floatType);
        const { y } = await probe.run({ x: probe.floats(Float32Array.of(2, -4), [1, 2]) });
        // LeakyRelu gives [2, -1]; times the weight rows that is [2 + 1, 4 - 0.5, 6 - 4].
        assert.deepEqual([...y.data], [3, 3.5, 2]);
        assert.deepEqual(sessionInterface(session).inputs, [{ name: 'x', type: floatType, shape: ['n', 2] }]);
        await session.release();
      }
    });
  }
});

function expectedInterface(options: TinyModelOptions): Record<Component, Interface> {
  const float = options.dtype === 'float16' ? 'float16' : 'float32';
  const ids = options.idsType ?? 'int32';
  const batch = options.staticBatch ?? 'batch_size';
  const hidden = (h: number, layers: number) =>
    Array.from({ length: layers + 1 }, (_, i) => ({
      name: `hidden_states.${i}`,
      type: float,
      shape: ['batch_size', 'sequence_length', h],
    }));
  const idsInput = [{ name: 'input_ids', type: ids, shape: ['batch_size', 'sequence_length'] }];
  const parameters = options.vaeEncoderOutput === 'latent_parameters';
  return {
    text_encoder: {
      inputs: idsInput,
      outputs: [
        { name: 'last_hidden_state', type: float, shape: ['batch_size', 'sequence_length', H1] },
        { name: 'pooler_output', type: float, shape: ['batch_size', H1] },
        ...hidden(H1, 2),
      ],
    },
    text_encoder_2: {
      inputs: idsInput,
      outputs: [
        { name: 'text_embeds', type: float, shape: ['batch_size', PROJECTION] },
        { name: 'last_hidden_state', type: float, shape: ['batch_size', 'sequence_length', H2] },
        ...hidden(H2, 3),
      ],
    },
    unet: {
      inputs: [
        { name: 'sample', type: float, shape: [batch, 4, 'height', 'width'] },
        options.timestep === 'int64-1d'
          ? { name: 'timestep', type: 'int64', shape: ['steps'] }
          : { name: 'timestep', type: float, shape: [] },
        { name: 'encoder_hidden_states', type: float, shape: [batch, 'sequence_length', CONTEXT] },
        { name: 'text_embeds', type: float, shape: [batch, PROJECTION] },
        { name: 'time_ids', type: float, shape: [batch, 6] },
      ],
      outputs: [{ name: 'out_sample', type: float, shape: [batch, 4, 'height', 'width'] }],
    },
    vae_decoder: {
      inputs: [{ name: 'latent_sample', type: float, shape: ['batch_size', 4, 'latent_height', 'latent_width'] }],
      outputs: [{ name: 'sample', type: float, shape: ['batch_size', 3, 'latent_height * 8', 'latent_width * 8'] }],
    },
    vae_encoder: {
      inputs: [{ name: 'sample', type: float, shape: ['batch_size', 3, 'sample_height', 'sample_width'] }],
      outputs: [
        {
          name: parameters ? 'latent_parameters' : 'latent_sample',
          type: float,
          shape: ['batch_size', parameters ? 8 : 4, 'sample_height / 8', 'sample_width / 8'],
        },
      ],
    },
  };
}

function sessionInterface(session: ort.InferenceSession): Interface {
  const spec = (meta: ort.InferenceSession.ValueMetadata): ValueSpec => {
    assert.ok(meta.isTensor, `${meta.name} is not a tensor`);
    return { name: meta.name, type: meta.type, shape: [...meta.shape] };
  };
  return { inputs: session.inputMetadata.map(spec), outputs: session.outputMetadata.map(spec) };
}

interface Output {
  dims: readonly number[];
  data: Float32Array;
}

/** Runs float math in float32 and feeds or reads float16 tensors as the model declares. */
class Runner {
  constructor(
    readonly session: ort.InferenceSession,
    readonly float: 'float32' | 'float16',
  ) {}

  floats(values: Float32Array, dims: number[]): ort.Tensor {
    return this.float === 'float16'
      ? new ort.Tensor('float16', toFloat16(values), dims)
      : new ort.Tensor('float32', values, dims);
  }

  async run(feeds: Record<string, ort.Tensor>): Promise<Record<string, Output>> {
    const results = await this.session.run(feeds);
    return Object.fromEntries(
      Object.entries(results).map(([name, tensor]) => {
        const data = tensor.type === 'float16' ? fromFloat16(tensor.data as Uint16Array) : (tensor.data as Float32Array);
        return [name, { dims: tensor.dims, data }];
      }),
    );
  }
}

function randn(random: () => number, count: number, std = 1): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const u = 1 - random();
    out[i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  }
  return out;
}

function assertFinite(values: Float32Array, what: string): void {
  assert.ok(values.every(Number.isFinite), `${what} has non-finite values`);
}

function idsTensor(type: string, values: number[], dims: number[]): ort.Tensor {
  return type === 'int64'
    ? new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims)
    : new ort.Tensor('int32', Int32Array.from(values), dims);
}

interface UnetInputs {
  sample: Float32Array;
  /** One entry feeds a float model's rank-0 timestep; int64 models take them all as [steps]. */
  timesteps: number[];
  context: Float32Array;
  textEmbeds: Float32Array;
  timeIds: Float32Array;
}

function unetFeeds(unet: Runner, shape: number[], inputs: UnetInputs): Record<string, ort.Tensor> {
  const batch = shape[0];
  const timestepIsInt = unet.session.inputMetadata.some(
    (meta) => meta.name === 'timestep' && meta.isTensor && meta.type === 'int64',
  );
  return {
    sample: unet.floats(inputs.sample, shape),
    timestep: timestepIsInt
      ? new ort.Tensor('int64', BigInt64Array.from(inputs.timesteps, BigInt), [inputs.timesteps.length])
      : unet.floats(Float32Array.of(inputs.timesteps[0]), []),
    encoder_hidden_states: unet.floats(inputs.context, [batch, SEQUENCE, CONTEXT]),
    text_embeds: unet.floats(inputs.textEmbeds, [batch, PROJECTION]),
    time_ids: unet.floats(inputs.timeIds, [batch, 6]),
  };
}

function zeroUnetInputs(batch: number, height: number, width: number, timesteps: number[]): UnetInputs {
  return {
    sample: new Float32Array(batch * 4 * height * width),
    timesteps,
    context: new Float32Array(batch * SEQUENCE * CONTEXT),
    textEmbeds: new Float32Array(batch * PROJECTION),
    timeIds: new Float32Array(batch * 6).fill(64),
  };
}

const VARIANTS: Array<{ label: string; options: TinyModelOptions }> = [
  { label: 'float32 defaults', options: {} },
  { label: 'float16', options: { dtype: 'float16' } },
  { label: 'int64 input_ids', options: { idsType: 'int64' } },
  { label: 'int64 timestep', options: { timestep: 'int64-1d' } },
  { label: 'latent_parameters', options: { vaeEncoderOutput: 'latent_parameters' } },
  {
    label: 'float16 with int64 timestep and latent_parameters',
    options: { dtype: 'float16', timestep: 'int64-1d', vaeEncoderOutput: 'latent_parameters' },
  },
  { label: 'external unet data', options: { externalDataFor: ['unet'] } },
  { label: 'static batch 1', options: { staticBatch: 1 } },
];

for (const { label, options } of VARIANTS) {
  describe(`tiny SDXL: ${label}`, () => {
    const float = options.dtype ?? 'float32';
    const idsType = options.idsType ?? 'int32';
    const expected = expectedInterface(options);
    // float16 outputs carry about three significant digits, so smaller changes may round away.
    const visible = float === 'float16' ? 1e-3 : 1e-5;
    let dir: string;
    const sessions = new Map<Component, Runner>();

    before(async () => {
      dir = join(workDir, label.replace(/\W+/g, '-'));
      buildTinySdxl(dir, options);
      for (const component of COMPONENTS) {
        const session = await ort.InferenceSession.create(join(dir, component, 'model.onnx'));
        sessions.set(component, new Runner(session, float));
      }
    });
    after(async () => {
      for (const runner of sessions.values()) await runner.session.release();
    });
    const runner = (component: Component) => sessions.get(component) as Runner;

    test('inputs and outputs have the declared names, element types and shapes', () => {
      for (const component of COMPONENTS) {
        assert.deepEqual(sessionInterface(runner(component).session), expected[component], component);
      }
    });

    for (const [component, hidden, layers] of [
      ['text_encoder', H1, 2],
      ['text_encoder_2', H2, 3],
    ] as const) {
      test(`${component}: causal hidden states and the pooled state at the first EOS`, async () => {
        const vocab = smallVocabSize();
        const eos = vocab - 1;
        const pad = component === 'text_encoder' ? eos : 0;
        const padding = (tokens: number[]) => Array(SEQUENCE - tokens.length - 2).fill(pad);
        const prompt = (tokens: number[]) => [vocab - 2, ...tokens, eos, ...padding(tokens)];
        const rows = [prompt([10, 20, 30, 40]), prompt([300, 5])];
        const te = runner(component);
        const base = await te.run({ input_ids: idsTensor(idsType, rows.flat(), [2, SEQUENCE]) });
        for (const [name, value] of Object.entries(base)) assertFinite(value.data, name);
        assert.deepEqual(base[`hidden_states.${layers}`].dims, [2, SEQUENCE, hidden]);

        const last = base.last_hidden_state.data;
        const eosPositions = [5, 3];
        if (component === 'text_encoder') {
          const pooled = base.pooler_output.data;
          assert.deepEqual(base.pooler_output.dims, [2, hidden]);
          eosPositions.forEach((position, b) => {
            const at = (b * SEQUENCE + position) * hidden;
            assert.deepEqual(pooled.slice(b * hidden, (b + 1) * hidden), last.slice(at, at + hidden));
          });
        } else {
          assert.deepEqual(base.text_embeds.dims, [2, PROJECTION]);
        }

        // Change the token at position 3 of the first prompt only.
        const changed = rows.map((row) => [...row]);
        changed[0][3] = 123;
        const moved = await te.run({ input_ids: idsTensor(idsType, changed.flat(), [2, SEQUENCE]) });
        const position = (b: number, p: number) => (b * SEQUENCE + p) * hidden;
        for (let i = 0; i <= layers; i++) {
          const a = base[`hidden_states.${i}`].data;
          const b = moved[`hidden_states.${i}`].data;
          assert.equal(maxAbsDiff(a, b, 0, position(0, 3)), 0, `hidden_states.${i} before the change`);
          assert.ok(maxAbsDiff(a, b, position(0, 3), position(0, 4)) > 1e-2, `hidden_states.${i} at the change`);
          const later = maxAbsDiff(a, b, position(0, 4), position(1, 0));
          if (i === 0) assert.equal(later, 0, 'embeddings are per token');
          else assert.ok(later > visible, `hidden_states.${i} after the change`);
          assert.equal(maxAbsDiff(a, b, position(1, 0)), 0, 'other prompt');
        }
        const pooledName = component === 'text_encoder' ? 'pooler_output' : 'text_embeds';
        assert.ok(maxAbsDiff(base[pooledName].data, moved[pooledName].data) > visible, 'pooled output');

        // A token after the first EOS moves only its own state and later ones, never the pooled output.
        const afterEos = rows.map((row) => [...row]);
        afterEos[0][40] = 7;
        const padded = await te.run({ input_ids: idsTensor(idsType, afterEos.flat(), [2, SEQUENCE]) });
        assert.deepEqual(padded[pooledName].data, base[pooledName].data);
        assert.ok(maxAbsDiff(padded.last_hidden_state.data, base.last_hidden_state.data) > 1e-2);

        const short = await te.run({ input_ids: idsTensor(idsType, [vocab - 2, 7, eos], [1, 3]) });
        assert.deepEqual(short.last_hidden_state.dims, [1, 3, hidden]);
      });
    }

    const unetShapes: Array<[number, number, number]> = [
      [options.staticBatch ?? 2, 8, 8],
      [1, 6, 10],
    ];
    for (const [batch, height, width] of unetShapes) {
      test(`unet: batch ${batch}, latent ${height}x${width} depends on every input`, async () => {
        const unet = runner('unet');
        const random = mulberry32(batch * 100 + height);
        const [pixelHeight, pixelWidth] = [height * 8, width * 8];
        const inputs: UnetInputs = {
          sample: randn(random, batch * 4 * height * width),
          timesteps: [801],
          context: randn(random, batch * SEQUENCE * CONTEXT),
          textEmbeds: randn(random, batch * PROJECTION),
          timeIds: Float32Array.from(
            { length: batch * 6 },
            (_, i) => [pixelHeight, pixelWidth, 0, 0, pixelHeight, pixelWidth][i % 6],
          ),
        };
        const shape = [batch, 4, height, width];
        const base = (await unet.run(unetFeeds(unet, shape, inputs))).out_sample;
        assert.deepEqual(base.dims, shape);
        assertFinite(base.data, 'out_sample');
        const epsilon = base.data.map((v, i) => v - 0.9 * inputs.sample[i]);
        const rms = Math.sqrt(epsilon.reduce((s, v) => s + v * v, 0) / epsilon.length);
        assert.ok(rms > 0.1 && rms < 3, `epsilon part of order 1, rms ${rms}`);

        const changes: Record<string, Partial<UnetInputs>> = {
          sample: { sample: inputs.sample.map((v, i) => (i === 5 ? v + 0.1 : v)) },
          timestep: { timesteps: [802] },
          'encoder_hidden_states of one token': {
            context: inputs.context.map((v, i) => (Math.floor(i / CONTEXT) === 40 ? v * 1.5 : v)),
          },
          text_embeds: { textEmbeds: inputs.textEmbeds.map((v) => v * 1.1) },
          'time_ids crop_top': { timeIds: inputs.timeIds.map((v, i) => (i === 2 ? v + 1 : v)) },
        };
        for (const [what, change] of Object.entries(changes)) {
          const out = (await unet.run(unetFeeds(unet, shape, { ...inputs, ...change }))).out_sample.data;
          assert.ok(maxAbsDiff(base.data, out) > visible, `out_sample does not follow ${what}`);
        }
      });
    }

    if (options.timestep === 'int64-1d' && options.staticBatch === undefined) {
      test('unet: an int64 timestep per batch entry is accepted too', async () => {
        const unet = runner('unet');
        const out = await unet.run(unetFeeds(unet, [2, 4, 8, 8], zeroUnetInputs(2, 8, 8, [801, 801])));
        assertFinite(out.out_sample.data, 'out_sample');
      });
    }

    test('unet: an odd latent size fails, as with one down/up level', async () => {
      // A session of its own that does not log the expected broadcast error.
      const quiet = await ort.InferenceSession.create(join(dir, 'unet', 'model.onnx'), { logSeverityLevel: 4 });
      const unet = new Runner(quiet, float);
      await assert.rejects(unet.run(unetFeeds(unet, [1, 4, 5, 8], zeroUnetInputs(1, 5, 8, [1]))));
      await quiet.release();
    });

    test('vae_decoder: 8x upsampling into roughly [-1, 1]', async () => {
      const decoder = runner('vae_decoder');
      const random = mulberry32(7);
      for (const [batch, height, width] of [[2, 8, 8], [1, 6, 10]]) {
        const latent = randn(random, batch * 4 * height * width, 1 / 0.13025);
        const { sample } = await decoder.run({ latent_sample: decoder.floats(latent, [batch, 4, height, width]) });
        assert.deepEqual(sample.dims, [batch, 3, height * 8, width * 8]);
        assertFinite(sample.data, 'sample');
        const outside = sample.data.filter((v) => Math.abs(v) > 1).length / sample.data.length;
        assert.ok(outside > 0 && outside < 0.25, `fraction outside [-1, 1]: ${outside}`);
        const changed = Float32Array.from(latent);
        changed[0] += 1;
        const moved = await decoder.run({ latent_sample: decoder.floats(changed, [batch, 4, height, width]) });
        assert.ok(maxAbsDiff(sample.data, moved.sample.data) > visible);
      }
    });

    test('vae_encoder: the 1/8 latent grid, with the log-variance near -5', async () => {
      const encoder = runner('vae_encoder');
      const random = mulberry32(11);
      const image = Float32Array.from({ length: 3 * 64 * 48 }, () => 2 * random() - 1);
      const result = await encoder.run({ sample: encoder.floats(image, [1, 3, 64, 48]) });
      const output = options.vaeEncoderOutput === 'latent_parameters' ? result.latent_parameters : result.latent_sample;
      assertFinite(output.data, 'encoder output');
      const channels = options.vaeEncoderOutput === 'latent_parameters' ? 8 : 4;
      assert.deepEqual(output.dims, [1, channels, 8, 6]);
      const mean = output.data.slice(0, 4 * 48);
      const std = Math.sqrt(mean.reduce((s, v) => s + v * v, 0) / mean.length);
      assert.ok(std > 1 && std < 30, `mean of order 1/scaling_factor, rms ${std}`);
      if (channels === 8) {
        const logvar = output.data.slice(4 * 48);
        assert.ok(logvar.every((v) => v > -5.6 && v < -4.4), 'logvar near -5');
      }
    });
  });
}

describe('tiny SDXL folder', () => {
  test('has the Optimum layout and configs that agree with the graphs', () => {
    const dir = join(workDir, 'layout');
    buildTinySdxl(dir);
    const json = (path: string) => JSON.parse(readFileSync(join(dir, path), 'utf8')) as Record<string, unknown>;
    for (const component of COMPONENTS) {
      assert.ok(existsSync(join(dir, component, 'model.onnx')), component);
      assert.ok(!existsSync(join(dir, component, 'model.onnx_data')), `${component} weights are inline`);
    }
    for (const tokenizer of ['tokenizer', 'tokenizer_2']) {
      for (const file of ['vocab.json', 'merges.txt', 'special_tokens_map.json', 'tokenizer_config.json']) {
        assert.ok(existsSync(join(dir, tokenizer, file)), `${tokenizer}/${file}`);
      }
    }
    assert.equal(json('tokenizer/special_tokens_map.json').pad_token, '<|endoftext|>');
    assert.equal(json('tokenizer_2/special_tokens_map.json').pad_token, '!');

    const index = json('model_index.json');
    assert.equal(index._class_name, 'ORTStableDiffusionXLPipeline');
    for (const component of COMPONENTS) assert.deepEqual(index[component], ['diffusers', 'OnnxRuntimeModel']);

    const te = json('text_encoder/config.json');
    const te2 = json('text_encoder_2/config.json');
    assert.deepEqual([te.architectures, te.hidden_size, te.num_hidden_layers], [['CLIPTextModel'], H1, 2]);
    assert.deepEqual(
      [te2.architectures, te2.hidden_size, te2.num_hidden_layers, te2.projection_dim],
      [['CLIPTextModelWithProjection'], H2, 3, PROJECTION],
    );
    const vocab = Object.keys(json('tokenizer/vocab.json')).length;
    assert.deepEqual([te.vocab_size, te2.vocab_size], [vocab, vocab]);

    const unet = json('unet/config.json');
    assert.deepEqual(unet.block_out_channels, [8, 16]);
    assert.equal(unet.cross_attention_dim, CONTEXT);
    assert.equal(unet.addition_embed_type, 'text_time');
    const addedInputs = PROJECTION + 6 * (unet.addition_time_embed_dim as number);
    assert.equal(unet.projection_class_embeddings_input_dim, addedInputs);
    for (const vae of ['vae_decoder', 'vae_encoder']) {
      const config = json(`${vae}/config.json`);
      const levels = (config.block_out_channels as number[]).length;
      assert.deepEqual([config.scaling_factor, config.force_upcast, levels], [0.13025, true, 4]);
    }
    assert.equal(json('scheduler/scheduler_config.json')._class_name, 'EulerDiscreteScheduler');
  });

  const withReference = { skip: skipWithoutShared('reference', 'sdxl-tiny') };
  test('matches the reference fixture in scheduler config, names, output order and ranks', withReference, () => {
    const dir = join(workDir, 'reference-compare');
    buildTinySdxl(dir);
    const reference = readReferenceJson<Record<string, Interface>>('sdxl-tiny/interface.json');
    const ours = expectedInterface({});
    for (const component of COMPONENTS) {
      const summary = (spec: Interface) => ({
        inputs: spec.inputs.map((v) => [v.name, v.shape.length]),
        outputs: spec.outputs.map((v) => [v.name, v.shape.length]),
      });
      assert.deepEqual(summary(ours[component]), summary(reference[component]), component);
    }
    const schedulerPath = join('sdxl-tiny', 'model', 'scheduler', 'scheduler_config.json');
    assert.deepEqual(
      JSON.parse(readFileSync(join(dir, 'scheduler', 'scheduler_config.json'), 'utf8')),
      readReferenceJson(schedulerPath),
    );
  });

  test('is small, quick to build and deterministic in its seed', () => {
    const folderSize = (path: string): number =>
      statSync(path).isDirectory()
        ? readdirSync(path).reduce((sum, name) => sum + folderSize(join(path, name)), 0)
        : statSync(path).size;
    const first = join(workDir, 'seed-a');
    const start = performance.now();
    buildTinySdxl(first, { seed: 5 });
    const elapsed = performance.now() - start;
    assert.ok(elapsed < 1000, `build took ${elapsed} ms`);
    assert.ok(folderSize(first) < 1_000_000, `folder is ${folderSize(first)} bytes`);

    const again = join(workDir, 'seed-a-again');
    const other = join(workDir, 'seed-b');
    buildTinySdxl(again, { seed: 5 });
    buildTinySdxl(other, { seed: 6 });
    for (const component of COMPONENTS) {
      const model = (root: string) => readFileSync(join(root, component, 'model.onnx'));
      assert.ok(model(first).equals(model(again)), `${component} differs for the same seed`);
      assert.ok(!model(first).equals(model(other)), `${component} is the same for another seed`);
    }

    const half = join(workDir, 'float16-size');
    buildTinySdxl(half, { dtype: 'float16' });
    const size = (root: string) => statSync(join(root, 'text_encoder_2', 'model.onnx')).size;
    assert.ok(size(half) < 0.6 * size(first), 'float16 weights take half the bytes');
  });

  test('external data: weights in model.onnx_data, same outputs as inline weights', async () => {
    const inline = join(workDir, 'inline');
    const external = join(workDir, 'external');
    buildTinySdxl(inline, { seed: 9 });
    buildTinySdxl(external, { seed: 9, externalDataFor: ['unet', 'text_encoder'] });
    for (const component of ['unet', 'text_encoder']) {
      const model = statSync(join(external, component, 'model.onnx')).size;
      const data = statSync(join(external, component, 'model.onnx_data')).size;
      assert.ok(model < 16_000, `${component}/model.onnx is ${model} bytes`);
      assert.ok(data > 2 * model, `${component}/model.onnx_data is ${data} bytes`);
    }
    assert.ok(!existsSync(join(external, 'text_encoder_2', 'model.onnx_data')));

    const eos = smallVocabSize() - 1;
    const ids = idsTensor('int32', [eos - 1, 5, 9, eos, ...Array(10).fill(eos)], [1, 14]);
    const outputs = async (root: string) => {
      const session = await ort.InferenceSession.create(join(root, 'text_encoder', 'model.onnx'));
      const result = await session.run({ input_ids: ids });
      await session.release();
      return result['hidden_states.2'].data as Float32Array;
    };
    assert.deepEqual(await outputs(external), await outputs(inline));
  });

  test('without a VAE encoder', () => {
    const dir = join(workDir, 'no-encoder');
    buildTinySdxl(dir, { withVaeEncoder: false });
    assert.ok(!existsSync(join(dir, 'vae_encoder')));
    const index = JSON.parse(readFileSync(join(dir, 'model_index.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(index.vae_encoder, [null, null]);
  });
});
