import { constants } from 'node:fs';
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';

/**
 * Copies an image into `folder` under its own name, or `name-2`, `name-3`, … when that is
 * taken by another file: nothing is overwritten. A file there with the same bytes is the copy
 * made last time, and is used again rather than copied once more.
 */
export async function copyImageInto(folder: string, source: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  const extension = extname(source);
  const stem = basename(source, extension);
  for (let counter = 1; counter < 10_000; counter++) {
    const target = join(folder, `${stem}${counter > 1 ? `-${counter}` : ''}${extension}`);
    try {
      await copyFile(source, target, constants.COPYFILE_EXCL);
      return target;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await sameBytes(source, target)) return target;
    }
  }
  throw new Error(`No free file name for ${basename(source)} in ${folder}.`);
}

async function sameBytes(a: string, b: string): Promise<boolean> {
  const [sizeA, sizeB] = await Promise.all([stat(a), stat(b)]).then((s) => s.map((x) => x.size));
  if (sizeA !== sizeB) return false;
  const [bytesA, bytesB] = await Promise.all([readFile(a), readFile(b)]);
  return bytesA.equals(bytesB);
}
