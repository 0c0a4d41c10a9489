import { readFileSync } from 'node:fs';

export interface NpyArray {
  shape: number[];
  data: Float32Array;
}

/** Reads a little-endian float32 NumPy v1 file, copying the data so alignment does not matter. */
export function readNpy(path: string): NpyArray {
  const buf = readFileSync(path);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${path}: not a .npy file`);
  const headerLength = buf.readUInt16LE(8);
  const header = buf.toString('latin1', 10, 10 + headerLength);
  if (!header.includes("'descr': '<f4'")) throw new Error(`${path}: expected little-endian float32`);
  if (header.includes("'fortran_order': True")) throw new Error(`${path}: Fortran order is not supported`);
  const shapeMatch = /'shape': \(([^)]*)\)/.exec(header);
  if (!shapeMatch) throw new Error(`${path}: no shape in header`);
  const shape = shapeMatch[1]
    .split(',')
    .filter((s) => s.trim() !== '')
    .map(Number);
  const start = buf.byteOffset + 10 + headerLength;
  const data = new Float32Array(buf.buffer.slice(start, buf.byteOffset + buf.length));
  return { shape, data };
}
