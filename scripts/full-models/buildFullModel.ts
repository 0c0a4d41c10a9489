// `node --import tsx scripts/full-models/buildFullModel.ts --model sdxl|sd21 --out DIR [--dtype float32|float16]`
import { parseArgs } from 'node:util';
import { buildFullModel, FULL_MODELS, type FullModel } from './fullModel';

const { values: args } = parseArgs({
  options: { model: { type: 'string' }, out: { type: 'string' }, dtype: { type: 'string', default: 'float32' } },
});
const model = args.model as FullModel;
if (args.out === undefined || !FULL_MODELS.includes(model) || (args.dtype !== 'float16' && args.dtype !== 'float32')) {
  throw new Error('usage: buildFullModel --model sdxl|sd21 --out DIR [--dtype float32|float16]');
}
const started = performance.now();
buildFullModel(args.out, model, args.dtype, (line) => console.log(line));
console.log(`written to ${args.out} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
