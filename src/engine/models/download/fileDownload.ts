import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { dirname } from 'node:path';
import { EngineError } from '../../errors';
import { causeText, type HubConnection, hubGet, hubResponseError, NetworkError } from './hubRequest';
import type { RepoFile } from './repoListing';

export interface FileJob {
  repo: string;
  file: RepoFile;
  url: string;
  dest: string;
}

export interface FileDownloadOptions {
  hub: HubConnection;
  signal: AbortSignal;
  /** New bytes on disk; negative when a server ignored Range and the file starts over. */
  onBytes: (delta: number) => void;
  /** Tries after a dropped connection or a 5xx, each resuming where the last stopped. */
  attempts: number;
  retryDelayMs: number;
}

export const PARTIAL_SUFFIX = '.partial';

/**
 * Fetches one file into `<dest>.partial`, resuming it with Range when it is there, and renames
 * it to `dest` only once its size and hash match the listing: a file under its final name is
 * always a verified one.
 */
export async function downloadFile(job: FileJob, options: FileDownloadOptions): Promise<void> {
  const partial = `${job.dest}${PARTIAL_SUFFIX}`;
  await mkdir(dirname(job.dest), { recursive: true });
  for (let attempt = 1; ; attempt++) {
    try {
      await fetchIntoPartial(job, partial, options);
      break;
    } catch (error) {
      if (options.signal.aborted || !(error instanceof NetworkError) || attempt >= options.attempts) throw error;
      await delay(options.retryDelayMs * 2 ** (attempt - 1), options.signal);
    }
  }
  await verify(job, partial);
  await rename(partial, job.dest);
}

async function fetchIntoPartial(job: FileJob, partial: string, options: FileDownloadOptions): Promise<void> {
  const { file } = job;
  let start = await sizeOf(partial);
  if (start > file.size) {
    await unlink(partial);
    options.onBytes(-start);
    start = 0;
  }
  if (start === file.size) return;
  const response = await hubGet(options.hub, job.url, {
    signal: options.signal,
    headers: start > 0 ? { range: `bytes=${start}-` } : {},
  });
  if (response.status === 206 && contentRangeStart(response, file.size) === start) {
    await appendBody(response, partial, 'a', file.size - start, job, options);
    return;
  }
  if (response.status === 200 || response.status === 206 || response.status === 416) {
    // The server ignored the Range or answered another one: start the file over.
    if (start > 0) options.onBytes(-start);
    if (response.status !== 200) {
      await response.body?.cancel();
      await unlink(partial).catch(() => undefined);
      throw new NetworkError(`${file.path}: the server did not resume at byte ${start}; starting the file over.`);
    }
    await appendBody(response, partial, 'w', file.size, job, options);
    return;
  }
  throw await hubResponseError(options.hub, response, job.repo, `${job.repo}/${file.path}`);
}

/** Content-Range "bytes START-END/TOTAL" of a 206, when it is for the whole rest of a file of `size` bytes. */
function contentRangeStart(response: Response, size: number): number | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
  if (!match) return undefined;
  const [, first, last, total] = match;
  if (Number(last) !== size - 1 || (total !== '*' && Number(total) !== size)) return undefined;
  return Number(first);
}

/**
 * Streams the body into the partial file, at most `room` bytes: a server that sends more than the
 * listing says is cut off at once, rather than filling the disk before the size check.
 */
async function appendBody(
  response: Response,
  partial: string,
  flags: 'a' | 'w',
  room: number,
  job: FileJob,
  options: FileDownloadOptions,
): Promise<void> {
  if (!response.body) throw new NetworkError(`${partial}: the response has no body.`);
  const reader = response.body.getReader();
  // fetch's own abort can leave a read pending when the body had fully arrived, so the read
  // races the signal instead of relying on it.
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(options.signal.reason);
    if (options.signal.aborted) onAbort();
    options.signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  const out = createWriteStream(partial, { flags });
  // Write failures surface through once() and finished() below; this keeps them from being unhandled.
  out.on('error', () => undefined);
  let received = 0;
  let oversized = false;
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), aborted]);
      if (done || out.errored) break;
      received += value.byteLength;
      if (received > room) {
        oversized = true;
        break;
      }
      if (!out.write(value)) await Promise.race([once(out, 'drain'), aborted]);
      options.onBytes(value.byteLength);
    }
  } catch (error) {
    if (options.signal.aborted || out.errored) throw out.errored ?? error;
    // The bytes that arrived stay in the .partial file for the next try to resume from.
    throw new NetworkError(`The connection dropped: ${causeText(error)}`);
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    reader.cancel().catch(() => undefined);
    // end() rather than destroy(): what is still queued reaches the disk, so the resume offset is exact.
    out.end();
    await finished(out);
  }
  if (oversized) {
    // Bytes past the listed size cannot be part of the file, so nothing of this copy can be trusted.
    options.onBytes(-(await sizeOf(partial)));
    await unlink(partial).catch(() => undefined);
    throw new EngineError(
      `${job.repo}/${job.file.path}: the server sent more than the ${job.file.size} bytes its listing gives; stopped and deleted the file. Run the download again, or report the mirror if it keeps happening.`,
      'download',
    );
  }
}

async function verify(job: FileJob, partial: string): Promise<void> {
  const { file } = job;
  const size = await sizeOf(partial);
  const fail = async (problem: string): Promise<never> => {
    // A wrong byte cannot be found again by resuming, so the next try starts clean.
    await unlink(partial).catch(() => undefined);
    throw new EngineError(`${job.repo}/${file.path}: ${problem}; the file was deleted, run the download again.`, 'download');
  };
  if (size !== file.size) await fail(`got ${size} bytes, expected ${file.size}`);
  const expected = file.sha256 ?? file.gitSha1;
  if (!expected) return;
  const hash: Hash = file.sha256 ? createHash('sha256') : createHash('sha1').update(`blob ${file.size}\0`);
  for await (const chunk of createReadStream(partial)) hash.update(chunk as Buffer);
  const actual = hash.digest('hex');
  if (actual !== expected) await fail(`checksum mismatch (${file.sha256 ? 'sha256' : 'git sha1'} ${actual}, expected ${expected})`);
}

/** Bytes on disk at `path`; 0 when there is no file yet. */
export async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Waits `ms` before a retry; rejects with the signal's reason when it aborts first. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
