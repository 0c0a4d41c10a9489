import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { catalogPickItems, speedText } from '../../src/extension/models/catalogPick';
import { modelChoices } from '../../src/extension/models/modelChoices';
import { buildTinySdxl } from '../support/tinyModels';
import { tinyEntry } from '../engine/models/fakeHub';

let work = '';
before(() => {
  work = mkdtempSync(join(tmpdir(), 'sdxl-choices-'));
  buildTinySdxl(join(work, 'configured'));
  buildTinySdxl(join(work, 'models', 'downloaded'));
});
after(() => rmSync(work, { recursive: true, force: true }));

describe('the model picker list', () => {
  test('configured folders first (with why one does not load), then discovered ones, each once', () => {
    const choices = modelChoices(
      [join(work, 'configured'), join(work, 'gone')],
      [
        { dir: join(work, 'models', 'downloaded'), source: 'models-directory' },
        { dir: join(work, 'configured') + '/', source: 'hf-cache' },
      ],
    );
    assert.deepEqual(choices.map((c) => [c.label, c.sizeMultiple, c.problem?.slice(0, 22)]), [
      ['configured', 16, undefined],
      ['gone', undefined, 'Model folder not found'],
      ['downloaded', 16, undefined],
    ]);
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
});
