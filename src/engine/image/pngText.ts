import { crc32, inflateSync } from 'node:zlib';
import { EngineError } from '../errors';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const TEXT_TYPES = new Set(['tEXt', 'zTXt', 'iTXt']);

export interface PngTextEntry {
  keyword: string;
  text: string;
  /**
   * true: always iTXt (UTF-8). Otherwise tEXt when the text is Latin-1 and iTXt when it is not,
   * which is PIL's PngInfo.add_text rule and so what AUTOMATIC1111 readers expect.
   */
  utf8?: boolean;
}

interface Chunk {
  type: string;
  /** The whole chunk: length, type, data and CRC. */
  bytes: Buffer;
  data: Buffer;
}

export function isPng(buf: Uint8Array): boolean {
  return buf.length >= SIGNATURE.length && SIGNATURE.equals(buf.subarray(0, SIGNATURE.length));
}

/**
 * A copy of the PNG with one text chunk per entry right after IHDR. Earlier text chunks with the
 * same keywords are dropped, so that every reader sees the new value whichever occurrence it keeps.
 */
export function insertPngTextChunks(png: Uint8Array, entries: readonly PngTextEntry[]): Buffer {
  const chunks = readChunks(png);
  if (chunks[0]?.type !== 'IHDR') throw new Error('PNG does not start with IHDR');
  const keywords = new Set(entries.map((entry) => entry.keyword));
  const kept = chunks.filter((chunk) => !(TEXT_TYPES.has(chunk.type) && keywords.has(textKeyword(chunk.data))));
  const added = entries.map(encodeTextChunk);
  return Buffer.concat([SIGNATURE, kept[0].bytes, ...added, ...kept.slice(1).map((chunk) => chunk.bytes)]);
}

/** Every tEXt, zTXt and iTXt value by keyword; a later chunk wins, as in PIL's Image.info. */
export function readPngTextChunks(png: Uint8Array): Map<string, string> {
  const texts = new Map<string, string>();
  for (const chunk of readChunks(png)) {
    if (!TEXT_TYPES.has(chunk.type)) continue;
    const computed = crc32(chunk.bytes.subarray(4, chunk.bytes.length - 4));
    if (computed !== chunk.bytes.readUInt32BE(chunk.bytes.length - 4)) {
      throw new EngineError(`PNG ${chunk.type} chunk "${textKeyword(chunk.data)}" has a bad CRC`, 'image-input');
    }
    const [keyword, text] = decodeTextChunk(chunk);
    texts.set(keyword, text);
  }
  return texts;
}

function readChunks(png: Uint8Array): Chunk[] {
  if (!isPng(png)) throw new EngineError('not a PNG file', 'image-input');
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  const chunks: Chunk[] = [];
  let offset = SIGNATURE.length;
  while (offset < buf.length) {
    if (offset + 12 > buf.length) throw new EngineError(`PNG truncated at byte ${offset}`, 'image-input');
    const length = buf.readUInt32BE(offset);
    const end = offset + 12 + length;
    if (end > buf.length) throw new EngineError(`PNG truncated at byte ${offset}`, 'image-input');
    const type = buf.toString('latin1', offset + 4, offset + 8);
    chunks.push({ type, bytes: buf.subarray(offset, end), data: buf.subarray(offset + 8, end - 4) });
    offset = end;
    if (type === 'IEND') break;
  }
  return chunks;
}

function textKeyword(data: Buffer): string {
  const nul = data.indexOf(0);
  return data.toString('latin1', 0, nul < 0 ? data.length : nul);
}

function decodeTextChunk({ type, data }: Chunk): [string, string] {
  const nul = data.indexOf(0);
  if (nul < 0) throw new EngineError(`PNG ${type} chunk has no keyword terminator`, 'image-input');
  const keyword = data.toString('latin1', 0, nul);
  if (type === 'tEXt') return [keyword, data.toString('latin1', nul + 1)];
  if (type === 'zTXt') return [keyword, inflateSync(data.subarray(nul + 2)).toString('latin1')];
  const compressed = data[nul + 1] === 1;
  const languageEnd = data.indexOf(0, nul + 3);
  const translatedEnd = languageEnd < 0 ? -1 : data.indexOf(0, languageEnd + 1);
  if (translatedEnd < 0) throw new EngineError(`PNG iTXt chunk "${keyword}" is malformed`, 'image-input');
  const body = data.subarray(translatedEnd + 1);
  return [keyword, (compressed ? inflateSync(body) : body).toString('utf8')];
}

function encodeTextChunk({ keyword, text, utf8 }: PngTextEntry): Buffer {
  checkKeyword(keyword);
  if (text.includes('\0')) throw new Error(`PNG text "${keyword}" must not contain a NUL character`);
  const key = Buffer.from(keyword, 'latin1');
  if (!utf8 && isLatin1(text)) {
    return chunk('tEXt', Buffer.concat([key, Buffer.from([0]), Buffer.from(text, 'latin1')]));
  }
  // Uncompressed, with empty language tag and translated keyword.
  return chunk('iTXt', Buffer.concat([key, Buffer.from([0, 0, 0, 0, 0]), Buffer.from(text, 'utf8')]));
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(data.length + 12);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** The PNG specification's keyword rules: 1–79 printable Latin-1 characters, single inner spaces. */
function checkKeyword(keyword: string): void {
  const valid =
    keyword.length >= 1 &&
    keyword.length <= 79 &&
    /^[\x20-\x7e\xa1-\xff]+$/.test(keyword) &&
    !/^ | $| {2}/.test(keyword);
  if (!valid) throw new Error(`invalid PNG text keyword ${JSON.stringify(keyword)}`);
}

function isLatin1(text: string): boolean {
  return /^[\x00-\xff]*$/.test(text);
}
