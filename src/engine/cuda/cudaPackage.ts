import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EngineError } from '../errors';

/** One provider library: its name in onnxruntime-node's binary folder and its path inside the NuGet package. */
export interface ProviderFile {
  name: string;
  pathInPackage: string;
  /** ONNX Runtime loads CUDA without it; installed when the package has it, as onnxruntime-node's own script does. */
  optional?: boolean;
}

/** The NuGet package that carries ONNX Runtime's CUDA provider for one platform, and what to take from it. */
export interface CudaPackage {
  id: string;
  files: ProviderFile[];
}

/**
 * The package onnxruntime-node's install script would fetch (script/install-metadata.js):
 * the same ONNX Runtime build, so its provider libraries match the core library we ship.
 * Only x64 Linux and Windows have CUDA builds.
 */
export function cudaPackage(platform: NodeJS.Platform = process.platform, arch: string = process.arch): CudaPackage | undefined {
  if (arch !== 'x64') return undefined;
  if (platform === 'linux') {
    const native = 'runtimes/linux-x64/native';
    return {
      id: 'Microsoft.ML.OnnxRuntime.Gpu.Linux',
      files: [
        { name: 'libonnxruntime_providers_shared.so', pathInPackage: `${native}/libonnxruntime_providers_shared.so` },
        { name: 'libonnxruntime_providers_cuda.so', pathInPackage: `${native}/libonnxruntime_providers_cuda.so` },
        { name: 'libonnxruntime_providers_tensorrt.so', pathInPackage: `${native}/libonnxruntime_providers_tensorrt.so`, optional: true },
      ],
    };
  }
  if (platform === 'win32') {
    const native = 'runtimes/win-x64/native';
    return {
      id: 'Microsoft.ML.OnnxRuntime.Gpu.Windows',
      files: [
        { name: 'onnxruntime_providers_shared.dll', pathInPackage: `${native}/onnxruntime_providers_shared.dll` },
        { name: 'onnxruntime_providers_cuda.dll', pathInPackage: `${native}/onnxruntime_providers_cuda.dll` },
        { name: 'onnxruntime_providers_tensorrt.dll', pathInPackage: `${native}/onnxruntime_providers_tensorrt.dll`, optional: true },
      ],
    };
  }
  return undefined;
}

/** The onnxruntime-node package folder, found the way the engine's require finds it. */
function ortPackageDir(): string {
  return resolve(dirname(require.resolve('onnxruntime-node')), '..');
}

/** The installed onnxruntime-node version: the provider libraries must come from exactly that ONNX Runtime release. */
export function ortVersion(): string {
  const manifest = JSON.parse(readFileSync(join(ortPackageDir(), 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof manifest.version !== 'string') throw new EngineError('onnxruntime-node/package.json has no version.', 'provider');
  return manifest.version;
}

/**
 * The folder onnxruntime-node loads its native libraries from, where ONNX Runtime looks for
 * provider libraries next to itself. SDXL_ASSETS_ORT_BIN_DIR points elsewhere, for tests.
 */
export function ortBinDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): string {
  if (env.SDXL_ASSETS_ORT_BIN_DIR) return resolve(env.SDXL_ASSETS_ORT_BIN_DIR);
  return join(ortPackageDir(), 'bin', 'napi-v6', platform, arch);
}
