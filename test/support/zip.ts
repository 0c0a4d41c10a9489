import { readFileSync } from 'node:fs';
import { constants, inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  /** The entry's uncompressed bytes; with `limit`, at least that many from its start when it has them. */
  read(limit?: number): Buffer;
}

/** The entries of a zip file (a VSIX), from its central directory; stored or deflated, no zip64. */
export function readZip(path: string): ZipEntry[] {
  const zip = readFileSync(path);
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error(`${path} is not a zip file`);
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error(`${path}: bad central directory entry ${i}`);
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const local = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    offset += 46 + nameLength + zip.readUInt16LE(offset + 30) + zip.readUInt16LE(offset + 32);
    entries.push({
      name,
      read(limit) {
        const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
        const data = zip.subarray(start, start + compressedSize);
        if (method === 0) return data;
        if (method !== 8) throw new Error(`${name}: compression method ${method}`);
        if (limit === undefined) return inflateRawSync(data);
        // Deflate's longest code is 15 bits and a block header is under 1 KB, so this much of
        // the stream holds `limit` bytes; a sync flush returns them without the stream's end.
        return inflateRawSync(data.subarray(0, 2 * limit + 1024), { finishFlush: constants.Z_SYNC_FLUSH });
      },
    });
  }
  return entries;
}
