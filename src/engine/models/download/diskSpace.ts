import { statfs } from 'node:fs/promises';
import { EngineError } from '../../errors';
import { formatBytes } from './downloadProgress';

/** Room for the ONNX files' own metadata and the download record; the files' sizes are exact. */
const MARGIN_BYTES = 64 * 1024 * 1024;

/** Refuses to start a download that cannot fit, instead of failing hours in with a full disk. */
export async function checkFreeSpace(dir: string, neededBytes: number): Promise<void> {
  if (neededBytes <= 0) return;
  const stats = await statfs(dir);
  const free = stats.bavail * stats.bsize;
  if (free < neededBytes + MARGIN_BYTES) {
    throw new EngineError(
      `Not enough free disk space in ${dir}: the download needs ${formatBytes(neededBytes)}, ${formatBytes(free)} is free. Free some space or choose another models directory.`,
      'download',
    );
  }
}
