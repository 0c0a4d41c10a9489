import { EngineError } from '../errors';
import { causeText, NetworkError } from '../models/download/hubRequest';

export const DEFAULT_NUGET_INDEX = 'https://api.nuget.org/v3/index.json';

/** A package version on the feed: where its .nupkg is and the hash the feed published for it. */
export interface NugetPackage {
  id: string;
  version: string;
  url: string;
  /** SHA-512 of the .nupkg, base64, as the catalog publishes it. */
  sha512: string;
  /** Bytes, when the catalog says. */
  size: number | undefined;
}

/** The feed's service index; SDXL_ASSETS_NUGET_INDEX names another feed (a mirror, or a test server). */
export function nugetIndexUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.SDXL_ASSETS_NUGET_INDEX || DEFAULT_NUGET_INDEX;
}

interface ServiceIndex {
  resources?: Array<{ '@id'?: unknown; '@type'?: unknown }>;
}

// Newest first: 3.6.0 also lists SemVer 2.0.0 versions; every hive serves the same leaves.
const REGISTRATION_TYPES = ['RegistrationsBaseUrl/3.6.0', 'RegistrationsBaseUrl/3.4.0', 'RegistrationsBaseUrl'];

/**
 * Finds one exact version through the NuGet v3 API: the flat container (PackageBaseAddress)
 * for the version list and the .nupkg, the registration leaf for the catalog entry that holds
 * the package hash.
 */
export async function resolveNugetPackage(id: string, version: string, index: string, signal?: AbortSignal): Promise<NugetPackage> {
  const services = await getJson<ServiceIndex>(index, 'the NuGet service index', signal);
  const packageBase = resourceUrl(services, ['PackageBaseAddress/3.0.0'], index);
  const registrationBase = resourceUrl(services, REGISTRATION_TYPES, index);
  const lowerId = id.toLowerCase();
  const lowerVersion = version.toLowerCase();

  const listing = await getJson<{ versions?: unknown }>(`${packageBase}${lowerId}/index.json`, `the versions of ${id}`, signal, true);
  const versions = Array.isArray(listing?.versions) ? listing.versions.filter((v): v is string => typeof v === 'string') : [];
  if (!versions.includes(lowerVersion)) {
    const has = versions.length > 0 ? `it has ${versions.slice(-3).join(', ')}${versions.length > 3 ? ', …' : ''}` : `it has no version of ${id}`;
    throw new EngineError(
      `${id} ${version} (the CUDA provider for onnxruntime-node ${version}) is not on ${index}; ${has}.`,
      'download',
    );
  }

  const leaf = await getJson<{ catalogEntry?: unknown }>(`${registrationBase}${lowerId}/${lowerVersion}.json`, `the registration of ${id} ${version}`, signal);
  const catalogUrl = typeof leaf?.catalogEntry === 'string' ? leaf.catalogEntry : (leaf?.catalogEntry as { '@id'?: unknown } | undefined)?.['@id'];
  if (typeof catalogUrl !== 'string') throw new EngineError(`The registration of ${id} ${version} on ${index} names no catalog entry.`, 'download');
  const entry = await getJson<{ packageHash?: unknown; packageHashAlgorithm?: unknown; packageSize?: unknown }>(
    catalogUrl,
    `the catalog entry of ${id} ${version}`,
    signal,
  );
  if (typeof entry?.packageHash !== 'string' || String(entry.packageHashAlgorithm).toUpperCase() !== 'SHA512') {
    throw new EngineError(`The catalog entry of ${id} ${version} on ${index} has no SHA-512 package hash to check the download against.`, 'download');
  }
  return {
    id,
    version,
    url: `${packageBase}${lowerId}/${lowerVersion}/${lowerId}.${lowerVersion}.nupkg`,
    sha512: entry.packageHash,
    size: typeof entry.packageSize === 'number' ? entry.packageSize : undefined,
  };
}

function resourceUrl(services: ServiceIndex | undefined, types: string[], index: string): string {
  for (const type of types) {
    const found = services?.resources?.find((resource) => resource['@type'] === type)?.['@id'];
    if (typeof found === 'string') return found.endsWith('/') ? found : `${found}/`;
  }
  throw new EngineError(`${index} is not a NuGet v3 feed with a ${types[0]} resource.`, 'download');
}

/** The parsed body; with `missingOk`, undefined for a 404 (a package the feed has never had). */
async function getJson<T>(url: string, what: string, signal: AbortSignal | undefined, missingOk = false): Promise<T | undefined> {
  let response: Response;
  try {
    response = await fetch(url, { signal: signal ?? null, headers: { accept: 'application/json' } });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new NetworkError(`Cannot reach ${new URL(url).host} for ${what}: ${causeText(error)}`);
  }
  if (response.status === 404 && missingOk) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new EngineError(`${url} answered HTTP ${response.status} for ${what}.`, 'download');
  }
  try {
    return (await response.json()) as T;
  } catch {
    throw new EngineError(`${url} did not answer JSON for ${what}.`, 'download');
  }
}
