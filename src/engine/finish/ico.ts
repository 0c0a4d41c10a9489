/** One ICO entry: a square PNG and its side. */
export interface IcoEntry {
  size: number;
  png: Uint8Array;
}

const HEADER_BYTES = 6;
const ENTRY_BYTES = 16;

/**
 * A Windows ICO container holding PNG-compressed images (allowed since Windows Vista and read by
 * every browser): ICONDIR (reserved 0, type 1, count), one 16-byte ICONDIRENTRY per image
 * (width and height as a byte with 0 meaning 256, no colour table, 1 plane, 32 bits per pixel,
 * the data's length and offset), then the PNGs one after another. Little-endian throughout.
 */
export function buildIco(entries: readonly IcoEntry[]): Uint8Array {
  if (entries.length === 0 || entries.length > 0xffff) throw new Error(`an ICO holds 1 to 65535 images, got ${entries.length}`);
  const dataStart = HEADER_BYTES + ENTRY_BYTES * entries.length;
  const total = dataStart + entries.reduce((sum, entry) => sum + entry.png.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint16(0, 0, true);
  view.setUint16(2, 1, true);
  view.setUint16(4, entries.length, true);
  let offset = dataStart;
  entries.forEach(({ size, png }, i) => {
    if (!Number.isInteger(size) || size < 1 || size > 256) throw new Error(`an ICO image is 1 to 256 pixels wide, got ${size}`);
    const at = HEADER_BYTES + ENTRY_BYTES * i;
    view.setUint8(at, size & 0xff);
    view.setUint8(at + 1, size & 0xff);
    view.setUint8(at + 2, 0);
    view.setUint8(at + 3, 0);
    view.setUint16(at + 4, 1, true);
    view.setUint16(at + 6, 32, true);
    view.setUint32(at + 8, png.length, true);
    view.setUint32(at + 12, offset, true);
    out.set(png, offset);
    offset += png.length;
  });
  return out;
}
