// A NuGet v3 feed on loopback, shaped like api.nuget.org: the service index, the flat container
// (version list and .nupkg with Range), gzipped registration leaves and catalog entries with the
// SHA-512 package hash in base64. It serves the GPU package the tests build.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { buildZip } from './zipWriter';

export interface FeedRequest {
  path: string;
  range?: string;
}

/** The provider libraries the fake package holds, with small fake contents. */
export const LINUX_PROVIDER_FILES: Record<string, Buffer> = {
  'libonnxruntime_providers_cuda.so': Buffer.from('fake CUDA provider '.repeat(5000)),
  'libonnxruntime_providers_shared.so': Buffer.from('fake shared provider bridge'),
  'libonnxruntime_providers_tensorrt.so': Buffer.from('fake TensorRT provider '.repeat(100)),
};

/** A Microsoft.ML.OnnxRuntime.Gpu.Linux-shaped package: the provider libraries among files that must stay in it. */
export function buildGpuPackage(providers: Record<string, Buffer> = LINUX_PROVIDER_FILES, options: { zip64?: boolean } = {}): Buffer {
  return buildZip(
    [
      { name: '_rels/.rels', data: Buffer.from('<Relationships/>') },
      { name: 'Microsoft.ML.OnnxRuntime.Gpu.Linux.nuspec', data: Buffer.from('<package/>') },
      { name: 'runtimes/linux-x64/native/libonnxruntime.so', data: Buffer.from('a core library that must not be extracted') },
      ...Object.entries(providers).map(([name, data], index) => ({ name: `runtimes/linux-x64/native/${name}`, data, stored: index === 1 })),
      { name: 'buildTransitive/net8.0/Microsoft.ML.OnnxRuntime.Gpu.Linux.targets', data: Buffer.from('<Project/>') },
      { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
    ],
    options,
  );
}

export function sha512Base64(data: Buffer): string {
  return createHash('sha512').update(data).digest('base64');
}

interface Published {
  nupkg: Buffer;
  /** The hash the catalog publishes; the real one unless a test lies. */
  hash: string;
}

export class FakeNuget {
  readonly requests: FeedRequest[] = [];
  /** Bytes of the next .nupkg response sent before the connection is dropped, once. */
  dropNupkgAfter: number | undefined;
  private readonly packages = new Map<string, Map<string, Published>>();
  private server!: Server;

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get index(): string {
    return `${this.origin}/v3/index.json`;
  }

  /** Publishes (or replaces) one version; `hash` overrides the published SHA-512. */
  publish(id: string, version: string, nupkg: Buffer, hash = sha512Base64(nupkg)): void {
    const versions = this.packages.get(id.toLowerCase()) ?? new Map<string, Published>();
    versions.set(version.toLowerCase(), { nupkg, hash });
    this.packages.set(id.toLowerCase(), versions);
  }

  clear(): void {
    this.packages.clear();
    this.requests.length = 0;
    this.dropNupkgAfter = undefined;
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const path = new URL(request.url ?? '/', this.origin).pathname;
    this.requests.push({ path, ...(request.headers.range ? { range: request.headers.range } : {}) });
    let match: RegExpExecArray | null;
    if (path === '/v3/index.json') {
      this.json(response, {
        version: '3.0.0',
        resources: [
          { '@id': `${this.origin}/query`, '@type': 'SearchQueryService/3.5.0' },
          { '@id': `${this.origin}/v3/registration5-semver1/`, '@type': 'RegistrationsBaseUrl' },
          { '@id': `${this.origin}/v3/registration5-gz-semver2/`, '@type': 'RegistrationsBaseUrl/3.6.0' },
          { '@id': `${this.origin}/v3-flatcontainer/`, '@type': 'PackageBaseAddress/3.0.0' },
        ],
      });
    } else if ((match = /^\/v3-flatcontainer\/([^/]+)\/index\.json$/.exec(path))) {
      const versions = this.packages.get(match[1]!);
      if (!versions) this.notFound(response);
      else this.json(response, { versions: [...versions.keys()] });
    } else if ((match = /^\/v3-flatcontainer\/([^/]+)\/([^/]+)\/([^/]+)\.nupkg$/.exec(path))) {
      const published = this.packages.get(match[1]!)?.get(match[2]!);
      if (!published || match[3] !== `${match[1]}.${match[2]}`) this.notFound(response);
      else this.nupkg(request, response, published.nupkg);
    } else if ((match = /^\/v3\/registration5-gz-semver2\/([^/]+)\/([^/]+)\.json$/.exec(path))) {
      if (!this.packages.get(match[1]!)?.has(match[2]!)) return this.notFound(response);
      this.json(
        response,
        {
          '@id': `${this.origin}${path}`,
          '@type': ['Package', 'http://schema.nuget.org/catalog#Permalink'],
          catalogEntry: `${this.origin}/v3/catalog0/data/2025.11.20.00.00.00/${match[1]}.${match[2]}.json`,
          listed: true,
          packageContent: `${this.origin}/v3-flatcontainer/${match[1]}/${match[2]}/${match[1]}.${match[2]}.nupkg`,
          published: '2025-11-20T00:00:00+00:00',
          registration: `${this.origin}/v3/registration5-gz-semver2/${match[1]}/index.json`,
        },
        true,
      );
    } else if ((match = /^\/v3\/catalog0\/data\/[^/]+\/([^/]+)\.json$/.exec(path))) {
      const [id, ...rest] = match[1]!.split(/\.(?=\d)/);
      const version = rest.join('.');
      const published = this.packages.get(id!)?.get(version);
      if (!published) return this.notFound(response);
      this.json(response, {
        '@type': ['PackageDetails', 'catalog:Permalink'],
        id,
        version,
        packageHash: published.hash,
        packageHashAlgorithm: 'SHA512',
        packageSize: published.nupkg.length,
      });
    } else {
      this.notFound(response);
    }
  }

  private nupkg(request: IncomingMessage, response: ServerResponse, body: Buffer): void {
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    if (start >= body.length && range) {
      response.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    const slice = body.subarray(start);
    response.writeHead(range ? 206 : 200, {
      'content-type': 'application/octet-stream',
      'content-length': String(slice.length),
      'accept-ranges': 'bytes',
      ...(range ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    const drop = this.dropNupkgAfter;
    if (drop !== undefined && drop < slice.length) {
      this.dropNupkgAfter = undefined;
      response.write(slice.subarray(0, drop), () => setTimeout(() => response.socket?.destroy(), 20));
      return;
    }
    response.end(slice);
  }

  private json(response: ServerResponse, value: unknown, gzip = false): void {
    const body = Buffer.from(JSON.stringify(value));
    response.writeHead(200, { 'content-type': 'application/json', ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
    response.end(gzip ? gzipSync(body) : body);
  }

  private notFound(response: ServerResponse): void {
    response.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>BlobNotFound</Code></Error>');
  }
}
