import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../../errors';
import type { CatalogEntry } from '../catalogSchema';
import { readMattingFolder } from '../mattingFolder';
import type { MattingEntry } from '../mattingCatalog';
import { COMPONENT_NAMES, readModelFolder } from '../modelFolder';
import { type DownloadRecord, readDownloadRecord, type VerifiedFile, writeDownloadRecord } from '../modelStore';
import { checkFreeSpace } from './diskSpace';
import { type DownloadProgress, ProgressTracker } from './downloadProgress';
import { downloadFile, type FileJob, PARTIAL_SUFFIX } from './fileDownload';
import type { HubConnection } from './hubRequest';
import { listRepoFiles, type RepoFile, resolveUrl } from './repoListing';

export interface ModelDownloadOptions {
  hub: HubConnection;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  /** Files fetched at once: a few streams fill most connections without flooding the Hub. */
  concurrency?: number;
  attempts?: number;
  retryDelayMs?: number;
}

export interface ModelDownloadResult {
  dir: string;
  filesFetched: number;
  /** Files that were verified already and stayed as they were. */
  filesKept: number;
}

/** A diffusion model's folder or a matting model's files: fetched alike, checked by their own reader. */
export type DownloadEntry = CatalogEntry | MattingEntry;

const ONNX_COMPONENTS = new Set<string>(COMPONENT_NAMES);

/**
 * Brings `dir` to the catalog entry's files at its pinned revision: lists the repository,
 * keeps files already verified, checks the free space for the rest, and fetches them a few at
 * a time. Cancelling, or one file failing, stops the others; finished files stay, and the
 * .partial files are resumed by the next call.
 */
export async function downloadModel(entry: DownloadEntry, dir: string, options: ModelDownloadOptions): Promise<ModelDownloadResult> {
  const signal = options.signal ?? new AbortController().signal;
  let listing: RepoFile[];
  try {
    listing = await listRepoFiles(options.hub, entry.repo, entry.revision, signal);
  } catch (error) {
    throw signal.aborted ? cancelledError(entry, 0) : error;
  }
  const selected = selectFiles(entry, listing);
  await mkdir(dir, { recursive: true });

  const previous = readDownloadRecord(dir);
  const record: DownloadRecord = {
    id: entry.id,
    repo: entry.repo,
    revision: entry.revision,
    complete: false,
    files: previous?.id === entry.id ? previous.files : {},
  };
  const kept = selected.filter(({ file, local }) => isVerified(join(dir, local), file, record.files[local]));
  const todo = selected.filter((item) => !kept.includes(item)).sort((a, b) => b.file.size - a.file.size);
  const partialBytes = todo.reduce((sum, { local }) => sum + sizeIfFile(join(dir, local) + PARTIAL_SUFFIX), 0);
  const total = selected.reduce((sum, { file }) => sum + file.size, 0);
  const keptBytes = kept.reduce((sum, { file }) => sum + file.size, 0);
  await checkFreeSpace(dir, total - keptBytes - partialBytes);
  writeDownloadRecord(dir, record);

  const tracker = new ProgressTracker(total, selected.length, keptBytes + partialBytes, kept.length, (p) => options.onProgress?.(p));
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let failure: unknown;
  const queue = [...todo];
  const worker = async () => {
    for (let item = queue.shift(); item && !stop.signal.aborted; item = queue.shift()) {
      const job: FileJob = { repo: entry.repo, file: item.file, url: resolveUrl(options.hub, entry.repo, entry.revision, item.file.path), dest: join(dir, item.local) };
      try {
        await downloadFile(job, {
          hub: options.hub,
          signal: stop.signal,
          onBytes: (delta) => tracker.bytes(delta),
          attempts: options.attempts ?? 5,
          retryDelayMs: options.retryDelayMs ?? 1000,
        });
        record.files[item.local] = verifiedFile(item.file);
        writeDownloadRecord(dir, record);
        tracker.fileDone();
      } catch (error) {
        failure ??= error;
        stop.abort(error);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, todo.length) }, worker));
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (signal.aborted) throw cancelledError(entry, Object.keys(record.files).length);
  if (failure !== undefined) throw failure;

  try {
    if ('kind' in entry && entry.kind === 'matting') readMattingFolder(dir);
    else readModelFolder(dir);
  } catch (error) {
    throw new EngineError(`${entry.repo} at ${entry.revision} downloaded, but the engine cannot load it: ${(error as Error).message}`, 'download');
  }
  record.complete = true;
  writeDownloadRecord(dir, record);
  options.onProgress?.(tracker.snapshot());
  return { dir, filesFetched: todo.length, filesKept: kept.length };
}

interface SelectedFile {
  file: RepoFile;
  /** Path inside the model folder: the repository path without the entry's prefix. */
  local: string;
}

/** The entry's single files and whole sub-folders under its prefix, minus the excluded names. */
export function selectFiles(entry: DownloadEntry, listing: readonly RepoFile[]): SelectedFile[] {
  const prefix = entry.pathPrefix ? `${entry.pathPrefix}/` : '';
  const excluded = entry.exclude.map(globToRegExp);
  const selected: SelectedFile[] = [];
  for (const file of listing) {
    if (!file.path.startsWith(prefix)) continue;
    const local = file.path.slice(prefix.length);
    const name = local.slice(local.lastIndexOf('/') + 1);
    const wanted = entry.files.includes(local) || entry.subfolders.some((folder) => local.startsWith(`${folder}/`));
    if (wanted && !excluded.some((pattern) => pattern.test(name))) selected.push({ file, local });
  }
  const missing = requiredFiles(entry).filter((path) => !selected.some((s) => s.local === path));
  if (missing.length > 0) {
    const where = `${entry.repo} at revision ${entry.revision}${prefix ? ` under ${prefix}` : ''}`;
    throw new EngineError(
      `${where} has no ${missing.join(', ')}: it is not in the ONNX layout the catalog entry "${entry.id}" expects.`,
      'download',
    );
  }
  return selected;
}

/** What the engine reads from each listed sub-folder, so that a wrong layout fails before gigabytes move. */
function requiredFiles(entry: DownloadEntry): string[] {
  return [
    ...entry.files,
    ...entry.subfolders.flatMap((folder) => {
      if (ONNX_COMPONENTS.has(folder)) return [`${folder}/model.onnx`];
      if (folder.startsWith('tokenizer')) return [`${folder}/vocab.json`, `${folder}/merges.txt`];
      if (folder === 'scheduler') return ['scheduler/scheduler_config.json'];
      return [];
    }),
  ];
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

function verifiedFile(file: RepoFile): VerifiedFile {
  return { size: file.size, ...(file.sha256 ? { sha256: file.sha256 } : {}), ...(file.gitSha1 ? { gitSha1: file.gitSha1 } : {}) };
}

/** Verified before, and still the size it was: rehashing gigabytes on every start is not worth it. */
function isVerified(path: string, file: RepoFile, known: VerifiedFile | undefined): boolean {
  if (!known || known.size !== file.size || known.sha256 !== file.sha256 || known.gitSha1 !== file.gitSha1) return false;
  return existsSync(path) && sizeIfFile(path) === file.size;
}

function sizeIfFile(path: string): number {
  try {
    const stats = statSync(path);
    return stats.isFile() ? stats.size : 0;
  } catch {
    return 0;
  }
}

function cancelledError(entry: DownloadEntry, finishedFiles: number): EngineError {
  return new EngineError(
    `Download of ${entry.displayName} cancelled; ${finishedFiles} finished file${finishedFiles === 1 ? ' is' : 's are'} kept and the next download resumes the rest.`,
    'cancelled',
  );
}
