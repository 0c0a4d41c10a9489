// Command line for sdxlUnet.ts: `buildUnet.ts --out DIR [--scale full|tiny] [--dtype float16|float32]`.
import { parseArgs } from 'node:util';
import { buildSdxlUnet, UNET_SCALES, type UnetScale } from './sdxlUnet';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string' },
    scale: { type: 'string', default: 'full' },
    dtype: { type: 'string', default: 'float16' },
    seed: { type: 'string', default: '1' },
  },
});
const scale = args.scale as UnetScale;
if (args.out === undefined || !(scale in UNET_SCALES) || (args.dtype !== 'float16' && args.dtype !== 'float32')) {
  throw new Error('usage: buildUnet --out DIR [--scale full|tiny] [--dtype float16|float32] [--seed N]');
}
const started = performance.now();
const built = buildSdxlUnet(args.out, UNET_SCALES[scale], { dtype: args.dtype, seed: Number(args.seed) });
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  `${scale} SDXL UNet, ${args.dtype}: ${built.parameters.toLocaleString('en-US')} parameters, ` +
    `${(built.dataBytes / 2 ** 30).toFixed(2)} GiB of weights, written to ${args.out} in ${seconds} s`,
);
