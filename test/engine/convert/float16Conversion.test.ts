// convert --fp16 on the engine side: the graph rewrite on ops of the block list, external-data
// streaming, sizes, resuming an interrupted run, and the errors a user can meet. Every converted
// model is loaded and run by ONNX Runtime.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import sharp from 'sharp';
import { Engine } from '../../../src/engine/engine';
import { CancelledError, EngineError } from '../../../src/engine/errors';
import { convertComponent } from '../../../src/engine/models/convert/componentConversion';
import { FLOAT32_OPS } from '../../../src/engine/models/convert/float16Graph';
import { float32BytesToFloat16 } from '../../../src/engine/models/convert/float16Tensor';
import { convertModelFolderToFloat16 } from '../../../src/engine/models/convert/folderConversion';
import { parseModel } from '../../../src/engine/models/convert/onnxModel';
import { bytesField, encodeFields, flatten, parseMessage, stringField, varintField } from '../../../src/engine/models/convert/protoWire';
import { fromFloat16, toFloat16 } from '../../support/onnx/float16';
import { GraphBuilder } from '../../support/onnx/graphBuilder';
import { attr, DataType } from '../../support/onnx/onnxProto';
import { fixtureDir } from '../../support/sdxlTinyFixture';
import { skipWithoutShared } from '../../support/shared';
import { buildTinySdxl, LCM_SCHEDULER_CONFIG } from '../../support/tinyModels';

const FLOAT = 1;
const FLOAT16 = 10;

