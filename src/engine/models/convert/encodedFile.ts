// Writing encoded protobuf to disk: the float16 conversion's model.onnx and the seamless cache's rewritten graphs.
import { type FileHandle, open } from 'node:fs/promises';
import type { Encoded } from './protoWire';

/** A positioned write that goes on until every byte is written (one write may take fewer). */
export async function writeAll(file: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await file.write(data, written, data.length - written, position + written);
    written += bytesWritten;
  }
}

/** Writes the pieces of an encoded message, gathering small ones so the file is written in large blocks. */
export async function writeEncoded(path: string, encoded: Encoded): Promise<void> {
  const file = await open(path, 'w');
  try {
    const block = new Uint8Array(4 * 1024 * 1024);
    let filled = 0;
    let position = 0;
    const flush = async () => {
      await writeAll(file, block.subarray(0, filled), position);
      position += filled;
      filled = 0;
    };
    for (const part of encoded.parts) {
      if (part.length > block.length / 2) {
        await flush();
        await writeAll(file, part, position);
        position += part.length;
        continue;
      }
      if (filled + part.length > block.length) await flush();
      block.set(part, filled);
      filled += part.length;
    }
    await flush();
    await file.sync();
  } finally {
    await file.close();
  }
}
