// The memory plan as a CLI user sees it: in generate's log and in info.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../support/cli';
import { buildTinySdxl } from '../support/tinyModels';

let work = '';
let model = '';

before(() => {
  work = mkdtempSync(join(tmpdir(), 'cli-memory-'));
  model = join(work, 'model');
  buildTinySdxl(model);
});
after(() => rmSync(work, { recursive: true, force: true }));

const generate = (out: string, extra: string[]) => [
  'generate', '--model', model, '--prompt', 'a kite', '--width', '32', '--height', '32', '--steps', '1', '--seed', '1', '--out', join(work, out), ...extra,
];

describe('memory plan in the CLI', () => {
  test('generate logs the plan it chose and why', async () => {
    const result = await runCli(generate('auto.png', []));
    assert.equal(result.code, 0, result.stderr);
    // A tiny model fits in any machine's free RAM.
    assert.match(result.stderr, /memory plan: all-loaded \(free: [\d.]+ GiB \(RAM, .*all-loaded: estimated peak/);
  });

  test('--low-memory and --memory-plan force a plan, and the log says so', async () => {
    const low = await runCli(generate('low.png', ['--low-memory']));
    assert.equal(low.code, 0, low.stderr);
    assert.match(low.stderr, /memory plan: one-at-a-time \(.*one-at-a-time chosen by low-memory mode/);
    const forced = await runCli(generate('forced.png', ['--memory-plan', 'release-text-encoders']));
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /memory plan: release-text-encoders \(.*chosen by request/);
    const wrong = await runCli(generate('wrong.png', ['--memory-plan', 'everything']));
    assert.equal(wrong.code, 2, wrong.stderr);
  });

  test('info shows the plan for the default size with every estimate', async () => {
    const result = await runCli(['info', '--model', model]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /memory plan at 64×64 on cpu: all-loaded\n\s+free: /);
    assert.match(result.stdout, /estimated peaks: all-loaded [\d.]+ GiB, release-text-encoders [\d.]+ GiB, one-at-a-time [\d.]+ GiB/);
  });
});
