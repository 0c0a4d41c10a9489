// Where an inpainting job's files go: the result next to the picture it edits, and the painted
// mask next to the result, so the recipe's mask path keeps working and the edit can be redone.
import { randomUUID } from 'node:crypto';
import { existsSync, linkSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import sharp from 'sharp';
import type { OutputFormat } from '../../protocol/generationLimits';
import { outputPathFor, type NameValues } from '../outputFiles';

/** Inpainting results say what they edited, whatever the template for new pictures. */
export const INPAINT_TEMPLATE = '${source}-inpaint-${seed}';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** `<dir>/<result stem>.mask.png`. */
export function maskPathFor(resultPath: string): string {
  return join(dirname(resultPath), `${basename(resultPath, extname(resultPath))}.mask.png`);
}

/**
 * The result's path next to `values.source`: a name that is free, not reserved by a queued job,
 * and whose mask name is free too, so neither file of the pair can land on an existing one.
 */
export function inpaintOutputPath(values: NameValues & { source: string }, format: OutputFormat, reserved: ReadonlySet<string>): string {
  const folder = dirname(values.source);
  const taken = new Set(reserved);
  for (;;) {
    const path = outputPathFor(folder, '.', INPAINT_TEMPLATE, values, format, taken);
    if (!existsSync(maskPathFor(path))) return path;
    taken.add(path);
  }
}

/**
 * The painted mask from the panel's message (base64 PNG), checked: it must be a PNG of the
 * picture's own size, since the engine lines it up with the picture pixel for pixel.
 */
export async function decodePaintedMask(base64: string, picture: { width: number; height: number }): Promise<Uint8Array> {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length < PNG_SIGNATURE.length || PNG_SIGNATURE.some((byte, i) => bytes[i] !== byte)) {
    throw new Error('The painted mask did not arrive as a PNG; paint it again.');
  }
  const { width, height } = await sharp(bytes).metadata();
  if (width !== picture.width || height !== picture.height) {
    throw new Error(
      `The painted mask is ${width} × ${height} but the picture is ${picture.width} × ${picture.height}: it changed on disk since it was opened. Run Inpaint… on it again.`,
    );
  }
  return bytes;
}

/**
 * Writes the mask at `path` whole or not at all, and never over an existing file: the bytes go
 * to a temporary name first, then a hard link claims the real name (which fails if it is taken).
 */
export function writeMaskFile(path: string, png: Uint8Array): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomUUID()}.partial`);
  writeFileSync(temp, png, { flag: 'wx' });
  try {
    linkSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
}
