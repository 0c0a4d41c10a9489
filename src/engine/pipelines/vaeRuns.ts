// The VAE sessions run whole or in diffusers' tiles. Optimum's vae_decoder holds post_quant_conv
// and the decoder, its vae_encoder the encoder and quant_conv: exactly what diffusers' tiled_decode
// and _tiled_encode run per tile, so each tile is one session call and the blending happens here.
import type { VaeTiling } from '../../protocol/recipe';
import type { ModelSessions } from '../runtime/modelSessions';
import { floatTensor, tensorToFloat32 } from '../runtime/tensors';
import { decodeTilePlan, encodeTilePlan, needsTiles, runTiled, type TensorData, type TilePlan } from '../image/vaeTiles';

export interface TileInfo {
  component: 'vae_decoder' | 'vae_encoder';
  /** The tile about to run, from 1. */
  tile: number;
  total: number;
}

export interface VaeRunHooks {
  signal?: AbortSignal;
  onTile?: (info: TileInfo) => void;
}

/** The vae_decoder on latents already divided by scaling_factor: [1,C,h,w] → sample [1,3,8h,8w]. */
export async function runVaeDecoder(
  sessions: ModelSessions,
  latents: TensorData,
  tiling: VaeTiling | undefined,
  hooks: VaeRunHooks = {},
): Promise<TensorData> {
  const decoder = await sessions.get('vae_decoder');
  const input = decoder.signature.input('latent_sample');
  decoder.signature.output('sample');
  const run = async (tile: TensorData): Promise<TensorData> => {
    const result = await decoder.session.run({ latent_sample: floatTensor(input, tile.data, tile.shape) }, ['sample']);
    return { data: tensorToFloat32(result.sample, 'vae_decoder sample'), shape: result.sample.dims.map(Number) };
  };
  const plan = tiling && decodeTilePlan(tiling.tileSize, sessions.model.vae.scaleFactor);
  return runMaybeTiled(latents, plan, run, 'vae_decoder', hooks);
}

/**
 * The vae_encoder on pixels in [-1,1]: its `latent_parameters` (mean ‖ logvar, Optimum >= 1.23)
 * or `latent_sample` (the mean), whichever the export has, tiled on the same channels diffusers
 * blends (the moments; the mean is their first half, and blending works channel by channel).
 */
export async function runVaeEncoder(
  sessions: ModelSessions,
  pixels: TensorData,
  tiling: VaeTiling | undefined,
  hooks: VaeRunHooks = {},
): Promise<{ output: 'latent_parameters' | 'latent_sample' } & TensorData> {
  const encoder = await sessions.get('vae_encoder');
  const signature = encoder.signature;
  const output = signature.outputs.has('latent_parameters') ? 'latent_parameters' : 'latent_sample';
  signature.output(output);
  const input = signature.input('sample');
  const run = async (tile: TensorData): Promise<TensorData> => {
    const result = await encoder.session.run({ sample: floatTensor(input, tile.data, tile.shape) }, [output]);
    return { data: tensorToFloat32(result[output], `vae_encoder ${output}`), shape: result[output].dims.map(Number) };
  };
  const plan = tiling && encodeTilePlan(tiling.tileSize, sessions.model.vae.scaleFactor);
  return { output, ...(await runMaybeTiled(pixels, plan, run, 'vae_encoder', hooks)) };
}

function runMaybeTiled(
  input: TensorData,
  plan: TilePlan | undefined,
  run: (tile: TensorData) => Promise<TensorData>,
  component: TileInfo['component'],
  hooks: VaeRunHooks,
): Promise<TensorData> {
  const [, , height, width] = input.shape;
  if (!plan || !needsTiles(plan, height, width)) return run(input);
  return runTiled(input, plan, run, {
    signal: hooks.signal,
    onTile: (tile, total) => hooks.onTile?.({ component, tile, total }),
  });
}
