import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EngineError } from '../../src/engine/errors';
import { readModelFolder } from '../../src/engine/models/modelFolder';
import { ModelSessions } from '../../src/engine/runtime/modelSessions';
import { autoProviderOrder, createSession, providerCandidates } from '../../src/engine/runtime/providers';
import { buildTinySdxl } from '../support/tinyModels';

test('auto prefers the platform GPU provider and always ends with the CPU', () => {
  assert.deepEqual(autoProviderOrder('win32'), ['cuda', 'dml', 'cpu']);
  assert.deepEqual(autoProviderOrder('darwin'), ['coreml', 'cpu']);
  assert.deepEqual(autoProviderOrder('linux'), ['cuda', 'cpu']);
  const { candidates, skipped } = providerCandidates('auto');
  assert.equal(candidates.at(-1), 'cpu');
  for (const failure of skipped) assert.match(failure.reason, /not installed/);
  assert.deepEqual(providerCandidates('webgpu'), { candidates: ['webgpu'], skipped: [] });
});

test('auto falls back to the CPU and reports each passed-over provider once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sdxl-providers-'));
  try {
    buildTinySdxl(dir);
    const reported: string[] = [];
    const sessions = new ModelSessions(readModelFolder(dir), 'auto', false, {
      onFallback: (provider) => reported.push(provider),
    });
    const loaded = await Promise.all([sessions.get('text_encoder'), sessions.get('unet')]);
    assert.ok(loaded.every((l) => l.provider === 'cpu' || l.provider === loaded[0].provider));
    assert.equal(new Set(reported).size, reported.length, `reported twice: ${reported.join(', ')}`);
    await sessions.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a provider that cannot load is a provider error naming it, not a crash', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sdxl-providers-'));
  try {
    buildTinySdxl(dir);
    const path = join(dir, 'unet', 'model.onnx');
    const missing = providerCandidates('auto').skipped.map((s) => s.provider);
    if (missing.length === 0) {
      t.skip('every provider auto tries is installed on this machine');
      return;
    }
    await assert.rejects(
      createSession(path, [missing[0]], { keepArena: false }),
      (error: unknown) => error instanceof EngineError && error.code === 'provider' && error.message.includes(missing[0]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
