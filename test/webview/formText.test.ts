import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NUMBER_FIELDS, numberFieldHint, parseNumberField } from '../../webview/numberFields';
import type { Phase } from '../../src/protocol/phase';
import { durationText, progressFraction, progressText, speedText, type ProgressInfo } from '../../webview/progressText';
import { seedSummary } from '../../webview/seedSummary';
import { CUSTOM_SIZE, parseSizePreset, SIZE_PRESETS, sizePresetLabel, sizePresetValue } from '../../webview/sizePresets';
import { tokenCountDisplay } from '../../webview/tokenCountText';

describe('size presets', () => {
  test('are SDXL buckets of about one megapixel in multiples of 64', () => {
    assert.equal(SIZE_PRESETS.length, 9);
    for (const { width, height } of SIZE_PRESETS) {
      assert.equal(width % 64, 0);
      assert.equal(height % 64, 0);
      assert.ok(Math.abs((width * height) / 2 ** 20 - 1) < 0.07, `${width}x${height}`);
    }
  });

  test('a bucket maps to its value and back; anything else is custom', () => {
    assert.equal(sizePresetValue({ width: 1344, height: 768 }), '1344x768');
    assert.deepEqual(parseSizePreset('1344x768'), { width: 1344, height: 768 });
    assert.equal(sizePresetValue({ width: 1000, height: 768 }), CUSTOM_SIZE);
    assert.equal(parseSizePreset(CUSTOM_SIZE), undefined);
    assert.equal(parseSizePreset('1000x768'), undefined);
  });

  test('labels say the orientation', () => {
    assert.equal(sizePresetLabel({ width: 1024, height: 1024 }), '1024 × 1024 (square)');
    assert.equal(sizePresetLabel({ width: 832, height: 1216 }), '832 × 1216 (portrait)');
    assert.equal(sizePresetLabel({ width: 1536, height: 640 }), '1536 × 640 (landscape)');
  });
});

describe('number fields', () => {
  test('accept what the engine accepts', () => {
    assert.equal(parseNumberField(' 30 ', NUMBER_FIELDS.steps), 30);
    assert.equal(parseNumberField('7.5', NUMBER_FIELDS.guidance), 7.5);
    assert.equal(parseNumberField('0', NUMBER_FIELDS.guidance), 0);
    assert.equal(parseNumberField('1216', NUMBER_FIELDS.width), 1216);
    assert.equal(parseNumberField('4294967295', NUMBER_FIELDS.seed), 4294967295);
    assert.equal(parseNumberField('7.', NUMBER_FIELDS.steps), 7);
    assert.equal(parseNumberField('1e3', NUMBER_FIELDS.steps), 1000);
  });

  test('refuse empty, fractional, out-of-range and off-grid values', () => {
    assert.equal(parseNumberField('', NUMBER_FIELDS.steps), undefined);
    assert.equal(parseNumberField('7.5', NUMBER_FIELDS.steps), undefined);
    assert.equal(parseNumberField('0', NUMBER_FIELDS.batch), undefined);
    assert.equal(parseNumberField('-1', NUMBER_FIELDS.seed), undefined);
    assert.equal(parseNumberField('1001', NUMBER_FIELDS.steps), undefined);
    assert.equal(parseNumberField('1020', NUMBER_FIELDS.width), undefined);
    assert.equal(parseNumberField('abc', NUMBER_FIELDS.guidance), undefined);
  });

  test('explain their limits', () => {
    assert.equal(numberFieldHint(NUMBER_FIELDS.width), 'a whole number from 64 to 4096, a multiple of 8');
    assert.equal(numberFieldHint(NUMBER_FIELDS.guidance), 'a number from 0 to 100');
  });
});

describe('seed summary', () => {
  test('random and reuse-last without a last seed draw a seed', () => {
    assert.equal(seedSummary('random', 5, 9, 1), 'A new random seed.');
    assert.equal(seedSummary('random', 5, 9, 4), 'A new random seed, then the next 3 for the batch.');
    assert.equal(seedSummary('last', 5, undefined, 1), 'No previous seed yet: a random one.');
  });

  test('fixed and reuse-last name the consecutive seeds of the batch', () => {
    assert.equal(seedSummary('fixed', 42, 9, 1), 'Seed 42.');
    assert.equal(seedSummary('fixed', 42, 9, 4), 'Seeds 42–45.');
    assert.equal(seedSummary('last', 42, 1234, 1), 'Seed 1234, from the last image.');
    assert.equal(seedSummary('last', 42, 1234, 2), 'Seeds 1234–1235, from the last image.');
  });
});

