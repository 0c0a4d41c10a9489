import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { runCli } from '../support/cli';
import { buildTinySdxl } from '../support/tinyModels';

let work = '';
let model = '';

before(() => {
  work = mkdtempSync(join(tmpdir(), 'sdxl-cli-convert-'));
  model = join(work, 'tiny-sdxl');
  buildTinySdxl(model, { externalDataFor: ['unet'] });
});

after(() => rmSync(work, { recursive: true, force: true }));

const generate = (dir: string, out: string) =>
  runCli(['generate', '--model', dir, '--prompt', 'a red fox', '--width', '64', '--height', '64', '--steps', '4', '--seed', '9', '--out', out]);

describe('sdxl-assets convert', () => {
  test('writes MODEL-fp16, says what stayed float32, and the copy generates nearly the same image', async () => {
    const result = await runCli(['convert', model, '--fp16']);
    assert.equal(result.code, 0, result.stderr);
    const out = `${model}-fp16`;
    assert.equal(result.stdout.trim(), out);
    assert.match(result.stderr, /converting unet \(3\/5\)/);
    assert.match(result.stderr, /unet: float16, /);
    assert.match(result.stderr, /vae_decoder: kept float32 because its config sets force_upcast/);

    const [a, b] = [join(work, 'fp32.png'), join(work, 'fp16.png')];
    for (const [dir, png] of [[model, a], [out, b]] as const) {
      const run = await generate(dir, png);
      assert.equal(run.code, 0, run.stderr);
    }
    const [pa, pb] = await Promise.all([a, b].map((p) => sharp(p).raw().toBuffer()));
    let worst = 0;
    let total = 0;
    for (let i = 0; i < pa.length; i++) {
      worst = Math.max(worst, Math.abs(pa[i] - pb[i]));
      total += Math.abs(pa[i] - pb[i]);
    }
    // Measured on this random-weight model over seeds 1, 2, 3 and 9: max 9 to 11, mean 0.11 to
    // 0.13 (a few steep pixels). float16Conformance.test.ts holds the tolerance on diffusers' images.
    assert.ok(worst <= 16, `the float16 image differs by up to ${worst}`);
    assert.ok(total / pa.length <= 0.5, `the float16 image differs by ${total / pa.length} on average`);

    const again = await runCli(['convert', model, '--fp16']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists; remove it or choose another output folder/);
  });

  test('refuses a call without --fp16 and a folder that is not a model', async () => {
    const usage = await runCli(['convert', model]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--fp16/);
    const notModel = await runCli(['convert', join(model, 'scheduler'), '--fp16', '--out', join(work, 'nothing')]);
    assert.equal(notModel.code, 1);
    assert.match(notModel.stderr, /sdxl-assets: /);
    assert.equal(existsSync(join(work, 'nothing')), false);
  });
});