let work = '';
before(() => {
  work = mkdtempSync(join(tmpdir(), 'sdxl-fp16-convert-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

function filesSize(dir: string): number {
  return readdirSync(dir).reduce((n, name) => n + statSync(join(dir, name)).size, 0);
}

/** What produces each value: the node, or 'initializer:<type>'. */
function producers(modelPath: string) {
  const model = parseModel(readFileSync(modelPath));
  const byOutput = new Map(model.graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const initializerType = new Map(model.graph.initializers.map((t) => [t.name, t.dataType]));
  return { model, byOutput, initializerType };
}

describe('weights to float16', () => {
  test('round to nearest even as numpy does, after onnxconverter-common\'s clamping to ±1e4 and ±1e-7', () => {
    const special = [0, -0, 1, -2.5, 0.1, 1.000244140625, 1.000732421875, 6.1e-5, 6.103515625e-5, 5e-8, -3e-8, 1e-7, 65504, 1e4, 60000, -3e38, Infinity, -Infinity];
    const random = Array.from({ length: 100_000 }, (_, i) => Math.sin(i * 12.9898) * 10 ** ((i % 17) - 9));
    const values = Float32Array.from([...special, ...random]);
    const clamped = values.map((v) =>
      v > 0 && v < 1e-7 ? 1e-7 : v < 0 && v > -1e-7 ? -1e-7 : v > 1e4 && v !== Infinity ? 1e4 : v < -1e4 && v !== -Infinity ? -1e4 : v,
    );
    const got = new Uint16Array(float32BytesToFloat16(new Uint8Array(values.buffer)).buffer);
    assert.deepEqual(got, toFloat16(clamped));
    assert.equal(got[special.indexOf(60000)], 0x70e2);
    assert.equal(got[special.indexOf(-3e38)], 0xf0e2);
    assert.equal(got[special.indexOf(Infinity)], 0x7c00);
  });
});

describe('the block list', () => {
  /** One graph with every block-listed op a diffusion model can hold, between float16-able ops. */
  function buildBlockedOpsModel(dir: string): void {
    const g = new GraphBuilder('blocked', 'float32', 5);
    const x = g.input('x', 'float', [1, 2, 4, 4]);
    const conv = g.conv(x, 2, 2);
    const resized = g.op('Resize', [conv, '', g.floats([4], [1, 1, 2, 2])], { mode: attr.string('nearest') });
    const summed = g.op('CumSum', [resized, g.int64s([0], [])]);
    const low = g.op('Min', [summed, g.scalar(3)]);
    const high = g.op('Max', [low, g.scalar(-3)]);
    const range = g.op('Range', [g.scalar(0), g.scalar(8), g.scalar(1)]);
    const asFloat = g.cast(g.shape(x, 0, 1), DataType.FLOAT);
    g.output('y', g.add(g.mul(high, g.scalar(0.5)), g.reshape(range, [1, 1, 1, 8])), 'float', [1, 2, 8, 8]);
    g.output('count', g.add(g.reduceMean(high, [1, 2, 3]), g.reshape(asFloat, [1, 1, 1, 1])), 'float', [1, 1, 1, 1]);
    g.save(join(dir, 'model.onnx'));
  }

  test('keeps Resize, CumSum, Min, Max and Range in float32 behind Casts, and the model still computes the same', async () => {
    const source = join(work, 'blocked-source');
    const target = join(work, 'blocked-target');
    buildBlockedOpsModel(source);
    mkdirSync(target);
    const outcome = await convertComponent('blocked', source, target);
    assert.deepEqual(outcome.blockedNodes, { Resize: 1, CumSum: 1, Min: 1, Max: 1, Range: 1 });

    const { model, byOutput, initializerType } = producers(join(target, 'model.onnx'));
    for (const node of model.graph.nodes.filter((n) => FLOAT32_OPS.has(n.opType))) {
      for (const input of node.inputs.filter((name) => name !== '')) {
        const producer = byOutput.get(input);
        const type = producer?.opType === 'Cast' ? producer.attributes.find((a) => a.name === 'to')?.int : initializerType.get(input);
        // Int64 inputs (CumSum's axis) are untouched; every float input arrives as float32.
        if (type !== 7) assert.equal(type, FLOAT, `${node.opType} input ${input} is not float32`);
      }
    }
    const castsToHalf = model.graph.nodes.filter((n) => n.opType === 'Cast' && n.attributes[0].int === FLOAT16);
    // One per blocked float output, plus the graph's own Cast(to=float), now to float16.
    assert.equal(castsToHalf.length, 6);
    // Read only by blocked ops: Resize's scales, Min's and Max's bounds, Range's three scalars.
    const floatTypes = model.graph.initializers.filter((t) => t.dataType === FLOAT || t.dataType === FLOAT16).map((t) => t.dataType);
    assert.equal(floatTypes.filter((t) => t === FLOAT).length, 6);
    assert.equal(floatTypes.filter((t) => t === FLOAT16).length, 3);

    const x = Float32Array.from({ length: 32 }, (_, i) => Math.sin(i) * 2);
    const before = await InferenceSession.create(join(source, 'model.onnx'));
    const converted = await InferenceSession.create(join(target, 'model.onnx'));
    assert.deepEqual(converted.inputMetadata.map((m) => (m.isTensor ? m.type : '')), ['float16']);
    const expected = await before.run({ x: new Tensor('float32', x, [1, 2, 4, 4]) });
    const got = await converted.run({ x: new Tensor('float16', toFloat16(x), [1, 2, 4, 4]) });
    for (const name of ['y', 'count']) {
      const want = expected[name].data as Float32Array;
      const have = fromFloat16(got[name].data as Uint16Array);
      for (let i = 0; i < want.length; i++) {
        assert.ok(Math.abs(want[i] - have[i]) <= 1e-2 * Math.max(1, Math.abs(want[i])), `${name}[${i}]: ${have[i]} vs ${want[i]}`);
      }
    }
  });
});

describe('the ONNX file', () => {
  test('keeps fields the conversion does not know, at every level it rewrites', async () => {
    const source = join(work, 'unknown-fields-source');
    const target = join(work, 'unknown-fields-target');
    const g = new GraphBuilder('unknown', 'float32', 9);
    const x = g.input('x', 'float', [1, 4]);
    g.output('y', g.linear(x, 4, 4), 'float', [1, 4]);
    g.save(join(source, 'model.onnx'));
    // Field 14 is ModelProto.metadata_props; 99 is no field at all, which protobuf readers must keep.
    const model = parseMessage(readFileSync(join(source, 'model.onnx')));
    const graphField = model.find((f) => f.field === 7)!;
    const graph = parseMessage(graphField.data);
    const marked = graph.map((f) => (f.field === 1 ? bytesField(1, flatten(encodeFields([...parseMessage(f.data), stringField(99, 'node note')]))) : f));
    const edited = [
      ...model.filter((f) => f !== graphField),
      bytesField(7, flatten(encodeFields([...marked, stringField(99, 'graph note')]))),
      bytesField(14, flatten(encodeFields([stringField(1, 'author'), stringField(2, 'someone')]))),
      varintField(99, 12345),
    ];
    writeFileSync(join(source, 'model.onnx'), flatten(encodeFields(edited)));
    mkdirSync(target);
    await convertComponent('unknown', source, target);

    const converted = parseMessage(readFileSync(join(target, 'model.onnx')));
    assert.equal(converted.filter((f) => f.field === 99).length, 1);
    assert.match(Buffer.from(converted.find((f) => f.field === 14)!.data).toString(), /someone/);
    const convertedGraph = parseMessage(converted.find((f) => f.field === 7)!.data);
    assert.ok(convertedGraph.some((f) => f.field === 99 && Buffer.from(f.data).toString() === 'graph note'));
    const nodes = convertedGraph.filter((f) => f.field === 1).map((f) => parseMessage(f.data));
    assert.ok(nodes.length > 0 && nodes.every((n) => n.some((f) => f.field === 99 && Buffer.from(f.data).toString() === 'node note')));
    const session = await InferenceSession.create(join(target, 'model.onnx'));
    assert.deepEqual(session.outputNames, ['y']);
  });
});

describe('external data', () => {
  test('is streamed tensor by tensor into a data file half the size, and gives the same model as inline weights', async () => {
    const inline = join(work, 'tiny-inline');
    const external = join(work, 'tiny-external');
    buildTinySdxl(inline, { seed: 77 });
    buildTinySdxl(external, { seed: 77, externalDataFor: ['text_encoder_2', 'unet', 'vae_decoder'] });
    const fromInline = await convertModelFolderToFloat16(inline);
    const fromExternal = await convertModelFolderToFloat16(external);

    const sourceData = statSync(join(external, 'unet', 'model.onnx_data')).size;
    const convertedData = statSync(join(fromExternal.outDir, 'unet', 'model.onnx_data')).size;
    assert.ok(convertedData / sourceData >= 0.49 && convertedData / sourceData <= 0.51, `unet weights ${sourceData} → ${convertedData}`);
    // The VAE stays float32 (force_upcast), external data and all.
    assert.equal(statSync(join(fromExternal.outDir, 'vae_decoder', 'model.onnx_data')).size, statSync(join(external, 'vae_decoder', 'model.onnx_data')).size);

    const engine = new Engine({ provider: 'cpu', lowMemory: true });
    try {
      const request = { prompt: 'a lighthouse', width: 64, height: 64, steps: 3, seed: 5 };
      const a = await engine.generate({ ...request, modelDir: fromInline.outDir });
      const b = await engine.generate({ ...request, modelDir: fromExternal.outDir });
      assert.deepEqual(b.rgb, a.rgb);
    } finally {
      await engine.unload();
    }
  });
});

describe('every input and output kind', () => {
  test('an LCM UNet with an int64 timestep and int64 ids converts to float16 where Optimum has float16, and generates', async () => {
    const source = join(work, 'kinds');
    buildTinySdxl(source, { timestep: 'int64-1d', idsType: 'int64', timeCondProjDim: 8, scheduler: LCM_SCHEDULER_CONFIG, vaeEncoderOutput: 'latent_parameters' });
    const { outDir } = await convertModelFolderToFloat16(source);
    const unet = await InferenceSession.create(join(outDir, 'unet', 'model.onnx'));
    const types = (metadata: readonly InferenceSession.ValueMetadata[]) =>
      Object.fromEntries(metadata.map((m) => [m.name, m.isTensor ? m.type : '']));
    assert.deepEqual(types(unet.inputMetadata), {
      sample: 'float16',
      timestep: 'int64',
      encoder_hidden_states: 'float16',
      text_embeds: 'float16',
      time_ids: 'float16',
      timestep_cond: 'float16',
    });
    const encoder = await InferenceSession.create(join(outDir, 'text_encoder_2', 'model.onnx'));
    assert.equal(types(encoder.inputMetadata).input_ids, 'int64');
    assert.ok(Object.values(types(encoder.outputMetadata)).every((t) => t === 'float16'));

    const engine = new Engine({ provider: 'cpu', lowMemory: false });
    try {
      const request = { prompt: 'a lighthouse', width: 64, height: 64, steps: 2, seed: 3 };
      const before = await engine.generate({ ...request, modelDir: source });
      const after = await engine.generate({ ...request, modelDir: outDir });
      const initImage = join(work, 'kinds.png');
      await sharp(Buffer.from(after.rgb), { raw: { width: 64, height: 64, channels: 3 } }).png().toFile(initImage);
      const varied = await engine.generate({ ...request, modelDir: outDir, initImage, strength: 0.5 });
      assert.equal(varied.rgb.length, before.rgb.length);
      const meanError = before.rgb.reduce((sum, v, i) => sum + Math.abs(v - after.rgb[i]), 0) / before.rgb.length;
      assert.ok(meanError < 2, `the float16 image differs by ${meanError} on average`);
    } finally {
      await engine.unload();
    }
  });
});

describe('sizes and types', { skip: skipWithoutShared('reference', 'sdxl-tiny', 'model') }, () => {
  test('the converted components of sdxl-tiny are about half their size and take and give float16', async () => {
    const report = await convertModelFolderToFloat16(join(fixtureDir, 'model'), { outDir: join(work, 'sdxl-tiny-fp16') });
    const converted = report.components.filter((c) => c.action === 'float16');
    assert.deepEqual(converted.map((c) => c.component), ['text_encoder', 'text_encoder_2', 'unet']);
    // Shape constants (int64) stay as they are, so a tiny graph shrinks less than a real one (0.50).
    for (const c of converted) {
      const ratio = c.bytesAfter / c.bytesBefore;
      assert.ok(ratio > 0.5 && ratio < 0.7, `${c.component}: ${c.bytesBefore} → ${c.bytesAfter}`);
    }
    assert.deepEqual(
      report.components.filter((c) => c.action === 'kept-float32').map((c) => c.component),
      ['vae_decoder', 'vae_encoder'],
    );
    const unet = await InferenceSession.create(join(report.outDir, 'unet', 'model.onnx'));
    assert.deepEqual(
      unet.inputMetadata.map((m) => (m.isTensor ? m.type : '')),
      ['float16', 'float16', 'float16', 'float16', 'float16'],
    );
    const encoder = await InferenceSession.create(join(report.outDir, 'text_encoder', 'model.onnx'));
    assert.deepEqual(encoder.inputMetadata.map((m) => (m.isTensor ? m.type : '')), ['int32']);
    for (const name of ['model_index.json', 'scheduler/scheduler_config.json', 'tokenizer/vocab.json', 'tokenizer_2/merges.txt', 'unet/config.json']) {
      assert.deepEqual(readFileSync(join(report.outDir, name)), readFileSync(join(fixtureDir, 'model', name)), name);
    }
  });
});

describe('an interrupted conversion', () => {
  test('leaves only whole components, which the next run verifies and keeps', async () => {
    const source = join(work, 'resume-source');
    const out = join(work, 'resume-fp16');
    buildTinySdxl(source, { externalDataFor: ['unet'] });
    const controller = new AbortController();
    await assert.rejects(
      convertModelFolderToFloat16(source, {
        outDir: out,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.component === 'unet') controller.abort();
        },
      }),
      CancelledError,
    );
    assert.equal(existsSync(out), false);
    assert.deepEqual(readdirSync(`${out}.partial`).sort(), ['.sdxl-assets-convert.json', 'text_encoder', 'text_encoder_2']);

    // A finished component that was damaged since is done again.
    truncateSync(join(`${out}.partial`, 'text_encoder_2', 'model.onnx'), 100);
    const report = await convertModelFolderToFloat16(source, { outDir: out });
    assert.deepEqual(
      report.components.map((c) => [c.component, c.resumed]),
      [['text_encoder', true], ['text_encoder_2', false], ['unet', false], ['vae_decoder', false], ['vae_encoder', false]],
    );
    assert.equal(existsSync(`${out}.partial`), false);
    assert.equal(existsSync(join(out, '.sdxl-assets-convert.json')), false);

    const fresh = await convertModelFolderToFloat16(source, { outDir: join(work, 'resume-fresh') });
    for (const component of ['text_encoder', 'text_encoder_2', 'unet']) {
      for (const file of readdirSync(join(fresh.outDir, component))) {
        assert.deepEqual(readFileSync(join(out, component, file)), readFileSync(join(fresh.outDir, component, file)), `${component}/${file}`);
      }
    }
    assert.equal(filesSize(join(out, 'unet')) < filesSize(join(source, 'unet')), true);
  });
});

describe('errors', () => {
  test('an existing output folder, a folder that is not a model and a damaged model.onnx each say what is wrong', async () => {
    const source = join(work, 'errors-source');
    buildTinySdxl(source);
    const taken = join(work, 'errors-taken');
    mkdirSync(taken);
    await assert.rejects(convertModelFolderToFloat16(source, { outDir: taken }), (e: EngineError) => /already exists/.test(e.message));
    await assert.rejects(convertModelFolderToFloat16(join(source, 'tokenizer')), (e: EngineError) => e.code === 'model-folder');
    writeFileSync(join(source, 'unet', 'model.onnx'), Buffer.from([0x0a, 0xff, 0xff, 0xff]));
    await assert.rejects(
      convertModelFolderToFloat16(source, { outDir: join(work, 'errors-out') }),
      (e: EngineError) => e.code === 'model-folder' && /unet\/model\.onnx is not a readable ONNX model/.test(e.message),
    );
  });

  test('a folder that is float16 already is copied, not converted twice', async () => {
    const source = join(work, 'already-half');
    buildTinySdxl(source, { dtype: 'float16' });
    const report = await convertModelFolderToFloat16(source);
    assert.deepEqual(
      report.components.map((c) => c.action),
      ['already-float16', 'already-float16', 'already-float16', 'kept-float32', 'kept-float32'],
    );
    assert.deepEqual(readFileSync(join(report.outDir, 'unet', 'model.onnx')), readFileSync(join(source, 'unet', 'model.onnx')));
  });
});
