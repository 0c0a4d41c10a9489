import { hostname } from 'node:os';
import { open, readFile, unlink } from 'node:fs/promises';

/** Releases a claim; safe to call twice. */
export type Release = () => Promise<void>;

/**
 * Claims `path` by creating it exclusively with this process's id inside, so that two builds
 * never make one file at once. A claim whose process is gone (killed, crashed) is taken over;
 * one whose process runs answers 'busy'. A claim made on another host is trusted as live,
 * since its process cannot be asked.
 */
export async function claimFile(path: string): Promise<Release | 'busy'> {
  const owner = `${process.pid}@${hostname()}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(owner);
      } finally {
        await handle.close();
      }
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await unlink(path).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readFile(path, 'utf8').catch(() => '');
    // An empty file is a claim being written this instant: busy, not abandoned.
    if (holder === '' || isLive(holder)) return 'busy';
    await unlink(path).catch(() => undefined);
  }
  return 'busy';
}

function isLive(owner: string): boolean {
  const match = /^(\d+)@(.*)$/.exec(owner);
  if (!match) return false;
  if (match[2] !== hostname()) return true;
  try {
    process.kill(Number(match[1]), 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits for a claim that others hold only briefly (the lock file's read-modify-write). */
export async function claimFileWaiting(path: string, signal?: AbortSignal, timeoutMs = 60_000): Promise<Release> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const claim = await claimFile(path);
    if (claim !== 'busy') return claim;
    if (signal?.aborted || Date.now() > deadline) {
      throw Object.assign(new Error(`${path} is held by another build; delete it if no build is running.`), { code: 'EEXIST' });
    }
    await new Promise((done) => setTimeout(done, 50));
  }
}
