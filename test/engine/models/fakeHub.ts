// A local stand-in for the Hugging Face Hub: the tree API with Link pagination, resolve URLs
// that redirect LFS files to a storage host under another name (localhost vs 127.0.0.1), Range
// requests, gated repositories, and the faults a download must survive.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';
import type { CatalogEntry } from '../../../src/engine/models/catalog';

export interface HubRequest {
  server: 'hub' | 'storage';
  host: string;
  path: string;
  range?: string;
  authorization?: string;
}

interface RepoState {
  revision: string;
  files: Map<string, Buffer>;
  gatedToken?: string;
  /** Sizes the listing claims instead of the real ones (for the disk-space check). */
  claimedSizes: Map<string, number>;
}

export const REVISION = 'c0ffee0000000000000000000000000000000001';

/** A catalog entry for the tiny model the tests serve as test-org/tiny-sdxl. */
export function tinyEntry(overrides: Partial<CatalogEntry> = {}): CatalogEntry {
  return {
    id: 'tiny-sdxl',
    displayName: 'Tiny SDXL',
    description: 'A few hundred kilobytes of random weights.',
    family: 'sdxl',
    repo: 'test-org/tiny-sdxl',
    revision: REVISION,
    pathPrefix: '',
    files: ['model_index.json'],
    subfolders: ['scheduler', 'text_encoder', 'text_encoder_2', 'tokenizer', 'tokenizer_2', 'unet', 'vae_decoder', 'vae_encoder'],
    exclude: ['*.safetensors', '*.xml'],
    precision: 'fp32',
    sizeBytes: 500_000,
    speedClass: 'fast',
    licence: { name: 'Test licence', url: 'https://example.com/licence', nonCommercial: false },
    recommended: { width: 64, height: 64, steps: 2, guidance: 0, sampler: 'euler-a', timestepSpacing: 'trailing' },
    ...overrides,
  };
}

/** Files stored with LFS on the real Hub (weights), as opposed to plain git files (configs). */
const isLfs = (path: string) => /\.(onnx|onnx_data|safetensors|bin)$/.test(path);

export class FakeHub {
  readonly requests: HubRequest[] = [];
  /** Tree entries per page; small, so listings span several pages. */
  pageSize = 4;
  /** path → bytes sent before the connection is dropped, once. */
  readonly dropOnce = new Map<string, number>();
  /** path → bytes sent before the response stalls until the client gives up. */
  readonly stall = new Map<string, number>();
  /** Paths served with one byte flipped. */
  readonly corrupt = new Set<string>();
  /** Paths whose signed storage link is refused once, as an expired one is. */
  readonly expireOnce = new Set<string>();
  /** Paths served without a length and followed by junk that only ends when the client hangs up (or at 256 MiB). */
  readonly overflow = new Set<string>();
  /** Bytes of junk sent past the end of an overflowing file. */
  overflowSent = 0;
  /** Paths whose storage ignores Range and sends the whole file with 200. */
  readonly ignoreRange = new Set<string>();
  private readonly repos = new Map<string, RepoState>();
  private readonly blobs = new Map<string, Buffer>();
  private hub!: Server;
  private storage!: Server;
  private readonly stalled: Array<() => void> = [];

  get endpoint(): string {
    return `http://127.0.0.1:${(this.hub.address() as AddressInfo).port}`;
  }

