import assert from 'node:assert/strict';
import { existsSync, linkSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { readRecipeFromFile } from '../../src/engine/image/recipeMetadata';
import { runCli } from '../support/cli';
import { tempFolder } from '../support/tempFolder';
import { buildTinySdxl } from '../support/tinyModels';

const work = tempFolder('sdxl-outputs');
let model = '';

before(() => {
  model = join(work, 'tiny-sdxl');
  buildTinySdxl(model);
});

const args = (out: string, extra: string[] = []) => [
  'generate', '--model', model, '--prompt', 'a lighthouse', '--width', '32', '--height', '32', '--steps', '2', '--seed', '5', '--out', out, ...extra,
];

describe('outputs are created exclusively, never replaced', () => {
  test('several generate processes racing on one folder each keep every image', async () => {
    const folder = join(work, 'race');
    const guidances = ['1', '2', '3', '4'];
    const results = await Promise.all(guidances.map((g) => runCli(args(folder + '/', ['--guidance', g, '--batch', '2']))));
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    const written = results.flatMap((r) => r.stdout.trim().split('\n'));
    assert.equal(new Set(written).size, 8, written.join('\n'));
    const files = readdirSync(folder);
    assert.equal(files.length, 8, files.join(', '));
    const recipes = await Promise.all(files.map((f) => readRecipeFromFile(join(folder, f))));
    const made = recipes.map((r) => `${r?.guidance}/${r?.seed}`).sort();
    assert.deepEqual(made, guidances.flatMap((g) => [`${g}/5`, `${g}/6`]).sort());
  });

  test('an existing --out file is refused before any work and kept', async () => {
    const out = join(work, 'taken.png');
    writeFileSync(out, 'precious');
    const result = await runCli(args(out));
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^sdxl-assets: --out .*taken\.png already exists and is never overwritten/m);
    assert.doesNotMatch(result.stderr, /step 1\//);
    assert.equal(readFileSync(out, 'utf8'), 'precious');
  });

  test('--batch with --out FILE numbers past files that already exist', async () => {
    const folder = mkdtempSync(join(work, 'numbered-'));
    writeFileSync(join(folder, 'f-2.png'), 'precious');
    const result = await runCli(args(join(folder, 'f.png'), ['--batch', '3']));
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split('\n'), ['f.png', 'f-3.png', 'f-4.png'].map((f) => join(folder, f)));
    assert.equal(readFileSync(join(folder, 'f-2.png'), 'utf8'), 'precious');
    assert.deepEqual(readdirSync(folder).sort(), ['f-2.png', 'f-3.png', 'f-4.png', 'f.png']);
  });

  test('the input image is recognised through a symbolic or hard link and never overwritten', async () => {
    const folder = mkdtempSync(join(work, 'input-'));
    const input = join(folder, 'in.png');
    const made = await runCli(args(input));
    assert.equal(made.code, 0, made.stderr);
    const bytes = readFileSync(input);
    symlinkSync(input, join(folder, 'alias.png'));
    linkSync(input, join(folder, 'hard.png'));
    for (const out of [join(folder, 'alias.png'), join(folder, 'hard.png'), `${folder}/./in.png`]) {
      const result = await runCli(args(out, ['--init-image', input]));
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /--out would overwrite the input image/);
    }
    assert.deepEqual(readFileSync(input), bytes);
    assert.ok(!existsSync(join(folder, 'alias-2.png')));
  });
});
