import { statfs } from 'node:fs/promises';
import { EngineError } from '../../errors';
import { formatBytes } from './downloadProgress';

/** Room for what the sizes leave out: the ONNX files' metadata, records, configs and tokenizers, file-system overhead. */
const MARGIN_BYTES = 64 * 1024 * 1024;

/** Refuses to start writing what cannot fit, instead of failing hours in with a full disk; `refuse` says so, given the free bytes. */
export async function ensureFreeSpace(dir: string, neededBytes: number, refuse: (freeBytes: number) => EngineError): Promise<void> {
  const stats = await statfs(dir);
  const free = stats.bavail * stats.bsize;
  if (free < neededBytes + MARGIN_BYTES) throw refuse(free);
}

/** A download's check: the files' sizes are exact, and one with nothing left to fetch needs no room. */
export async function checkFreeSpace(dir: string, neededBytes: number): Promise<void> {
  if (neededBytes <= 0) return;
  await ensureFreeSpace(
    dir,
    neededBytes,
    (free) =>
      new EngineError(
        `Not enough free disk space in ${dir}: the download needs ${formatBytes(neededBytes)}, ${formatBytes(free)} is free. Free some space or choose another models directory.`,
        'download',
      ),
  );
}