  get storageOrigin(): string {
    return `http://localhost:${(this.storage.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    this.hub = createServer((req, res) => this.handleHub(req, res));
    this.storage = createServer((req, res) => this.handleStorage(req, res));
    await new Promise<void>((resolve) => this.hub.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => this.storage.listen(0, 'localhost', resolve));
  }

  async close(): Promise<void> {
    for (const release of this.stalled) release();
    this.hub.closeAllConnections();
    this.storage.closeAllConnections();
    await Promise.all([new Promise((r) => this.hub.close(r)), new Promise((r) => this.storage.close(r))]);
  }

  /** Serves every file under `dir` (a model folder) plus `extra` files as `repo` at `revision`. */
  addRepo(repo: string, revision: string, dir: string | undefined, options: { extra?: Record<string, Buffer | string>; gatedToken?: string } = {}): void {
    const files = new Map<string, Buffer>();
    if (dir) for (const path of walk(dir)) files.set(relative(dir, path).split(sep).join('/'), readFileSync(path));
    for (const [path, content] of Object.entries(options.extra ?? {})) files.set(path, Buffer.from(content));
    for (const content of files.values()) this.blobs.set(sha256(content), content);
    this.repos.set(repo, { revision, files, claimedSizes: new Map(), ...(options.gatedToken ? { gatedToken: options.gatedToken } : {}) });
  }

  claimSize(repo: string, path: string, size: number): void {
    this.repos.get(repo)!.claimedSizes.set(path, size);
  }

  requestsFor(path: string): HubRequest[] {
    return this.requests.filter((r) => r.path.endsWith(`/${path}`) || r.path === `/blobs/${this.blobNameOf(path)}`);
  }

  private blobNameOf(path: string): string | undefined {
    for (const repo of this.repos.values()) {
      const content = repo.files.get(path);
      if (content) return sha256(content);
    }
    return undefined;
  }

  private record(server: HubRequest['server'], req: IncomingMessage): void {
    this.requests.push({
      server,
      host: req.headers.host ?? '',
      path: req.url ?? '',
      ...(req.headers.range ? { range: req.headers.range } : {}),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
  }

  private handleHub(req: IncomingMessage, res: ServerResponse): void {
    this.record('hub', req);
    const url = new URL(req.url ?? '/', this.endpoint);
    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const repoName = tree?.[1] ?? resolve?.[1];
    const repo = repoName ? this.repos.get(repoName) : undefined;
    if (!repo) return error(res, 404, 'RepoNotFound', `Repository ${repoName} not found`);
    if (repo.gatedToken && req.headers.authorization !== `Bearer ${repo.gatedToken}`) {
      return error(res, req.headers.authorization ? 403 : 401, 'GatedRepo', `Access to model ${repoName} is restricted.`);
    }
    const revision = decodeURIComponent((tree ?? resolve)![2]!);
    if (revision !== repo.revision) return error(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
    if (tree) return this.listTree(repoName!, repo, url, res);
    const path = resolve![3]!.split('/').map(decodeURIComponent).join('/');
    const content = repo.files.get(path);
    if (!content) return error(res, 404, 'EntryNotFound', `${path} does not exist`);
    if (isLfs(path)) {
      res.writeHead(302, { location: `${this.storageOrigin}/blobs/${sha256(content)}` });
      res.end();
      return;
    }
    this.serve(path, content, req, res);
  }

  private listTree(repoName: string, repo: RepoState, url: URL, res: ServerResponse): void {
    const entries = [...repo.files].flatMap(([path, content]) => {
      const size = repo.claimedSizes.get(path) ?? content.length;
      const file = {
        type: 'file',
        oid: gitSha1(content),
        size,
        path,
        ...(isLfs(path) ? { lfs: { oid: sha256(content), size, pointerSize: 134 } } : {}),
      };
      const parent = path.includes('/') ? [{ type: 'directory', oid: '0'.repeat(40), size: 0, path: path.slice(0, path.lastIndexOf('/')) }] : [];
      return [...parent, file];
    });
    const cursor = Number(url.searchParams.get('cursor') ?? '0');
    const page = entries.slice(cursor, cursor + this.pageSize);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (cursor + this.pageSize < entries.length) {
      headers.link = `<${this.endpoint}/api/models/${repoName}/tree/${repo.revision}?recursive=true&cursor=${cursor + this.pageSize}>; rel="next"`;
    }
    res.writeHead(200, headers);
    res.end(JSON.stringify(page));
  }

  private handleStorage(req: IncomingMessage, res: ServerResponse): void {
    this.record('storage', req);
    const name = /^\/blobs\/([0-9a-f]{64})$/.exec(req.url ?? '')?.[1];
    const content = name ? this.blobs.get(name) : undefined;
    if (!content) return error(res, 404, 'EntryNotFound', 'no such blob');
    const path = this.pathOfBlob(name!);
    if (this.expireOnce.delete(path)) return error(res, 403, 'AccessDenied', 'Request has expired');
    this.serve(path, content, req, res);
  }

  private pathOfBlob(name: string): string {
    for (const repo of this.repos.values()) {
      for (const [path, content] of repo.files) if (sha256(content) === name) return path;
    }
    return '';
  }

  private serve(path: string, original: Buffer, req: IncomingMessage, res: ServerResponse): void {
    let content = original;
    if (this.corrupt.has(path)) {
      content = Buffer.from(original);
      content[content.length >> 1]! ^= 0xff;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range && !this.ignoreRange.has(path) ? Number(range[1]) : 0;
    if (start >= content.length && start > 0) {
      res.writeHead(416, { 'content-range': `bytes */${content.length}` });
      res.end();
      return;
    }
    const headers: Record<string, string | number> = { 'content-length': content.length - start, 'accept-ranges': 'bytes' };
    if (start > 0) headers['content-range'] = `bytes ${start}-${content.length - 1}/${content.length}`;
    const body = content.subarray(start);
    if (!this.overflow.has(path)) res.writeHead(start > 0 ? 206 : 200, headers);
    const drop = this.dropOnce.get(path);
    if (drop !== undefined) {
      this.dropOnce.delete(path);
      // Only what was flushed before the socket closes reaches the client.
      res.write(body.subarray(0, drop), () => setTimeout(() => res.socket?.destroy(), 30));
      return;
    }
    if (this.overflow.has(path)) {
      delete headers['content-length'];
      res.writeHead(start > 0 ? 206 : 200, headers);
      res.write(body);
      this.streamJunk(res);
      return;
    }
    const stall = this.stall.get(path);
    if (stall !== undefined) {
      this.stall.delete(path);
      res.write(body.subarray(0, stall));
      this.stalled.push(() => res.socket?.destroy());
      return;
    }
    res.end(body);
  }

  private streamJunk(res: ServerResponse): void {
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    const more = () => {
      if (res.destroyed || res.writableEnded) return;
      if (this.overflowSent >= 256 * 1024 * 1024) return void res.end();
      this.overflowSent += chunk.length;
      if (res.write(chunk)) setImmediate(more);
      else res.once('drain', more);
    };
    more();
  }
}

function error(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'x-error-code': code, 'x-error-message': message, 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: message }));
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

function gitSha1(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}
