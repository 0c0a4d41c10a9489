import { extname } from 'node:path';

/** The picture formats the engine reads as input and writes as output. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.png', '.webp', '.jpg', '.jpeg']);

export function isImagePath(path: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(path).toLowerCase());
}
