import type { SamplerName } from './recipe';

/** Only these samplers' diffusers schedulers read `use_karras_sigmas`; the others have no such option. */
export function samplerSupportsKarras(sampler: SamplerName): boolean {
  return sampler === 'euler' || sampler === 'dpmpp-2m';
}
