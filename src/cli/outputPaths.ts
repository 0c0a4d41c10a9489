import { existsSync, statSync } from 'node:fs';
import { extname, join, parse } from 'node:path';

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

/** The first of `name.ext`, `name-2.ext`, … that does not exist yet: outputs never overwrite. */
export function nextFreePath(folder: string, stem: string, extension: string, taken: ReadonlySet<string> = new Set()): string {
  for (let n = 1; ; n++) {
    const path = join(folder, `${n === 1 ? stem : `${stem}-${n}`}.${extension}`);
    if (!existsSync(path) && !taken.has(path)) return path;
  }
}

/** For `--out FILE` with several images: FILE, then FILE's stem with -2, -3, … */
export function numberedFile(file: string, index: number): string {
  if (index === 0) return file;
  const { dir, name, ext } = parse(file);
  return join(dir, `${name}-${index + 1}${ext}`);
}

export function extensionOf(format: ImageFormat): string {
  return format === 'jpeg' ? 'jpg' : format;
}
