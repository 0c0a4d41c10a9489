import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fittedInputSize, MAX_IMAGE_SIDE, settingsProblem } from '../../src/protocol/generationLimits';

test('a large input picture defaults to a size inside the limit, on the model multiple', () => {
  assert.deepEqual(fittedInputSize({ width: 12000, height: 9000 }, 64), { width: 4096, height: 3072 });
  assert.deepEqual(fittedInputSize({ width: 3000, height: 9000 }, 8), { width: 1360, height: 4096 });
  assert.deepEqual(fittedInputSize({ width: 1000, height: 700 }, 64), { width: 960, height: 640 });
  assert.deepEqual(fittedInputSize({ width: 20, height: 20 }, 64), { width: 64, height: 64 });
});

test('the shared limits name the field and what it takes', () => {
  assert.equal(settingsProblem({ prompt: 'x', width: MAX_IMAGE_SIDE, height: 64, steps: 1, seed: 0 }), undefined);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ width: 4104 }, /^width 4104 is above the limit of 4096 pixels a side\.$/],
    [{ height: -8 }, /^height must be a positive whole number of pixels, got -8\.$/],
    [{ steps: 0 }, /^steps must be a whole number from 1 to 1000, got 0\.$/],
    [{ steps: '3' }, /^steps must be a whole number from 1 to 1000, got "3"\.$/],
    [{ guidance: Number.NaN }, /^guidance must be a number from 0 to 100/],
    [{ seed: 2 ** 53 }, /^seed must be a whole number from 0 to 9007199254740991/],
    [{ sampler: 'heun' }, /^Unknown sampler "heun"/],
    [{ prompt: 'a\0b' }, /^prompt contains a NUL character/],
    [{ strength: 0.5 }, /^strength applies only to image-to-image/],
    [{ initImage: 'in.png', strength: 0 }, /^strength must be a number above 0 and at most 1, got 0\.$/],
    [{ refinerStart: 1 }, /^refiner start must be a number between 0 and 1/],
    [{ tiling: 'diagonal' }, /^Unknown tiling "diagonal"; use one of x, y, both\./],
  ];
  for (const [settings, message] of cases) assert.match(settingsProblem(settings) ?? '', message, JSON.stringify(settings));
  assert.match(settingsProblem({ width: 100 }, 16) ?? '', /^width 100 is not a multiple of 16, which this model's UNet needs; try 96 or 112\.$/);
  assert.equal(settingsProblem({ width: 100 }), undefined, 'the multiple is checked once the model is known');
});
