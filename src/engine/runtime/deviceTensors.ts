import { InferenceSession, type Tensor } from 'onnxruntime-node';
import { encodeIdentityModel, identityElementTypeSupported } from './identityModel';
import type { ProviderName } from '../../protocol/providerChoice';

/**
 * Providers whose tensors onnxruntime-node can hand back on the device and take as inputs of
 * another session (its 'gpu-buffer' location; the WebGPU device is one per process). Its CUDA
 * binding has no such location, so CUDA feeds go through the host each run.
 */
export function keepsTensorsOnDevice(provider: ProviderName): boolean {
  return provider === 'webgpu';
}

const uploaders = new Map<string, Promise<InferenceSession>>();

/**
 * Copies host tensors to the device once, for inputs that stay the same over many runs (a
 * job's text conditioning, fed to the UNet at every step). The caller disposes of the returned
 * tensors, which frees their device memory.
 */
export async function toDevice(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const entries = Object.entries(feeds).filter(([, t]) => identityElementTypeSupported(t.type));
  const values = entries.map(([name, tensor]) => ({ name, type: tensor.type, rank: tensor.dims.length }));
  const key = JSON.stringify(values);
  let uploader = uploaders.get(key);
  if (!uploader) {
    uploader = InferenceSession.create(encodeIdentityModel(values), {
      executionProviders: ['webgpu'],
      preferredOutputLocation: 'gpu-buffer',
      logSeverityLevel: 4,
    });
    uploaders.set(key, uploader);
    uploader.catch(() => uploaders.delete(key));
  }
  const session = await uploader;
  const outputs = await session.run(Object.fromEntries(entries));
  return { ...feeds, ...Object.fromEntries(entries.map(([name]) => [name, outputs[`${name}_on_device`] as Tensor])) };
}

/** Bytes that a run moves from the host for these tensors: those not already on the device. */
export function hostBytes(tensors: Iterable<Tensor>): number {
  let bytes = 0;
  for (const tensor of tensors) {
    if (tensor.location === 'cpu' || tensor.location === 'cpu-pinned') bytes += (tensor.data as ArrayBufferView).byteLength;
  }
  return bytes;
}
