import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/**
 * Makes a fresh folder under the system's temp folder, removed with all it holds after the
 * tests of the file, describe block or test that called this. Call it at load time or inside
 * a test, not inside a before() hook: node:test runs an after() registered there at once.
 * after() hooks run in the order they were registered, so one that must run before the removal
 * (an engine letting go of the model files in the folder) is registered before this call.
 */
export function tempFolder(prefix: string): string {
  const path = mkdtempSync(join(tmpdir(), `${prefix}-`));
  after(() => rmSync(path, { recursive: true, force: true }));
  return path;
}
