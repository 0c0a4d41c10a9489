// WebGPU without a GPU: onnxruntime-node's WebGPU provider is Dawn over Vulkan, and Debian's
// chromium package ships SwiftShader, a Vulkan driver that renders on the CPU. Pointing the
// loader at it runs the provider's real shaders here and in CI (which installs chromium and
// libvulkan1). Mesa's lavapipe would not do: Dawn refuses it for a missing feature.
import { existsSync } from 'node:fs';
import type { ProviderName } from '../../src/protocol/providerChoice';
import { vulkanLoaderInstalled } from '../../src/engine/runtime/vulkanDrivers';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Why WebGPU cannot run here, or undefined when SwiftShader and the loader are installed. */
function missing(): string | undefined {
  if (!existsSync(SWIFTSHADER_ICD)) return `SwiftShader's Vulkan driver is not installed (${SWIFTSHADER_ICD}: apt-get install chromium)`;
  if (!vulkanLoaderInstalled(process.env)) return 'the Vulkan loader is not installed (apt-get install libvulkan1)';
  return undefined;
}

/**
 * Providers the conformance tests run on: the CPU, and WebGPU on SwiftShader where it is
 * installed. CI installs it, so there a missing driver fails the run instead of skipping.
 * Hands the loader SwiftShader before the first WebGPU session of this test process.
 */
export function conformanceProviders(): ProviderName[] {
  const reason = missing();
  if (reason !== undefined) {
    if (process.env.CI) throw new Error(`WebGPU tests cannot run in CI: ${reason}`);
    console.log(`# WebGPU cases skipped: ${reason}`);
    return ['cpu'];
  }
  process.env.VK_ICD_FILENAMES ??= SWIFTSHADER_ICD;
  return ['cpu', 'webgpu'];
}
