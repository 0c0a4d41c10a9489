// Environment and model-file errors are one line with exit code 1; signals stop cleanly.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { systemErrorLine } from '../../src/cli/systemError';
import { assertOneLineError, runCli, type CliResult } from '../support/cli';
import { repoRoot } from '../support/shared';
import { tempFolder } from '../support/tempFolder';
import { buildTinySdxl } from '../support/tinyModels';

const work = tempFolder('sdxl-errors');
let model = '';

before(() => {
  chmodSync(work, 0o755);
  model = join(work, 'tiny-sdxl');
  buildTinySdxl(model);
});

const args = (modelDir: string, out: string, extra: string[] = []) => [
  'generate', '--model', modelDir, '--prompt', 'a lighthouse', '--width', '32', '--height', '32', '--steps', '2', '--seed', '1', '--out', out, ...extra,
];

/** A copy of the tiny model with one file replaced. */
function brokenModel(name: string, file: string, content: string): string {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  spawnSync('cp', ['-r', model, dir]);
  writeFileSync(join(dir, file), content);
  return dir;
}

describe('sdxl-assets errors', () => {
  for (const command of ['generate', 'download', 'models', 'tokens', 'info', 'gpu']) {
    test(`${command} --help prints its usage`, async () => {
      const result = await runCli([command, '--help']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^sdxl-assets ${command}`));
    });
  }

  test('an invalid vocab.json names the file and what to do', async () => {
    const dir = brokenModel('bad-vocab', 'tokenizer/vocab.json', '{ not json');
    assertOneLineError(await runCli(args(dir, join(work, 'v') + '/')), 1, /tokenizer\/vocab\.json: invalid JSON .*; fix the file or download the model again\.$/);
  });

  test('num_train_timesteps -5 in scheduler_config.json names the field', async () => {
    const config = JSON.parse(readFileSync(join(model, 'scheduler', 'scheduler_config.json'), 'utf8'));
    const dir = brokenModel('bad-scheduler', 'scheduler/scheduler_config.json', JSON.stringify({ ...config, num_train_timesteps: -5 }));
    assertOneLineError(
      await runCli(args(dir, join(work, 's') + '/')),
      1,
      /scheduler_config\.json: num_train_timesteps must be an integer from 1 to 100000, got -5; fix the model's scheduler\/scheduler_config\.json/,
    );
  });

  test('a folder the user may not write to is one line with exit code 1 and nothing left', async (t) => {
    const folder = join(work, 'read-only');
    mkdirSync(folder, { mode: 0o755 });
    const user = process.getuid?.() === 0 ? nobody() : undefined;
    if (process.getuid?.() === 0 && !user) return t.skip('runs as root without a "nobody" user to drop to');
    if (!user) chmodSync(folder, 0o555);
    const result = await runAs(user, args(model, join(folder, 'x.png')));
    assertOneLineError(result, 1, /^sdxl-assets: cannot access .*read-only: permission denied \(EACCES\); choose a folder you can write to/);
    assert.doesNotMatch(result.stderr, /Loading the model/, 'refused before any model is loaded');
    assert.deepEqual(readdirSync(folder), []);
  });

  test('a full disk is named as such', () => {
    let caught: unknown;
    try {
      writeFileSync('/dev/full', 'x');
    } catch (error) {
      caught = error;
    }
    if (caught === undefined) return;
    assert.match(systemErrorLine(caught) ?? '', /^cannot write: no space left on device \(ENOSPC\); the disk is full; free some space/);
    assert.equal(systemErrorLine(new TypeError('a bug')), undefined);
  });

  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    test(`${signal} stops between steps like Ctrl+C and leaves no hidden temporary file`, async () => {
      const folder = join(work, `stopped-${signal}`);
      const result = await runAs(undefined, args(model, folder + '/', ['--steps', '400', '--width', '64', '--height', '64']), { signal, after: /step 2\// });
      assert.equal(result.code, 130, result.stderr);
      assert.match(result.stderr, /cancelled/i);
      assert.deepEqual(existsSync(folder) ? readdirSync(folder) : [], []);
    });
  }
});

function runAs(
  user: { uid: number; gid: number } | undefined,
  argv: string[],
  stop?: { signal: NodeJS.Signals; after: RegExp },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', 'cli.js'), ...argv], { stdio: 'pipe', ...(user ?? {}) });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stop && !sent && stop.after.test(stderr)) {
        sent = true;
        child.kill(stop.signal);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function nobody(): { uid: number; gid: number } | undefined {
  const uid = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
