// What `auto` means: the best real GPU whose provider can load here, the CPU last. Each
// provider passed over is kept with the reason, because "why is this slow" is the first thing
// a user asks, and the answer is in one of these lines.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { listSupportedBackends } from 'onnxruntime-node';
import { cudaProviderInstalled, cudaSupport } from '../cuda/cudaSupport';
import type { ProviderChoice, ProviderName, ProviderSkip } from '../../protocol/providerChoice';
import { vulkanDrivers, vulkanLoaderInstalled, type VulkanDriver } from './vulkanDrivers';
import { isHardwareAdapter, windowsDisplayAdapters, type DisplayAdapter } from './windowsAdapters';

export interface ProviderCandidates {
  /** Best first; the CPU is always last under `auto`. */
  candidates: ProviderName[];
  /** Providers `auto` left out before trying them, each with its reason. */
  skipped: ProviderSkip[];
}

/**
 * The providers `auto` considers on a platform, best first.
 * - Windows: CUDA when its libraries are installed, else DirectML (D3D12, any vendor), else
 *   WebGPU (Dawn on D3D12: same hardware, fewer operators than DirectML in ONNX Runtime 1.30).
 * - Linux: CUDA when installed, else WebGPU (Dawn on Vulkan: NVIDIA, AMD, Intel).
 * - macOS: WebGPU (Dawn on Metal) before CoreML. The SDXL UNet's export has dynamic batch,
 *   height and width, which CoreML's provider does not compile, so it would take only the
 *   static-shaped pieces and leave most of the graph to the CPU, copying at every boundary;
 *   Dawn runs the whole graph on the GPU. Whichever comes first must still load the UNet: a
 *   session that fails to create falls through to the next (see ModelSessions), so a Mac
 *   where Dawn cannot load the UNet still gets CoreML, then the CPU.
 */
export function autoProviderOrder(platform: NodeJS.Platform = process.platform): ProviderName[] {
  switch (platform) {
    case 'win32':
      return ['cuda', 'dml', 'webgpu', 'cpu'];
    case 'darwin':
      return ['webgpu', 'coreml', 'cpu'];
    default:
      return ['cuda', 'webgpu', 'cpu'];
  }
}

/** Providers whose native library this onnxruntime-node has built in. */
export function bundledProviders(): Set<string> {
  return new Set(
    listSupportedBackends()
      .filter((backend) => backend.bundled)
      .map((backend) => backend.name),
  );
}

/** What the machine offers, read once per process: the inputs of every `auto` decision. */
export interface MachineView {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  devDir: string;
  bundled: Set<string>;
  /** A reason CUDA cannot run here, or undefined when its provider and libraries are in place. */
  cudaProblem: () => string | undefined;
  windowsAdapters: () => DisplayAdapter[] | undefined;
}

export function thisMachine(): MachineView {
  return {
    platform: process.platform,
    env: process.env,
    devDir: '/dev',
    bundled: bundledProviders(),
    cudaProblem: cudaProviderProblem,
    windowsAdapters: windowsDisplayAdapters,
  };
}

export interface AutoDecision extends ProviderCandidates {
  /**
   * Vulkan driver manifests to hand the loader instead of its own search, so that Dawn cannot
   * pick the software driver that sits beside a GPU's (set as VK_DRIVER_FILES before the first
   * WebGPU session). Undefined: the loader's own list holds no software driver.
   */
  vulkanDriverFiles?: string[];
}

/** The candidates for a choice; anything but `auto` is taken as asked, to fail loudly if it cannot load. */
export function decideProviders(choice: ProviderChoice, machine: MachineView): AutoDecision {
  if (choice !== 'auto') return { candidates: [choice], skipped: [] };
  const decision: AutoDecision = { candidates: [], skipped: [] };
  for (const provider of autoProviderOrder(machine.platform)) {
    const reason = provider === 'cpu' ? undefined : gpuProblem(provider, machine, decision);
    if (reason === undefined) decision.candidates.push(provider);
    else decision.skipped.push({ provider, reason });
  }
  return decision;
}

function gpuProblem(provider: ProviderName, machine: MachineView, decision: AutoDecision): string | undefined {
  switch (provider) {
    case 'cuda':
      return cudaProblem(machine);
    case 'dml':
      if (!machine.bundled.has('dml')) return 'not part of onnxruntime-node on this platform';
      return windowsGpuProblem(machine);
    case 'coreml':
      return machine.bundled.has('coreml') ? undefined : 'not part of onnxruntime-node on this platform';
    case 'webgpu':
      if (!machine.bundled.has('webgpu')) return 'not part of onnxruntime-node on this platform';
      return webgpuProblem(machine, decision);
    default:
      return undefined;
  }
}

function cudaProblem(machine: MachineView): string | undefined {
  if (machine.platform === 'linux' && !existsSync(join(machine.devDir, 'nvidiactl'))) {
    return 'no NVIDIA GPU driver on this machine (no /dev/nvidiactl)';
  }
  return machine.cudaProblem();
}

function windowsGpuProblem(machine: MachineView): string | undefined {
  const adapters = machine.windowsAdapters();
  // Unknown is not "none": a Windows desktop without a display controller list is an odd
  // machine, and DXGI still orders a real GPU before WARP if there is one.
  if (adapters === undefined || adapters.some(isHardwareAdapter)) return undefined;
  const names = adapters.map((a) => a.name).join(', ') || 'none';
  return `no GPU: Windows lists only ${names}, so DirectX would run on WARP, its CPU rasteriser`;
}

function webgpuProblem(machine: MachineView, decision: AutoDecision): string | undefined {
  switch (machine.platform) {
    case 'win32':
      return windowsGpuProblem(machine);
    // Metal has no software device: every Mac that runs this has a Metal GPU.
    case 'darwin':
      return undefined;
    default:
      return linuxVulkanProblem(machine, decision);
  }
}

function linuxVulkanProblem(machine: MachineView, decision: AutoDecision): string | undefined {
  if (!vulkanLoaderInstalled(machine.env)) return 'the Vulkan loader (libvulkan.so.1) is not installed';
  const drivers = vulkanDrivers({ env: machine.env, devDir: machine.devDir });
  const hardware = drivers.filter((d) => d.kind === 'hardware');
  if (hardware.length === 0) return noGpuDriver(drivers);
  if (drivers.some((d) => d.kind === 'software')) decision.vulkanDriverFiles = hardware.map((d) => d.manifest);
  return undefined;
}

function noGpuDriver(drivers: VulkanDriver[]): string {
  const software = drivers.filter((d) => d.kind === 'software');
  const absent = drivers.filter((d) => d.kind === 'absent');
  if (software.length > 0) {
    return `only a software Vulkan driver (${names(software)}), which renders on the CPU`;
  }
  if (absent.length > 0) return `Vulkan drivers without their GPU (${names(absent)})`;
  return 'no Vulkan driver installed';
}

function names(drivers: VulkanDriver[]): string {
  return [...new Set(drivers.map((d) => d.name))].join(', ');
}

/** Two file checks first: the library search behind cudaSupport starts a python, which only an installed provider is worth. */
function cudaProviderProblem(): string | undefined {
  if (!cudaProviderInstalled()) return cudaSupport({ system: false }).reason;
  return cudaSupport().reason;
}
