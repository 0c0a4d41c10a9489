import { EngineError } from '../../errors';
import { isSafeRelativePath } from '../catalogSchema';
import { type HubConnection, hubGet, hubResponseError } from './hubRequest';

export interface RepoFile {
  /** Path inside the repository, with "/". */
  path: string;
  size: number;
  /** An LFS file's content hash (its `lfs.oid`). */
  sha256?: string;
  /** A plain git file's blob id, sha1 over "blob {size}\0" and the bytes. */
  gitSha1?: string;
}

/**
 * Every file of `repo` at `revision`, from the Hub's tree API. The listing comes in pages;
 * the Link header's rel="next" URL gives the next one.
 */
export async function listRepoFiles(hub: HubConnection, repo: string, revision: string, signal?: AbortSignal): Promise<RepoFile[]> {
  const files: RepoFile[] = [];
  let url: string | undefined = `${hub.endpoint}/api/models/${repo}/tree/${encodeURIComponent(revision)}?recursive=true`;
  const what = `The file list of ${repo} at revision ${revision}`;
  while (url) {
    const response = await hubGet(hub, url, { signal, headers: { accept: 'application/json' } });
    if (!response.ok) throw await hubResponseError(hub, response, repo, what);
    const page: unknown = await response.json().catch((error: Error) => {
      throw new EngineError(`${what} is not JSON: ${error.message}`, 'download');
    });
    if (!Array.isArray(page)) throw new EngineError(`${what} is not a list of files.`, 'download');
    for (const item of page) {
      const file = repoFile(item, what);
      if (file) files.push(file);
    }
    url = nextPage(response.headers.get('link'), url);
  }
  return files;
}

/** The URL that serves a file's bytes, redirecting to storage for LFS files. */
export function resolveUrl(hub: HubConnection, repo: string, revision: string, path: string): string {
  const encodedPath = path.split('/').map(encodeURIComponent).join('/');
  return `${hub.endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${encodedPath}`;
}

function repoFile(item: unknown, what: string): RepoFile | undefined {
  const entry = item as { type?: unknown; path?: unknown; size?: unknown; oid?: unknown; lfs?: { oid?: unknown; size?: unknown } | null };
  if (entry?.type !== 'file') return undefined;
  const path = entry.path;
  // The paths become file names on this machine: nothing may climb out of the model folder.
  if (typeof path !== 'string' || !isSafeRelativePath(path, false)) {
    throw new EngineError(`${what} holds an unusable path ${JSON.stringify(path)}.`, 'download');
  }
  const size = entry.lfs?.size ?? entry.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new EngineError(`${what} gives no size for ${path}.`, 'download');
  }
  const file: RepoFile = { path, size };
  const lfsOid = entry.lfs?.oid;
  if (typeof lfsOid === 'string' && /^[0-9a-f]{64}$/.test(lfsOid)) file.sha256 = lfsOid;
  else if (typeof entry.oid === 'string' && /^[0-9a-f]{40}$/.test(entry.oid)) file.gitSha1 = entry.oid;
  return file;
}

function nextPage(link: string | null, current: string): string | undefined {
  if (!link) return undefined;
  for (const [, url, params] of link.matchAll(/<([^>]*)>([^<]*)/g)) {
    if (/\brel="?next"?/.test(params!)) return new URL(url!, current).href;
  }
  return undefined;
}
