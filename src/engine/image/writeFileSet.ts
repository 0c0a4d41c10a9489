import { randomBytes } from 'node:crypto';
import { mkdir, open, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { EngineError, throwIfAborted } from '../errors';
import { claim } from './writeImage';

/**
 * Writes several new files as one: every file's bytes go to a temporary file first, and only
 * when all are written and flushed are they linked to their names. A name that is taken undoes
 * the names already claimed, so the set lands whole or not at all, and nothing is overwritten.
 * A cancel before the linking leaves nothing behind.
 */
export async function writeFileSet(files: readonly { path: string; data: Uint8Array }[], signal?: AbortSignal): Promise<void> {
  const temps: string[] = [];
  const claimed: string[] = [];
  try {
    for (const { path, data } of files) {
      throwIfAborted(signal);
      await mkdir(dirname(path), { recursive: true });
      const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
      const handle = await open(temp, 'wx');
      temps.push(temp);
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    throwIfAborted(signal);
    for (const [i, { path }] of files.entries()) {
      if (!(await claim(temps[i], path))) {
        throw new EngineError(`${path} already exists and was not overwritten; choose another folder.`, 'EEXIST');
      }
      claimed.push(path);
    }
  } catch (error) {
    await Promise.all(claimed.map((path) => unlink(path).catch(() => undefined)));
    throw error;
  } finally {
    await Promise.all(temps.map((temp) => unlink(temp).catch(() => undefined)));
  }
}
