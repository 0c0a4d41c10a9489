// Each refusal carries the code of its cause: a broken file in the model folder is the folder's,
// a sampler that cannot take the job's settings is the request's, a damaged recipe is the image's,
// and cancellation is recognised the same way whether it is an engine error or a host's job error.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CancelledError, EngineError } from '../../src/engine/errors';
import { parseRecipe } from '../../src/engine/image/recipeMetadata';
import { readPngTextChunks } from '../../src/engine/image/pngText';
import { jobScheduler } from '../../src/engine/pipelines/stages';
import { ClipTokenizer } from '../../src/engine/text/clipTokenizer';
import { isCancelled, isSystemErrorCode } from '../../src/protocol/failureCode';
import type { GenerationSettings } from '../../src/protocol/recipe';
import { writeSmallClipTokenizer } from '../support/smallVocab';

const scratch = mkdtempSync(join(tmpdir(), 'failure-codes-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const SETTINGS: GenerationSettings = {
  prompt: 'a lighthouse',
  negativePrompt: null,
  width: 64,
  height: 64,
  steps: 4,
  guidance: 5,
  sampler: 'ddim',
  karras: false,
  timestepSpacing: null,
  seed: 1,
};

function rejectsWith(code: string, message: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof EngineError, `an EngineError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  };
}

describe('failure codes', () => {
  test('cancellation is one test for engine errors and job errors alike', () => {
    assert.equal(isCancelled(new CancelledError()), true);
    assert.equal(isCancelled(new EngineError('Download cancelled.', 'cancelled')), true);
    assert.equal(isCancelled(Object.assign(new Error('Generation cancelled.'), { code: 'cancelled' })), true);
    for (const other of [new EngineError('no', 'bad-request'), new Error('cancelled'), 'cancelled', null, undefined, { code: 'EEXIST' }]) {
      assert.equal(isCancelled(other), false, String(other));
    }
  });

  test('only file-system codes pass through as they are', () => {
    assert.equal(isSystemErrorCode('ENOSPC'), true);
    assert.equal(isSystemErrorCode('EEXIST'), true);
    assert.equal(isSystemErrorCode('ERR_INVALID_ARG_TYPE'), false);
    assert.equal(isSystemErrorCode(undefined), false);
  });

  test('a broken tokenizer file is the model folder’s fault', async () => {
    const dir = join(scratch, 'tokenizer');
    writeSmallClipTokenizer(dir, { padToken: '<|endoftext|>' });
    writeFileSync(join(dir, 'merges.txt'), '#version: 0.2\nh e\nabc\n');
    await assert.rejects(ClipTokenizer.fromFolder(dir), rejectsWith('model-folder', /merges\.txt: merge 2 is not a pair.*download the model again/));
    writeFileSync(join(dir, 'vocab.json'), '[1, 2]');
    await assert.rejects(ClipTokenizer.fromFolder(dir), rejectsWith('model-folder', /vocab\.json: expected an object/));
  });

  test('a sampler keeps the code of its refusal: the folder’s config or the job’s settings', () => {
    assert.throws(
      () => jobScheduler(SETTINGS, { num_train_timesteps: 'many' }),
      rejectsWith('model-folder', /scheduler_config\.json: num_train_timesteps must be an integer/),
    );
    assert.throws(
      () => jobScheduler(SETTINGS, { num_train_timesteps: 3, trained_betas: [0.1, 0.2] }),
      rejectsWith('model-folder', /trained_betas has 2 values for 3 num_train_timesteps/),
    );
    assert.throws(() => jobScheduler({ ...SETTINGS, karras: true }, {}), rejectsWith('bad-request', /Karras sigmas are not available with the ddim sampler.*turn Karras off\.$/));
    assert.throws(
      () => jobScheduler({ ...SETTINGS, sampler: 'pndm', steps: 2 }, { skip_prk_steps: false }),
      rejectsWith('bad-request', /needs at least 4 steps, got 2\.$/),
    );
    assert.throws(
      () => jobScheduler({ ...SETTINGS, sampler: 'euler-a' }, { prediction_type: 'sample' }),
      rejectsWith('bad-request', /does not support prediction_type "sample"/),
    );
  });

  test('a damaged recipe or PNG is the input image’s fault', () => {
    assert.throws(() => parseRecipe('{'), rejectsWith('image-input', /recipe is not valid JSON/));
    assert.throws(() => parseRecipe('{"version": 2}'), rejectsWith('image-input', /recipe field "version" must be 1/));
    assert.throws(() => readPngTextChunks(new Uint8Array([1, 2, 3])), rejectsWith('image-input', /not a PNG file/));
  });
});
