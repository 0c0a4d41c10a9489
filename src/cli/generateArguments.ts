import { parseArgs } from 'node:util';
import { FINISH_OPTIONS } from './finishOptions';
import { UsageError } from './usageError';

const OPTIONS = {
  model: { type: 'string' },
  prompt: { type: 'string' },
  negative: { type: 'string' },
  width: { type: 'string' },
  height: { type: 'string' },
  steps: { type: 'string' },
  guidance: { type: 'string' },
  seed: { type: 'string' },
  sampler: { type: 'string' },
  karras: { type: 'boolean' },
  'timestep-spacing': { type: 'string' },
  batch: { type: 'string' },
  provider: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  'low-memory': { type: 'boolean' },
  'memory-plan': { type: 'string' },
  recipe: { type: 'string' },
  'init-image': { type: 'string' },
  strength: { type: 'string' },
  mask: { type: 'string' },
  'mask-blur': { type: 'string' },
  'inpaint-area': { type: 'string' },
  'mask-padding': { type: 'string' },
  outpaint: { type: 'string' },
  'guidance-rescale': { type: 'string' },
  'prompt-weighting': { type: 'boolean' },
  tile: { type: 'string' },
  refiner: { type: 'string' },
  'refiner-start': { type: 'string' },
  'aesthetic-score': { type: 'string' },
  'negative-aesthetic-score': { type: 'string' },
  'vae-tiling': { type: 'boolean' },
  'vae-tile-size': { type: 'string' },
  // --background (transparent, or the padding colour of --fit contain) comes with FINISH_OPTIONS.
  ...FINISH_OPTIONS,
  'matting-model': { type: 'string' },
  'isolate-subject': { type: 'boolean' },
} as const;

/** The options of `generate` as typed, unchecked beyond their kind; --model is the one every run needs. */
export type GenerateArguments = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'] & { model: string };

export function parseGenerateArguments(argv: string[]): GenerateArguments {
  const { values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: OPTIONS });
  if (!values.model) throw new UsageError('--model DIR_OR_ID is required.');
  return { ...values, model: values.model };
}
