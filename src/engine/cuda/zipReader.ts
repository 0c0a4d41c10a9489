import { createReadStream, createWriteStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import { EngineError } from '../errors';

/** One file of a zip archive, as its central directory describes it. */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const ZIP64_EXTRA_ID = 0x0001;
const FLAG_ENCRYPTED = 0x1;
const FLAG_UTF8 = 0x800;

/**
 * The entries of a zip file, read from its central directory (ZIP64 included: a NuGet
 * package with CUDA libraries can pass 4 GB).
 */
export async function readZipEntries(path: string): Promise<ZipEntry[]> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const tailSize = Math.min(size, EOCD_SIZE + MAX_COMMENT);
    const tail = await readAt(file, size - tailSize, tailSize);
    const eocd = lastIndexOfSignature(tail, EOCD_SIGNATURE);
    if (eocd < 0) throw damaged(`${path} is not a zip file (no end of central directory).`);
    let count = tail.readUInt16LE(eocd + 10);
    let directorySize = tail.readUInt32LE(eocd + 12);
    let directoryOffset = tail.readUInt32LE(eocd + 16);
    if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
      const locatorAt = size - tailSize + eocd - 20;
      const locator = await readAt(file, locatorAt, 20);
      if (locator.readUInt32LE(0) !== ZIP64_LOCATOR_SIGNATURE) throw damaged(`${path}: ZIP64 fields without a ZIP64 locator.`);
      const record = await readAt(file, Number(locator.readBigUInt64LE(8)), 56);
      if (record.readUInt32LE(0) !== ZIP64_EOCD_SIGNATURE) throw damaged(`${path}: bad ZIP64 end of central directory.`);
      count = Number(record.readBigUInt64LE(32));
      directorySize = Number(record.readBigUInt64LE(40));
      directoryOffset = Number(record.readBigUInt64LE(48));
    }
    return parseCentralDirectory(await readAt(file, directoryOffset, directorySize), count, path);
  } finally {
    await file.close();
  }
}

function parseCentralDirectory(directory: Buffer, count: number, path: string): ZipEntry[] {
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > directory.length || directory.readUInt32LE(at) !== CENTRAL_SIGNATURE) {
      throw damaged(`${path}: central directory entry ${i} is damaged.`);
    }
    const flags = directory.readUInt16LE(at + 8);
    const nameLength = directory.readUInt16LE(at + 28);
    const extraLength = directory.readUInt16LE(at + 30);
    const commentLength = directory.readUInt16LE(at + 32);
    const nameBytes = directory.subarray(at + 46, at + 46 + nameLength);
    const entry: ZipEntry = {
      name: nameBytes.toString(flags & FLAG_UTF8 ? 'utf8' : 'latin1'),
      method: directory.readUInt16LE(at + 10),
      flags,
      crc32: directory.readUInt32LE(at + 16),
      compressedSize: directory.readUInt32LE(at + 20),
      size: directory.readUInt32LE(at + 24),
      localHeaderOffset: directory.readUInt32LE(at + 42),
    };
    applyZip64Extra(entry, directory.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength));
    entries.push(entry);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The ZIP64 extra field holds, in this order, each of the three values whose 32-bit field is all ones. */
function applyZip64Extra(entry: ZipEntry, extra: Buffer): void {
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(at);
    const length = extra.readUInt16LE(at + 2);
    if (id === ZIP64_EXTRA_ID) {
      let field = at + 4;
      const next = (): number => {
        const value = Number(extra.readBigUInt64LE(field));
        field += 8;
        return value;
      };
      if (entry.size === 0xffffffff) entry.size = next();
      if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
      if (entry.localHeaderOffset === 0xffffffff) entry.localHeaderOffset = next();
      return;
    }
    at += 4 + length;
  }
}

/**
 * Writes one entry's contents to `dest` (created or truncated), streaming, and checks its
 * size and CRC-32: a damaged entry fails instead of landing on disk as a library.
 */
export async function extractZipEntry(zipPath: string, entry: ZipEntry, dest: string): Promise<void> {
  if (entry.flags & FLAG_ENCRYPTED) throw damaged(`${entry.name} is encrypted.`);
  if (entry.method !== 0 && entry.method !== 8) throw damaged(`${entry.name} uses compression method ${entry.method}; only stored and deflate are read.`);
  const file = await open(zipPath, 'r');
  let dataStart: number;
  try {
    const header = await readAt(file, entry.localHeaderOffset, 30);
    if (header.readUInt32LE(0) !== LOCAL_SIGNATURE) throw damaged(`${zipPath}: the local header of ${entry.name} is damaged.`);
    dataStart = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  } finally {
    await file.close();
  }
  const check = new CrcCounter();
  const out = createWriteStream(dest);
  if (entry.compressedSize === 0) {
    // A stored empty file: a read stream cannot be given an empty range.
    out.end();
    await finished(out);
  } else {
    const source = createReadStream(zipPath, { start: dataStart, end: dataStart + entry.compressedSize - 1 });
    if (entry.method === 8) await pipeline(source, createInflateRaw(), check.stream(), out);
    else await pipeline(source, check.stream(), out);
  }
  if (check.bytes !== entry.size) throw damaged(`${entry.name}: ${check.bytes} bytes extracted, the archive says ${entry.size}.`);
  if (check.crc !== entry.crc32) throw damaged(`${entry.name}: CRC-32 mismatch; the archive is damaged.`);
}

// zlib.crc32 arrived in Node 20.15; the extension host of older VS Code runs an earlier Node 20.
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Counts and checksums the bytes passing through. */
class CrcCounter {
  bytes = 0;
  private state = 0xffffffff;

  get crc(): number {
    return (this.state ^ 0xffffffff) >>> 0;
  }

  stream(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        let c = this.state;
        for (let i = 0; i < chunk.length; i++) c = CRC_TABLE[(c ^ chunk[i]!) & 0xff]! ^ (c >>> 8);
        this.state = c;
        this.bytes += chunk.length;
        callback(null, chunk);
      },
    });
  }
}

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  if (bytesRead !== length) throw damaged(`Unexpected end of the zip file at byte ${position + bytesRead}.`);
  return buffer;
}

function lastIndexOfSignature(buffer: Buffer, signature: number): number {
  for (let at = buffer.length - EOCD_SIZE; at >= 0; at--) {
    if (buffer.readUInt32LE(at) === signature) return at;
  }
  return -1;
}

/** A damaged package is a failed download, for the user to fetch again, not a bug. */
function damaged(problem: string): EngineError {
  return new EngineError(problem, 'download');
}
