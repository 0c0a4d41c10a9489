// A zip file's entries and contents for tests that look inside archives (a VSIX), read with
// the engine's own zip reader so that tests and the CUDA download share one implementation.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractZipEntry, readZipEntries } from '../../src/engine/cuda/zipReader';

export interface ZipEntry {
  name: string;
  /** The entry's uncompressed bytes, checked against its size and CRC-32. */
  read(): Promise<Buffer>;
}

export async function readZip(path: string): Promise<ZipEntry[]> {
  return (await readZipEntries(path)).map((entry) => ({
    name: entry.name,
    async read() {
      // The engine extracts to a file (a CUDA library goes straight to disk); a test wants the bytes.
      const folder = mkdtempSync(join(tmpdir(), 'sdxl-zip-entry-'));
      try {
        const dest = join(folder, 'entry');
        await extractZipEntry(path, entry, dest);
        return readFileSync(dest);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    },
  }));
}
