// Just enough of EXIF (a TIFF structure) to read UserComment, where AUTOMATIC1111 keeps its
// parameters text in JPEG and WebP files.

const EXIF_IFD_POINTER = 0x8769;
const USER_COMMENT = 0x9286;

/**
 * UserComment from an EXIF block as sharp's metadata() returns it (with or without the
 * "Exif\0\0" header); null when absent or when the structure is broken.
 */
export function readExifUserComment(exif: Uint8Array): string | null {
  let tiff = Buffer.from(exif.buffer, exif.byteOffset, exif.byteLength);
  if (tiff.toString('latin1', 0, 6) === 'Exif\0\0') tiff = tiff.subarray(6);
  if (tiff.length < 8) return null;
  const order = tiff.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return null;
  const little = order === 'II';
  const u16 = (at: number) => (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  if (u16(2) !== 42) return null;

  /** Offset of the 12-byte entry for `tag` in the IFD at `ifd`, or -1. */
  const findEntry = (ifd: number, tag: number): number => {
    if (ifd + 2 > tiff.length) return -1;
    const count = u16(ifd);
    for (let i = 0; i < count; i++) {
      const entry = ifd + 2 + i * 12;
      if (entry + 12 > tiff.length) return -1;
      if (u16(entry) === tag) return entry;
    }
    return -1;
  };

  const pointer = findEntry(u32(4), EXIF_IFD_POINTER);
  if (pointer < 0) return null;
  const comment = findEntry(u32(pointer + 8), USER_COMMENT);
  if (comment < 0) return null;
  const length = u32(comment + 4);
  const start = length <= 4 ? comment + 8 : u32(comment + 8);
  if (length < 8 || start + length > tiff.length) return null;
  return decodeUserComment(tiff.subarray(start, start + length), little);
}

/** The EXIF character-code prefixes, as piexif.helper.UserComment reads them. */
function decodeUserComment(bytes: Buffer, little: boolean): string {
  const prefix = bytes.toString('latin1', 0, 8);
  const body = bytes.subarray(8);
  let text: string;
  if (prefix === 'ASCII\0\0\0') {
    text = body.toString('latin1');
  } else if (prefix === 'UNICODE\0') {
    // UCS-2 in the file's byte order; piexif (and so A1111) writes big-endian files.
    const swapped = Buffer.from(body.subarray(0, body.length - (body.length % 2)));
    if (!little) swapped.swap16();
    text = swapped.toString('utf16le');
  } else {
    text = (prefix === '\0'.repeat(8) ? body : bytes).toString('utf8');
  }
  return text.replace(/\0+$/, '');
}
