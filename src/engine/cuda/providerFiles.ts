import { randomBytes } from 'node:crypto';
import { mkdir, rename, statfs, unlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { EngineError } from '../errors';
import { formatBytes } from '../models/download/downloadProgress';
import type { CudaPackage } from './cudaPackage';
import { extractZipEntry, readZipEntries, type ZipEntry } from './zipReader';

/**
 * Fails early, with the reason, when `dir` cannot take new files: before a download of
 * hundreds of megabytes, not after it.
 */
export async function checkWritable(dir: string): Promise<void> {
  const probe = join(dir, `.sdxl-assets-write-test-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, '');
  } catch (error) {
    throw fileSystemError(error, dir);
  } finally {
    await unlink(probe).catch(() => undefined);
  }
}

/** Refuses to start what cannot fit, instead of filling the disk. */
export async function checkFreeSpace(dir: string, neededBytes: number): Promise<void> {
  const stats = await statfs(dir);
  const free = stats.bavail * stats.bsize;
  if (free < neededBytes) {
    throw new EngineError(`Not enough free disk space in ${dir}: ${formatBytes(neededBytes)} needed, ${formatBytes(free)} free.`, 'provider');
  }
}

/**
 * Extracts the package's provider libraries into `binDir`: each one first to a temporary name
 * beside its target, and only when every one is complete are they renamed into place. A
 * failure removes the temporary files, so ONNX Runtime never finds a half-written library.
 * Returns the installed paths.
 */
export async function installProviderFiles(nupkg: string, pkg: CudaPackage, binDir: string): Promise<string[]> {
  const entries = new Map((await readZipEntries(nupkg)).map((entry) => [entry.name, entry]));
  const chosen: Array<{ name: string; entry: ZipEntry }> = [];
  for (const file of pkg.files) {
    const entry = entries.get(file.pathInPackage);
    if (entry) chosen.push({ name: file.name, entry });
    else if (!file.optional) throw new EngineError(`${basename(nupkg)} has no ${file.pathInPackage}.`, 'provider');
  }
  await checkFreeSpace(binDir, chosen.reduce((sum, { entry }) => sum + entry.size, 0));
  const suffix = `.${randomBytes(4).toString('hex')}.tmp`;
  const staged = chosen.map(({ name, entry }) => ({ entry, temporary: join(binDir, `.${name}${suffix}`), target: join(binDir, name) }));
  try {
    for (const { entry, temporary } of staged) await extractZipEntry(nupkg, entry, temporary);
    for (const { temporary, target } of staged) await rename(temporary, target);
  } catch (error) {
    await Promise.all(staged.map(({ temporary }) => unlink(temporary).catch(() => undefined)));
    throw fileSystemError(error, binDir);
  }
  return staged.map(({ target }) => target);
}

/** Removes exactly the package's provider libraries from `binDir`; returns the ones that were there. */
export async function uninstallProviderFiles(pkg: CudaPackage, binDir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const file of pkg.files) {
    const path = join(binDir, file.name);
    try {
      await unlink(path);
      removed.push(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fileSystemError(error, binDir);
    }
  }
  return removed;
}

/** One line for the errors a user can fix (permissions, a read-only or full disk); anything else unchanged. */
export function fileSystemError(error: unknown, dir: string): unknown {
  switch ((error as NodeJS.ErrnoException | null)?.code) {
    case 'EACCES':
    case 'EPERM':
      return new EngineError(`Cannot write to ${dir}: permission denied. Run the command as a user who may write there, or install SDXL Assets where you own the files.`, 'provider');
    case 'EROFS':
      return new EngineError(`Cannot write to ${dir}: it is on a read-only file system.`, 'provider');
    case 'ENOSPC':
      return new EngineError(`Cannot write to ${dir}: the disk is full. Free some space and run the install again.`, 'provider');
    default:
      return error;
  }
}
