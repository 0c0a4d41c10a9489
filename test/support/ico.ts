/** The entries of an ICO file read back by the header, as a browser would: side, planes, bits and the PNG bytes. */
export function readIco(file: Uint8Array): { size: number; planes: number; bitCount: number; png: Uint8Array }[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < 6 || view.getUint16(0, true) !== 0 || view.getUint16(2, true) !== 1) throw new Error('not an ICO file');
  return Array.from({ length: view.getUint16(4, true) }, (_, i) => {
    const at = 6 + 16 * i;
    const width = view.getUint8(at) || 256;
    const height = view.getUint8(at + 1) || 256;
    if (width !== height) throw new Error(`ICO entry ${i} is not square: ${width}x${height}`);
    const length = view.getUint32(at + 8, true);
    const offset = view.getUint32(at + 12, true);
    if (offset + length > file.length) throw new Error(`ICO entry ${i} runs past the end of the file`);
    return { size: width, planes: view.getUint16(at + 4, true), bitCount: view.getUint16(at + 6, true), png: file.subarray(offset, offset + length) };
  });
}

/** The distinct RGB colours of interleaved pixels with `channels` bytes each. */
export function distinctColors(data: Uint8Array, channels: number): Set<string> {
  const colors = new Set<string>();
  for (let i = 0; i < data.length; i += channels) colors.add(`#${[data[i], data[i + 1], data[i + 2]].map((c) => c.toString(16).padStart(2, '0')).join('')}`);
  return colors;
}
