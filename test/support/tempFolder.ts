import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/**
 * Makes a fresh folder under the system's temp folder, removed with all it holds after the
 * tests of the file, describe block or test that called this. Call it at load time or inside
 * a test, not inside a before() hook: node:test runs an after() registered there at once.
 */
export function tempFolder(prefix: string): string {
  const path = mkdtempSync(join(tmpdir(), `${prefix}-`));
  after(() => rmSync(path, { recursive: true, force: true }));
  return path;
}
