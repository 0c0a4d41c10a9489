// The zip reader against archives written the way NuGet writes them: deflated and stored
// entries, an empty file, ZIP64 records, and the damage it must refuse.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { extractZipEntry, readZipEntries } from '../../../src/engine/cuda/zipReader';
import { tempFolder } from '../../support/tempFolder';
import { buildZip, type ZipInput } from './zipWriter';

const work = tempFolder('sdxl-zip');

const FILES: ZipInput[] = [
  { name: 'runtimes/linux-x64/native/big.so', data: Buffer.from('compressible '.repeat(20_000)) },
  { name: 'stored.bin', data: Buffer.from([0, 1, 2, 3, 255]), stored: true },
  { name: 'empty.txt', data: Buffer.alloc(0), stored: true },
  { name: 'unicodé/名前.txt', data: Buffer.from('utf-8 names') },
];

for (const zip64 of [false, true]) {
  describe(zip64 ? 'a ZIP64 archive' : 'a plain archive', () => {
    test('lists every entry and extracts each one byte for byte', async () => {
      const path = join(work, `archive-${zip64}.zip`);
      writeFileSync(path, buildZip(FILES, { zip64 }));
      const entries = await readZipEntries(path);
      assert.deepEqual(entries.map((entry) => entry.name), FILES.map((file) => file.name));
      for (const [index, entry] of entries.entries()) {
        const dest = join(work, `out-${zip64}-${index}`);
        await extractZipEntry(path, entry, dest);
        assert.deepEqual(readFileSync(dest), FILES[index]!.data, entry.name);
      }
    });
  });
}

test('a damaged entry fails its CRC-32 check instead of being written as if whole', async () => {
  const archive = buildZip([{ name: 'lib.so', data: Buffer.from('the real library bytes'), stored: true }]);
  archive[30 + 'lib.so'.length + 3] ^= 0xff;
  const path = join(work, 'damaged.zip');
  writeFileSync(path, archive);
  const [entry] = await readZipEntries(path);
  await assert.rejects(extractZipEntry(path, entry!, join(work, 'damaged.out')), /CRC-32 mismatch/);
});

test('a file that is not a zip is named as such', async () => {
  const path = join(work, 'not.zip');
  writeFileSync(path, 'just text, long enough to be searched for an end record '.repeat(3));
  await assert.rejects(readZipEntries(path), /is not a zip file/);
});
