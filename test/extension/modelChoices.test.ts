import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { catalogPickItems, mattingPickItems, speedText } from '../../src/extension/models/catalogPick';
import { loadMattingCatalog } from '../../src/engine/models/catalog';
import { formDefaults } from '../../src/extension/jobs/formDefaults';
import { modelChoices } from '../../src/extension/models/modelChoices';
import type { ModelDefaults } from '../../src/protocol/panelProtocol';
import { tempFolder } from '../support/tempFolder';
import { tinyModelFolders } from '../support/tinyModelFolders';
import { buildTinySd, buildTinySdxl, TURBO_SCHEDULER_CONFIG } from '../support/tinyModels';
import { tinyEntry } from '../engine/models/fakeHub';

const work = tempFolder('sdxl-choices');
before(() => {
  buildTinySdxl(join(work, 'configured'));
  buildTinySdxl(join(work, 'models', 'downloaded'));
});
const family = tinyModelFolders(join(work, 'families'), {
  base: (dir) => buildTinySdxl(dir),
  turbo: (dir) => buildTinySdxl(dir, { scheduler: TURBO_SCHEDULER_CONFIG }),
  sd2: (dir) => buildTinySd(dir, { version: 2 }),
  // A refiner folder is an SDXL folder with the second text encoder alone.
  refiner: (dir) => {
    buildTinySdxl(dir);
    rmSync(join(dir, 'text_encoder'), { recursive: true });
    rmSync(join(dir, 'tokenizer'), { recursive: true });
  },
});

describe('the model picker list', () => {
  test('configured folders first (with why one does not load), then discovered ones, each once', () => {
    const choices = modelChoices(
      [join(work, 'configured'), join(work, 'gone')],
      [
        { dir: join(work, 'models', 'downloaded'), source: 'models-directory' },
        { dir: join(work, 'configured') + '/', source: 'hf-cache' },
      ],
      [],
    );
    assert.deepEqual(choices.map((c) => [c.label, c.sizeMultiple, c.problem?.slice(0, 22)]), [
      ['configured', 16, undefined],
      ['gone', undefined, 'Model folder not found'],
      ['downloaded', 16, undefined],
    ]);
  });
});

describe('model families in the picker', () => {
  /** The tiny models' trained size is 8 latent cells of 8 pixels. */
  const sdxlBase: ModelDefaults = {
    width: 64, height: 64, steps: 30, guidance: 5, sampler: 'euler', imageToImage: { steps: 30, guidance: 5, strength: 0.5 },
  };

  test('each choice names its family and brings the engine\'s defaults for it', () => {
    const choices = modelChoices([family.base, family.turbo, family.sd2, family.refiner], [], []);
    assert.deepEqual(choices.map((c) => [c.label, c.family, c.familyLabel]), [
      ['base', 'sdxl', 'SDXL'],
      ['turbo', 'sdxl', 'SDXL Turbo'],
      ['sd2', 'sd', 'SD 2.x, v-prediction'],
      ['refiner', 'sdxl-refiner', 'SDXL refiner'],
    ]);
    const [base, turbo, sd2, refiner] = choices.map((c) => c.defaults);
    assert.deepEqual(base, sdxlBase);
    // Turbo: one step without guidance; with an input at strength 0.5, two so that one runs.
    assert.deepEqual(turbo, {
      width: 64, height: 64, steps: 1, guidance: 0, sampler: 'euler-a', imageToImage: { steps: 2, guidance: 0, strength: 0.5 },
    });
    assert.deepEqual(sd2, {
      width: 64, height: 64, steps: 30, guidance: 7.5, sampler: 'ddim', imageToImage: { steps: 30, guidance: 7.5, strength: 0.5 },
    });
    // A refiner adds detail to a picture rather than repainting it.
    assert.equal(refiner?.imageToImage.strength, 0.3);
  });

  test('a catalog model\'s recommended settings come first for text to image', () => {
    const entry = tinyEntry({ recommended: { width: 128, height: 96, steps: 4, guidance: 1, sampler: 'dpmpp-2m', timestepSpacing: 'leading' } });
    const [choice] = modelChoices([], [{ dir: family.base, source: 'models-directory', entry }], [entry]);
    assert.deepEqual(choice?.defaults, { ...sdxlBase, width: 128, height: 96, steps: 4, guidance: 1, sampler: 'dpmpp-2m' });
  });

  test('a first open takes the default model\'s settings with weighting on, never a refiner unless asked', () => {
    const choices = modelChoices([family.refiner, family.turbo, family.base], [], []);
    const turbo = formDefaults(choices, '');
    assert.equal(turbo.modelDir, family.turbo, 'the refiner cannot draw from a prompt');
    assert.deepEqual(
      [turbo.width, turbo.height, turbo.steps, turbo.guidance, turbo.sampler, turbo.strength, turbo.promptWeighting, turbo.refinerDir],
      [64, 64, 1, 0, 'euler-a', 0.5, true, ''],
    );
    assert.equal(formDefaults(choices, family.base).steps, 30);
    assert.equal(formDefaults(choices, family.refiner).modelDir, family.refiner);
    assert.equal(formDefaults([], '').modelDir, '');
  });
});

describe('the Download Model quick pick', () => {
  test('shows size, speed and licence, and where a model already is', () => {
    const nc = tinyEntry({ id: 'nc', displayName: 'Turbo-ish', licence: { name: 'NC Licence', url: 'https://example.com', nonCommercial: true }, sizeBytes: 13_900_000_000 });
    const items = catalogPickItems([nc, tinyEntry()], (entry) => (entry.id === 'tiny-sdxl' ? '/models/tiny-sdxl' : undefined));
    assert.deepEqual(items.map(({ label, description, detail }) => ({ label, description, detail })), [
      { label: 'Turbo-ish', description: '13.9 GB · fast: 2 steps at 64×64', detail: 'NC Licence (non-commercial use only) · A few hundred kilobytes of random weights.' },
      { label: 'Tiny SDXL', description: '500 kB · fast: 2 steps at 64×64', detail: 'Test licence · already here: /models/tiny-sdxl' },
    ]);
    assert.equal(speedText(tinyEntry({ recommended: { ...tinyEntry().recommended, steps: 1 } })), 'fast: 1 step at 64×64');
  });

  test('lists the catalog\'s matting model too, as what a transparent background uses', () => {
    const [birefnet] = loadMattingCatalog({});
    assert.equal(birefnet?.id, 'birefnet-lite');
    const [item] = mattingPickItems([birefnet], () => undefined);
    assert.equal(item.label, birefnet.displayName);
    assert.match(item.description, /MB · background removal, for a transparent background$/);
    assert.match(item.detail, /^MIT/);
    assert.match(mattingPickItems([birefnet], () => '/models/birefnet-lite')[0].detail, /already here: \/models\/birefnet-lite$/);
  });
});
