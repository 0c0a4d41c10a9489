import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cudaPackage, ortBinDir } from './cudaPackage';
import { cudaSearchRoots, findCudaLibraries, type FoundLibrary, installHint } from './cudaLibraries';

/** Whether ONNX Runtime's CUDA provider can load here, and what it would load. */
export interface CudaSupport {
  /** ONNX Runtime has a CUDA build for this platform (x64 Linux and Windows). */
  offered: boolean;
  /** The provider libraries are in onnxruntime-node's binary folder. */
  providerInstalled: boolean;
  /** That folder. */
  binDir: string;
  /** Each library the provider needs that was found, and where. */
  libraries: FoundLibrary[];
  /** Folders to add to the library path (LD_LIBRARY_PATH, PATH on Windows) of a process that loads the provider. */
  libraryDirs: string[];
  /** One line per library not found, with where to get it. */
  missing: string[];
  /** Why CUDA cannot be used, in one line; undefined when it can. */
  reason?: string;
}

export interface CudaSupportOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  arch?: string;
  /** Search the machine's own places too (see cudaSearchRoots); tests turn it off. */
  system?: boolean;
  /** Look again instead of answering from this process's last look (after an install). */
  refresh?: boolean;
}

export const INSTALL_HINT = 'run `sdxl-assets gpu install cuda`, or SDXL Assets: Install CUDA Support… in VS Code';

let cached: CudaSupport | undefined;

/**
 * Checks the provider libraries and searches for the CUDA and cuDNN libraries they need.
 * The search runs ldconfig and python, so the answer for this process's own environment is
 * kept; `refresh` looks again.
 */
export function cudaSupport(options: CudaSupportOptions = {}): CudaSupport {
  const own = options.env === undefined && options.platform === undefined && options.arch === undefined && options.system === undefined;
  if (own && cached && !options.refresh) return cached;
  const support = lookForCuda(options);
  if (own) cached = support;
  return support;
}

function lookForCuda(options: CudaSupportOptions): CudaSupport {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const pkg = cudaPackage(platform, arch);
  const binDir = ortBinDir(env, platform, arch);
  if (!pkg) {
    return { offered: false, providerInstalled: false, binDir, libraries: [], libraryDirs: [], missing: [], reason: `ONNX Runtime has no CUDA build for ${platform}-${arch}.` };
  }
  const providerInstalled = cudaProviderInstalled(env, platform, arch);
  const search = findCudaLibraries(cudaSearchRoots({ env, platform, system: options.system ?? true }), platform);
  const missing = search.missing.map((library) => `${library.file} not found: ${installHint([library])}`);
  let reason: string | undefined;
  if (!providerInstalled) reason = `CUDA provider not installed: ${INSTALL_HINT}.`;
  else if (search.missing.length === 1) reason = `${missing[0]}.`;
  else if (search.missing.length > 1) {
    reason = `CUDA libraries not found (${search.missing.map((library) => library.file).join(', ')}): ${installHint(search.missing)}.`;
  }
  return {
    offered: true,
    providerInstalled,
    binDir,
    libraries: search.found,
    libraryDirs: search.libraryDirs,
    missing,
    ...(reason ? { reason } : {}),
  };
}

/** Whether the provider libraries are in onnxruntime-node's folder: two file checks, no search. */
export function cudaProviderInstalled(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): boolean {
  const pkg = cudaPackage(platform, arch);
  const binDir = ortBinDir(env, platform, arch);
  return pkg !== undefined && pkg.files.every((file) => file.optional || existsSync(join(binDir, file.name)));
}

/**
 * The environment for a child process that may load the CUDA provider: `env` with the
 * library folders put first on LD_LIBRARY_PATH (PATH on Windows). The dynamic loader reads
 * LD_LIBRARY_PATH once, at process start, so it must be set before the process begins.
 * Unchanged when the provider is not installed or needs no folder.
 */
export function withCudaLibraryPath(
  env: NodeJS.ProcessEnv,
  support?: CudaSupport,
  platform: NodeJS.Platform = process.platform,
): NodeJS.ProcessEnv {
  const result = { ...env };
  // Without the provider there is nothing to search for, and the search costs a python start.
  const found = support ?? (cudaProviderInstalled() ? cudaSupport() : undefined);
  if (!found?.providerInstalled || found.libraryDirs.length === 0) return result;
  const windows = platform === 'win32';
  // Windows keeps the name's case it was given (often "Path"); a second PATH key would be lost.
  const key = windows ? (Object.keys(result).find((name) => name.toUpperCase() === 'PATH') ?? 'PATH') : 'LD_LIBRARY_PATH';
  const delimiter = windows ? ';' : ':';
  const current = (result[key] ?? '').split(delimiter).filter((dir) => dir !== '');
  const added = found.libraryDirs.filter((dir) => !current.includes(dir));
  if (added.length > 0) result[key] = [...added, ...current].join(delimiter);
  return result;
}

/** After an install or uninstall, the next cudaSupport() looks again. */
export function forgetCudaSupport(): void {
  cached = undefined;
}
