import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EngineError } from '../../src/engine/errors';
import { readModelFolder } from '../../src/engine/models/modelFolder';
import { autoProviderOrder, decideProviders, type MachineView } from '../../src/engine/runtime/autoProviders';
import { ModelSessions } from '../../src/engine/runtime/modelSessions';
import { createSession, providerCandidates } from '../../src/engine/runtime/providers';
import { vulkanLoaderInstalled } from '../../src/engine/runtime/vulkanDrivers';
import { tempFolder } from '../support/tempFolder';
import { buildTinySdxl } from '../support/tinyModels';

test('auto prefers the platform GPU provider and always ends with the CPU', () => {
  assert.deepEqual(autoProviderOrder('win32'), ['cuda', 'dml', 'webgpu', 'cpu']);
  assert.deepEqual(autoProviderOrder('darwin'), ['webgpu', 'coreml', 'cpu']);
  assert.deepEqual(autoProviderOrder('linux'), ['cuda', 'webgpu', 'cpu']);
  const { candidates } = providerCandidates('auto');
  assert.equal(candidates.at(-1), 'cpu');
  assert.deepEqual(providerCandidates('webgpu'), { candidates: ['webgpu'], skipped: [] });
});

/** A Linux machine made of real files: Vulkan driver manifests and device nodes in a temp folder. */
function linuxMachine(root: string, drivers: Record<string, string>, devices: string[]): MachineView {
  const icd = join(root, 'icd.d');
  const dev = join(root, 'dev');
  mkdirSync(icd, { recursive: true });
  mkdirSync(join(dev, 'dri'), { recursive: true });
  for (const [name, library] of Object.entries(drivers)) {
    writeFileSync(join(icd, `${name}.json`), JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: library } }));
  }
  for (const device of devices) writeFileSync(join(dev, device), '');
  return {
    platform: 'linux',
    env: { VK_DRIVER_FILES: icd, LD_LIBRARY_PATH: '/usr/lib/x86_64-linux-gnu' },
    devDir: dev,
    bundled: new Set(['cpu', 'webgpu']),
    cudaProblem: () => 'CUDA provider not installed',
    windowsAdapters: () => undefined,
  };
}

test('auto never takes a software Vulkan driver: SwiftShader alone leaves WebGPU out, with the reason', (t) => {
  if (!vulkanLoaderInstalled({})) {
    t.skip('the Vulkan loader (libvulkan1) is not installed here');
    return;
  }
  const root = tempFolder('sdxl-machine');
  const machine = linuxMachine(root, { swiftshader: '/usr/lib/chromium/libvk_swiftshader.so', lvp: 'libvulkan_lvp.so' }, []);
  const decision = decideProviders('auto', machine);
  assert.deepEqual(decision.candidates, ['cpu']);
  const webgpu = decision.skipped.find((s) => s.provider === 'webgpu');
  assert.match(webgpu?.reason ?? '', /only a software Vulkan driver \(lavapipe \(llvmpipe\), SwiftShader\)/);
  assert.match(decision.skipped.find((s) => s.provider === 'cuda')?.reason ?? '', /no NVIDIA GPU driver/);
});

test('a GPU driver beside SwiftShader: auto takes WebGPU and hands the loader the GPU driver alone', (t) => {
  if (!vulkanLoaderInstalled({})) {
    t.skip('the Vulkan loader (libvulkan1) is not installed here');
    return;
  }
  const root = tempFolder('sdxl-machine');
  const machine = linuxMachine(
    root,
    { nvidia_icd: 'libGLX_nvidia.so.0', swiftshader: 'libvk_swiftshader.so' },
    ['nvidiactl'],
  );
  const decision = decideProviders('auto', machine);
  assert.deepEqual(decision.candidates, ['webgpu', 'cpu']);
  assert.deepEqual(decision.vulkanDriverFiles, [join(root, 'icd.d', 'nvidia_icd.json')]);
  assert.deepEqual(decision.skipped, [{ provider: 'cuda', reason: 'CUDA provider not installed' }]);
});

