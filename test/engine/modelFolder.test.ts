import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EngineError } from '../../src/engine/errors';
import { readModelFolder, sizeMultiple } from '../../src/engine/models/modelFolder';
import { defaultSampler } from '../../src/engine/models/generationSettings';
import { tempFolder } from '../support/tempFolder';
import { buildTinySdxl } from '../support/tinyModels';

const work = tempFolder('sdxl-folder');

function fresh(name: string): string {
  const dir = join(work, name);
  buildTinySdxl(dir);
  return dir;
}

function assertFolderError(dir: string, message: RegExp): void {
  assert.throws(
    () => readModelFolder(dir),
    (error: unknown) => error instanceof EngineError && error.code === 'model-folder' && message.test(error.message),
  );
}

describe('readModelFolder', () => {
  test('reads an SDXL folder: components, configs, size multiple, sampler', () => {
    const model = readModelFolder(fresh('ok'));
    assert.equal(model.family, 'sdxl');
    assert.equal(model.name, 'ok');
    assert.deepEqual(Object.keys(model.onnx).sort(), ['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder', 'vae_encoder']);
    assert.equal(model.vae.scalingFactor, 0.13025);
    assert.equal(model.vae.scaleFactor, 8);
    assert.equal(sizeMultiple(model), 16);
    assert.equal(model.forceZerosForEmptyPrompt, true);
    assert.equal(defaultSampler(model), 'euler');
  });

  test('decides by sub-folders, whatever format model_index.json has', () => {
    const dir = fresh('diffusers-index');
    writeFileSync(
      join(dir, 'model_index.json'),
      JSON.stringify({ _class_name: 'StableDiffusionXLPipeline', unet: ['diffusers', 'UNet2DConditionModel'], force_zeros_for_empty_prompt: false }),
    );
    const model = readModelFolder(dir);
    assert.equal(model.family, 'sdxl');
    assert.equal(model.forceZerosForEmptyPrompt, false);
    rmSync(join(dir, 'model_index.json'));
    assert.equal(readModelFolder(dir).forceZerosForEmptyPrompt, true);
  });

  test('names the missing file', () => {
    for (const [file, pattern] of [
      ['tokenizer_2/merges.txt', /tokenizer_2\/merges\.txt is missing/],
      ['vae_decoder/model.onnx', /vae_decoder\/model\.onnx is missing/],
      ['scheduler/scheduler_config.json', /scheduler\/scheduler_config\.json is missing/],
      ['unet/config.json', /unet\/config\.json is missing/],
    ] as const) {
      const dir = fresh(file.replace(/\W/g, '_'));
      rmSync(join(dir, file));
      assertFolderError(dir, pattern);
    }
  });

  test('reads a folder without text_encoder as a refiner and one without text_encoder_2 as SD', () => {
    const refiner = fresh('refiner');
    rmSync(join(refiner, 'text_encoder'), { recursive: true });
    assert.equal(readModelFolder(refiner).family, 'sdxl-refiner');
    const sd = fresh('sd15');
    rmSync(join(sd, 'text_encoder_2'), { recursive: true });
    assert.equal(readModelFolder(sd).family, 'sd');
    rmSync(join(sd, 'tokenizer'), { recursive: true });
    assertFolderError(sd, /not a usable SD 1\.x\/2\.x ONNX folder: tokenizer\/vocab\.json is missing/);
  });

  test('rejects a missing folder and broken JSON with the path', () => {
    assertFolderError(join(work, 'absent'), /Model folder not found: .*absent/);
    const dir = fresh('bad-json');
    writeFileSync(join(dir, 'unet', 'config.json'), '{ not json');
    assertFolderError(dir, /unet\/config\.json is not valid JSON/);
  });

  test("reads Python's bare -Infinity/NaN in configs, as diffusers writes them", () => {
    const dir = fresh('python-json');
    writeFileSync(
      join(dir, 'scheduler', 'scheduler_config.json'),
      '{"_class_name": "DPMSolverMultistepScheduler", "lambda_min_clipped": -Infinity, "note": "Infinity stays text", "x": NaN}',
    );
    const config = readModelFolder(dir).schedulerConfig;
    assert.equal(config.lambda_min_clipped, -Infinity);
    assert.equal(config.note, 'Infinity stays text');
    assert.equal(config.x, null);
    assert.equal(defaultSampler(readModelFolder(dir)), 'dpmpp-2m');
  });

  test('a Hugging Face cache snapshot is named by its repository', () => {
    const snapshot = join(work, 'hub', 'models--stabilityai--sdxl-turbo', 'snapshots', 'abc123');
    mkdirSync(join(snapshot, '..'), { recursive: true });
    renameSync(fresh('to-move'), snapshot);
    assert.equal(readModelFolder(snapshot).name, 'stabilityai/sdxl-turbo');
  });
});
