import { chmod, copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Copies a file or folder tree. Copies are left writable by their owner: a model folder from a
 * read-only store (a mounted share, the Hugging Face cache) must not make the output impossible
 * to update or delete.
 */
export async function copyTree(source: string, target: string, skip: ReadonlySet<string> = new Set()): Promise<void> {
  const info = await stat(source);
  if (!info.isDirectory()) {
    await copyFile(source, target);
    await chmod(target, info.mode | 0o200);
    return;
  }
  await mkdir(target, { recursive: true });
  for (const entry of await readdir(source)) {
    if (!skip.has(entry)) await copyTree(join(source, entry), join(target, entry));
  }
}