test('Mesa installs every vendor\'s driver: one without its GPU device is no GPU', (t) => {
  if (!vulkanLoaderInstalled({})) {
    t.skip('the Vulkan loader (libvulkan1) is not installed here');
    return;
  }
  const root = tempFolder('sdxl-machine');
  const without = decideProviders('auto', linuxMachine(root, { radeon: 'libvulkan_radeon.so' }, []));
  assert.match(without.skipped.find((s) => s.provider === 'webgpu')?.reason ?? '', /without their GPU \(Mesa radeon\)/);
  const withNode = decideProviders('auto', linuxMachine(root, { radeon: 'libvulkan_radeon.so' }, ['dri/renderD128']));
  assert.deepEqual(withNode.candidates, ['webgpu', 'cpu']);
  assert.equal(withNode.vulkanDriverFiles, undefined, 'nothing to filter out');
});

test('Windows: a machine with only the Basic Display Adapter gets neither DirectML nor WebGPU (WARP)', () => {
  const windows = (adapters: { name: string; deviceId: string }[]): MachineView => ({
    platform: 'win32',
    env: {},
    devDir: '',
    bundled: new Set(['cpu', 'webgpu', 'dml']),
    cudaProblem: () => 'CUDA provider not installed',
    windowsAdapters: () => adapters,
  });
  const vm = decideProviders('auto', windows([{ name: 'Microsoft Basic Display Adapter', deviceId: 'PCI\\VEN_1414&DEV_008E' }]));
  assert.deepEqual(vm.candidates, ['cpu']);
  assert.match(vm.skipped.find((s) => s.provider === 'dml')?.reason ?? '', /WARP/);
  const desktop = decideProviders('auto', windows([{ name: 'NVIDIA GeForce RTX 4070', deviceId: 'PCI\\VEN_10DE&DEV_2786' }]));
  assert.deepEqual(desktop.candidates, ['dml', 'webgpu', 'cpu']);
});

test('macOS tries WebGPU (Metal) before CoreML', () => {
  const mac: MachineView = {
    platform: 'darwin',
    env: {},
    devDir: '/dev',
    bundled: new Set(['cpu', 'webgpu', 'coreml']),
    cudaProblem: () => 'no CUDA on macOS',
    windowsAdapters: () => undefined,
  };
  assert.deepEqual(decideProviders('auto', mac), { candidates: ['webgpu', 'coreml', 'cpu'], skipped: [] });
});

test('auto falls back to the CPU and reports each passed-over provider once', async () => {
  const dir = tempFolder('sdxl-providers');
  buildTinySdxl(dir);
  const reported: string[] = [];
  const sessions = new ModelSessions(readModelFolder(dir), 'auto', false, {
    onFallback: (provider) => reported.push(provider),
  });
  const loaded = await Promise.all([sessions.get('text_encoder'), sessions.get('unet')]);
  assert.ok(loaded.every((l) => l.provider === 'cpu' || l.provider === loaded[0].provider));
  assert.equal(new Set(reported).size, reported.length, `reported twice: ${reported.join(', ')}`);
  const report = sessions.report();
  assert.equal(report?.provider, loaded[1].provider);
  assert.deepEqual(report?.skipped.map((s) => s.provider), reported);
  await sessions.dispose();
});

test('a provider that cannot load is a provider error naming it, not a crash', async () => {
  const dir = tempFolder('sdxl-providers');
  buildTinySdxl(dir);
  const path = join(dir, 'unet', 'model.onnx');
  // No platform of onnxruntime-node builds in both DirectML and CoreML, so one of them is missing everywhere.
  const missing = process.platform === 'win32' ? 'coreml' : 'dml';
  await assert.rejects(
    createSession(path, [missing], { keepArena: false }),
    (error: unknown) => error instanceof EngineError && error.code === 'provider' && error.message.includes(missing),
  );
});