describe('token counts', () => {
  const count = (tokenizer: string, n: number, chunks = 1, limit = 77) => ({ tokenizer, count: n, limit, chunks });

  test('one number when both tokenizers agree', () => {
    const display = tokenCountDisplay([count('tokenizer', 12), count('tokenizer_2', 12)], false);
    assert.deepEqual(display, { text: '12 / 77', warning: false, description: '12 of 77 tokens used.' });
  });

  test('one number per tokenizer when they differ, and a warning in words when over', () => {
    const display = tokenCountDisplay([count('tokenizer', 80), count('tokenizer_2', 79)], false);
    assert.equal(display.text, 'tokenizer 80 / 77 · tokenizer_2 79 / 77 · over the limit');
    assert.equal(display.warning, true);
    assert.match(display.description, /80 tokens: over the 77-token limit/);
  });

  test('with weighting: tokens and chunks, and no limit to be over', () => {
    const display = tokenCountDisplay([count('tokenizer', 92, 2, 75), count('tokenizer_2', 92, 2, 75)], true);
    assert.deepEqual(display, {
      text: '92 tokens · 2 chunks',
      warning: false,
      description: '92 tokens in 2 chunks of up to 75, each encoded on its own and joined, as AUTOMATIC1111 does.',
    });
    assert.equal(tokenCountDisplay([count('tokenizer', 1, 1, 75)], true).text, '1 token · 1 chunk');
    assert.equal(
      tokenCountDisplay([count('tokenizer', 75, 1, 75), count('tokenizer_2', 76, 2, 75)], true).text,
      'tokenizer 75 tokens · 1 chunk · tokenizer_2 76 tokens · 2 chunks',
    );
  });

  test('weights that cannot be read: a warning, with the reason in the tooltip', () => {
    const problem = 'The prompt weight "1.2.3" in "(cat:1.2.3)" is not a number; write weights like (word:1.2).';
    const display = tokenCountDisplay([{ ...count('tokenizer', 9), problem }], true);
    assert.deepEqual(display, { text: 'check the weights', warning: true, description: problem });
  });

  test('nothing before anything was counted', () => {
    assert.deepEqual(tokenCountDisplay([], true), { text: '', warning: false, description: '' });
  });
});

describe('progress text', () => {
  const progress: ProgressInfo = { jobId: 'a', step: 7, total: 30, itPerSecond: 2.13, etaSeconds: 10.8, phase: 'denoise' };

  test('steps, speed and time left while denoising', () => {
    assert.equal(progressText(progress), 'step 7/30 · 2.1 it/s · ETA 11 s');
    assert.equal(progressFraction(progress), 7 / 30);
  });

  test('no speed before the first step has been timed, no ETA on the last step', () => {
    assert.equal(progressText({ ...progress, step: 0, itPerSecond: 0 }), 'step 0/30');
    assert.equal(progressText({ ...progress, step: 30 }), 'step 30/30 · 2.1 it/s');
  });

  test('other phases in words, with no fraction to show', () => {
    assert.equal(progressText({ ...progress, phase: 'load' }), 'Loading the model…');
    assert.equal(progressText({ ...progress, phase: 'decode' }), 'Decoding the image…');
    // Messages cross postMessage unchecked, so a phase the table lacks can still arrive.
    assert.equal(progressText({ ...progress, phase: 'warmup' as string as Phase }), 'warmup…');
    assert.equal(progressFraction({ ...progress, phase: 'encode' }), undefined);
  });

  test('slow speeds in seconds per step, long waits in minutes and hours', () => {
    assert.equal(speedText(0.4), '2.5 s/it');
    assert.equal(durationText(125), '2 min 05 s');
    assert.equal(durationText(3725), '1 h 02 min');
  });
});
