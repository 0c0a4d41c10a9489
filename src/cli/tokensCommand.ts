import { parseArgs } from 'node:util';
import { readModelFolder } from '../engine/models/modelFolder';
import { ClipTokenizer } from '../engine/text/clipTokenizer';
import { localModel } from './modelArgument';
import { UsageError } from './usageError';

export const TOKENS_USAGE = 'sdxl-assets tokens --model DIR_OR_ID [--json] PROMPT';

/** The token counter: each tokenizer's ids (BOS/EOS included, no padding) against its limit. */
export async function tokensCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { model: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (!values.model) throw new UsageError('--model DIR_OR_ID is required.');
  if (positionals.length !== 1) throw new UsageError(`Give the prompt as one argument: ${TOKENS_USAGE}`);
  const prompt = positionals[0];
  const model = readModelFolder(localModel(values.model).dir);
  const report: Record<string, { ids: number[]; count: number; limit: number; truncated: boolean }> = {};
  for (const dir of model.tokenizerDirs) {
    const tokenizer = await ClipTokenizer.fromFolder(dir);
    const ids = tokenizer.encode(prompt);
    const name = dir.split(/[/\\]/).pop() ?? dir;
    report[name] = { ids, count: ids.length, limit: tokenizer.maxLength, truncated: ids.length > tokenizer.maxLength };
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  for (const [name, entry] of Object.entries(report)) {
    const note = entry.truncated ? ` (over the limit: the last ${entry.count - entry.limit} are cut)` : '';
    process.stdout.write(`${name}: ${entry.count}/${entry.limit} tokens${note}\n  ${entry.ids.join(' ')}\n`);
  }
}
