import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';

export const IMAGE_FORMATS = ['png', 'webp', 'jpeg'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

const EXTENSIONS: Record<string, ImageFormat> = { '.png': 'png', '.webp': 'webp', '.jpg': 'jpeg', '.jpeg': 'jpeg' };

/** `--out` names a folder when it exists as one, ends with a separator, or has no image extension. */
export function isFolderTarget(out: string): boolean {
  if (/[/\\]$/.test(out)) return true;
  if (existsSync(out)) return statSync(out).isDirectory();
  return !(extname(out).toLowerCase() in EXTENSIONS);
}

export function formatFromPath(path: string): ImageFormat | undefined {
  return EXTENSIONS[extname(path).toLowerCase()];
}

/** Whether two paths are one file (same device and inode), however each is spelled or linked. */
export function sameFile(a: string, b: string): boolean {
  try {
    const [x, y] = [statSync(a), statSync(b)];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

export function extensionOf(format: ImageFormat): string {
  return format === 'jpeg' ? 'jpg' : format;
}
