import { stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../errors';
import type { DownloadProgress } from '../models/download/downloadProgress';
import { cudaPackage, ortBinDir, ortVersion, type CudaPackage } from './cudaPackage';
import { forgetCudaSupport } from './cudaSupport';
import { nugetIndexUrl, type NugetPackage, resolveNugetPackage } from './nugetFeed';
import { downloadPackage } from './packageDownload';
import { checkFreeSpace, checkWritable, fileSystemError, installProviderFiles, uninstallProviderFiles } from './providerFiles';

export interface CudaInstallOptions {
  /** Where SDXL_ASSETS_ORT_BIN_DIR and SDXL_ASSETS_NUGET_INDEX are read from. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Once the feed has answered: the package, and the bytes a previous try left to resume from. */
  onPackage?: (pkg: NugetPackage, resumeFrom: number) => void;
  onProgress?: (progress: DownloadProgress) => void;
  retryDelayMs?: number;
}

export interface CudaInstallResult {
  packageId: string;
  version: string;
  binDir: string;
  /** The provider libraries now in binDir. */
  files: string[];
}

/**
 * Does what onnxruntime-node's install script does for CUDA, which a packaged extension cannot
 * run: fetches the ONNX Runtime GPU package of exactly the installed version from NuGet,
 * checks it against the feed's SHA-512, and puts its provider libraries beside the ONNX
 * Runtime library. The package is downloaded next to them, so a failed or cancelled try
 * resumes, and deleted once they are in place.
 */
export async function installCudaProvider(options: CudaInstallOptions = {}): Promise<CudaInstallResult> {
  const env = options.env ?? process.env;
  const pkg = offeredPackage();
  const version = ortVersion();
  const binDir = ortBinDir(env);
  await checkWritable(binDir);
  const resolved = await whileNotCancelled(options.signal, () => resolveNugetPackage(pkg.id, version, nugetIndexUrl(env), options.signal));
  const partial = join(binDir, `.${pkg.id.toLowerCase()}.${version}.nupkg.partial`);
  const resumeFrom = await sizeOf(partial);
  options.onPackage?.(resolved, resumeFrom);
  if (resolved.size !== undefined) await checkFreeSpace(binDir, resolved.size - resumeFrom);
  try {
    await downloadPackage(resolved, partial, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    });
  } catch (error) {
    throw fileSystemError(error, binDir);
  }
  const files = await installProviderFiles(partial, pkg, binDir);
  await unlink(partial);
  forgetCudaSupport();
  return { packageId: pkg.id, version, binDir, files };
}

/** Removes the provider libraries the install put there, and a download it left; returns what was removed. */
export async function uninstallCudaProvider(env: NodeJS.ProcessEnv = process.env): Promise<{ binDir: string; removed: string[] }> {
  const pkg = offeredPackage();
  const binDir = ortBinDir(env);
  const removed = await uninstallProviderFiles(pkg, binDir);
  await unlink(join(binDir, `.${pkg.id.toLowerCase()}.${ortVersion()}.nupkg.partial`)).catch(() => undefined);
  forgetCudaSupport();
  return { binDir, removed };
}

function offeredPackage(): CudaPackage {
  const pkg = cudaPackage();
  if (!pkg) throw new EngineError(`ONNX Runtime has no CUDA build for ${process.platform}-${process.arch}; CUDA support is for x64 Linux and Windows.`, 'provider');
  return pkg;
}

async function whileNotCancelled<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (signal?.aborted) throw new EngineError('CUDA provider install cancelled.', 'cancelled');
    throw error;
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
