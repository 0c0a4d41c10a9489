import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { EngineError } from '../errors';
import { type DownloadProgress, formatBytes, ProgressTracker } from '../models/download/downloadProgress';
import { delay, sizeOf } from '../models/download/fileDownload';
import { causeText, NetworkError } from '../models/download/hubRequest';

export interface PackageDownloadOptions {
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  /** Tries after a dropped connection, each resuming where the last stopped. */
  attempts?: number;
  retryDelayMs?: number;
}

export interface ExpectedPackage {
  url: string;
  /** SHA-512, base64, as NuGet publishes it. */
  sha512: string;
  size: number | undefined;
}

const DEFAULT_ATTEMPTS = 4;
const DEFAULT_RETRY_DELAY_MS = 1000;

/**
 * Fetches `url` into `partial`, resuming from the bytes already there with a Range request,
 * and returns once the whole file's SHA-512 matches: nothing is read out of an unchecked package.
 * A wrong hash deletes the file, since resuming cannot repair it; a cancel or a dropped
 * connection keeps it for the next try.
 */
export async function downloadPackage(expected: ExpectedPackage, partial: string, options: PackageDownloadOptions = {}): Promise<void> {
  const signal = options.signal ?? new AbortController().signal;
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  let tracker: ProgressTracker | undefined;
  const progress = (total: number | undefined, onDisk: number): ProgressTracker | undefined => {
    if (!options.onProgress || total === undefined) return undefined;
    tracker ??= new ProgressTracker(total, 1, onDisk, 0, options.onProgress);
    return tracker;
  };
  for (let attempt = 1; ; attempt++) {
    try {
      await fetchRest(expected, partial, signal, progress);
      break;
    } catch (error) {
      if (signal.aborted) throw cancelled(await sizeOf(partial));
      if (!(error instanceof NetworkError) || attempt >= attempts) throw error;
      await delay((options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS) * 2 ** (attempt - 1), signal).catch(async () => {
        throw cancelled(await sizeOf(partial));
      });
    }
  }
  await verify(expected, partial);
  tracker?.fileDone();
}

type ProgressFor = (total: number | undefined, onDisk: number) => ProgressTracker | undefined;

async function fetchRest(expected: ExpectedPackage, partial: string, signal: AbortSignal, progressFor: ProgressFor): Promise<void> {
  let start = await sizeOf(partial);
  if (expected.size !== undefined && start > expected.size) {
    await unlink(partial);
    start = 0;
  }
  if (expected.size !== undefined && start === expected.size) return;
  let response: Response;
  try {
    response = await fetch(expected.url, { signal, headers: start > 0 ? { range: `bytes=${start}-` } : {} });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new NetworkError(`Cannot reach ${new URL(expected.url).host}: ${causeText(error)}`);
  }
  const range = /^bytes (\d+)-\d+\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
  if (response.status === 206 && range && Number(range[1]) === start) {
    await appendBody(response, partial, 'a', signal, progressFor(Number(range[2]), start));
    return;
  }
  if (response.status === 416 && start > 0 && response.headers.get('content-range') === `bytes */${start}`) {
    // The file on disk is already the whole package; the hash decides whether it is the right one.
    await response.body?.cancel();
    return;
  }
  if (response.status === 200) {
    // Served whole: the server ignored the Range, so the file starts over.
    const length = Number(response.headers.get('content-length') ?? NaN);
    const tracker = progressFor(expected.size ?? (Number.isFinite(length) ? length : undefined), start);
    tracker?.bytes(-start);
    await appendBody(response, partial, 'w', signal, tracker);
    return;
  }
  await response.body?.cancel();
  if (response.status === 206 || response.status === 416) {
    await unlink(partial).catch(() => undefined);
    throw new NetworkError(`${expected.url}: the server did not resume at byte ${start}; starting over.`);
  }
  if (response.status >= 500 || response.status === 429) throw new NetworkError(`${expected.url} answered HTTP ${response.status}.`);
  throw new EngineError(`${expected.url} answered HTTP ${response.status}.`, 'download');
}

async function appendBody(response: Response, partial: string, flags: 'a' | 'w', signal: AbortSignal, tracker: ProgressTracker | undefined): Promise<void> {
  if (!response.body) throw new NetworkError(`${response.url}: the response has no body.`);
  const reader = response.body.getReader();
  // A read can stay pending after an abort when the body had fully arrived, so it races the signal.
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  const out = createWriteStream(partial, { flags });
  // Write failures (a full disk) surface through out.errored below; this keeps them from being unhandled.
  out.on('error', () => undefined);
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), aborted]);
      if (done || out.errored) break;
      if (!out.write(value)) await Promise.race([once(out, 'drain'), aborted]);
      tracker?.bytes(value.byteLength);
    }
  } catch (error) {
    if (signal.aborted || out.errored) throw out.errored ?? error;
    // The bytes that arrived stay in the partial file for the next try to resume from.
    throw new NetworkError(`The connection dropped: ${causeText(error)}`);
  } finally {
    signal.removeEventListener('abort', onAbort);
    reader.cancel().catch(() => undefined);
    // end() rather than destroy(): what is queued reaches the disk, so the resume offset is exact.
    out.end();
    await finished(out).catch(() => undefined);
  }
  if (out.errored) throw out.errored;
}

async function verify(expected: ExpectedPackage, partial: string): Promise<void> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(partial)) hash.update(chunk as Buffer);
  const actual = hash.digest('base64');
  if (actual !== expected.sha512) {
    await unlink(partial).catch(() => undefined);
    throw new EngineError(
      `${expected.url}: SHA-512 mismatch (expected ${expected.sha512}, got ${actual}); the download was deleted, run the install again.`,
      'download',
    );
  }
}

function cancelled(kept: number): EngineError {
  return new EngineError(`Download cancelled; the ${formatBytes(kept)} downloaded are kept and the next install resumes from there.`, 'cancelled');
}
