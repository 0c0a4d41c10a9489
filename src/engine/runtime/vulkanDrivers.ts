// On Linux, onnxruntime-node's WebGPU provider is Dawn over Vulkan, and Dawn takes whatever
// device the Vulkan loader offers, a CPU rasteriser included. The loader finds its drivers
// through JSON manifests, so reading the same manifests tells, before any session exists,
// which drivers Dawn could get: a GPU's, or only a software one.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';

export interface VulkanDriver {
  /** The manifest the loader reads. */
  manifest: string;
  /** Its ICD.library_path, as written. */
  library: string;
  /** A short name for messages: "SwiftShader", "NVIDIA", "Mesa radeon"… */
  name: string;
  /**
   * software: renders on the CPU (SwiftShader, lavapipe/llvmpipe) or has no device at all (the
   * loader's mock ICD). hardware: a GPU driver whose kernel device exists on this machine.
   * absent: a GPU driver installed without its device (Mesa installs every vendor's driver).
   */
  kind: 'hardware' | 'software' | 'absent';
}

export interface VulkanEnvironment {
  env: NodeJS.ProcessEnv;
  /** Where the kernel's device nodes are; a parameter so tests can give a folder of their own. */
  devDir: string;
}

/** By library file name: these drivers are CPU implementations of Vulkan, or none at all. */
const SOFTWARE_DRIVERS: [RegExp, string][] = [
  [/swiftshader/i, 'SwiftShader'],
  [/vulkan_lvp|lavapipe|llvmpipe/i, 'lavapipe (llvmpipe)'],
  [/mock_icd/i, 'the Vulkan mock driver'],
];

/** A GPU driver talks to a kernel device; without it the driver enumerates no GPU. */
function gpuDeviceNames(library: string, devDir: string): { name: string; present: boolean } {
  const file = basename(library);
  const renderNodes = () => safeList(join(devDir, 'dri')).some((n) => n.startsWith('renderD'));
  if (/nvidia/i.test(file)) return { name: 'NVIDIA', present: existsSync(join(devDir, 'nvidiactl')) };
  // WSL's Dozen driver reaches the Windows GPU through /dev/dxg.
  if (/vulkan_dzn/i.test(file)) return { name: 'Dozen (WSL)', present: existsSync(join(devDir, 'dxg')) };
  const mesa = /libvulkan_(\w+)/.exec(file);
  if (mesa) return { name: `Mesa ${mesa[1]}`, present: renderNodes() };
  if (/amdvlk/i.test(file)) return { name: 'AMDVLK', present: renderNodes() };
  return { name: file, present: renderNodes() || existsSync(join(devDir, 'nvidiactl')) };
}

/**
 * The driver manifests the Vulkan loader would read, in its own search order
 * (KhronosGroup/Vulkan-Loader docs/LoaderDriverInterface.md, "Driver Discovery on Linux"):
 * VK_DRIVER_FILES (or the older VK_ICD_FILENAMES) replaces the search; VK_ADD_DRIVER_FILES adds to it.
 */
export function driverManifests(env: NodeJS.ProcessEnv): string[] {
  const override = env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES;
  const added = splitPaths(env.VK_ADD_DRIVER_FILES);
  const home = env.HOME || homedir();
  const searchDirs = override
    ? splitPaths(override)
    : [
        env.XDG_CONFIG_HOME || join(home, '.config'),
        ...splitPaths(env.XDG_CONFIG_DIRS || '/etc/xdg'),
        '/etc',
        env.XDG_DATA_HOME || join(home, '.local', 'share'),
        ...splitPaths(env.XDG_DATA_DIRS || '/usr/local/share:/usr/share'),
      ].map((dir) => join(dir, 'vulkan', 'icd.d'));
  const manifests: string[] = [];
  for (const entry of [...added, ...searchDirs]) {
    if (isDirectory(entry)) {
      for (const name of safeList(entry).sort()) if (name.endsWith('.json')) manifests.push(join(entry, name));
    } else if (existsSync(entry)) {
      manifests.push(entry);
    }
  }
  return [...new Set(manifests)];
}

/** Every driver the loader would load, each told apart as hardware, software or absent. */
export function vulkanDrivers({ env, devDir }: VulkanEnvironment): VulkanDriver[] {
  const drivers: VulkanDriver[] = [];
  for (const manifest of driverManifests(env)) {
    const library = readLibraryPath(manifest);
    if (library === undefined) continue;
    const software = SOFTWARE_DRIVERS.find(([pattern]) => pattern.test(basename(library)));
    if (software) {
      drivers.push({ manifest, library, name: software[1], kind: 'software' });
      continue;
    }
    const device = gpuDeviceNames(library, devDir);
    drivers.push({ manifest, library, name: device.name, kind: device.present ? 'hardware' : 'absent' });
  }
  return drivers;
}

/** Dawn opens the loader by this name; without it there is no Vulkan at all. */
export function vulkanLoaderInstalled(env: NodeJS.ProcessEnv): boolean {
  const dirs = [
    ...splitPaths(env.LD_LIBRARY_PATH),
    `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`,
    '/usr/lib64',
    '/usr/lib',
    '/lib64',
    '/lib',
    '/usr/local/lib',
  ];
  return dirs.some((dir) => existsSync(join(dir, 'libvulkan.so.1')));
}

function readLibraryPath(manifest: string): string | undefined {
  try {
    const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { ICD?: { library_path?: unknown } };
    const library = parsed.ICD?.library_path;
    return typeof library === 'string' && library.length > 0 ? library : undefined;
  } catch {
    // The loader skips a manifest it cannot read, and so does this.
    return undefined;
  }
}

function splitPaths(value: string | undefined): string[] {
  return (value ?? '').split(':').filter((part) => part.length > 0);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
