import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EngineError } from '../engine/errors';
import { isCancelled } from '../protocol/failureCode';
import { formatBytes } from '../engine/models/download/downloadProgress';
import { componentSummary } from '../engine/models/convert/conversionSummary';
import { hfHubDir } from '../engine/models/hfCache';
import { readModelFolder } from '../engine/models/modelFolder';
import {
  type ConversionProgress,
  convertModelFolderToFloat16,
  defaultFloat16Dir,
} from '../engine/models/convert/folderConversion';
import { type CliModel, cliLocations, localModel } from './modelArgument';
import { UsageError } from './usageError';

export const CONVERT_USAGE = `sdxl-assets convert MODEL --fp16 [--out DIR]
  writes a float16 copy of an ONNX model folder (or a downloaded catalog id) to DIR, default
  MODEL-fp16 beside it (in the models directory for a Hugging Face cache snapshot); block-listed
  ops and an SDXL VAE that needs it stay float32. Run it again to resume`;

/** A non-terminal gets a line this often, enough to follow a log without flooding it. */
const LOG_EVERY_MS = 5000;

export async function convertCommand(argv: string[], signal: AbortSignal): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { fp16: { type: 'boolean' }, out: { type: 'string' } },
  });
  if (positionals.length !== 1) throw new UsageError('Give one model folder or catalog id to convert.');
  if (!values.fp16) throw new UsageError('Say which conversion: --fp16 is the one there is.');
  const model = localModel(positionals[0]!);
  const outDir = values.out ?? defaultOutDir(model);
  const reporter = new ConversionReporter();
  try {
    const report = await convertModelFolderToFloat16(model.dir, { outDir, signal, onProgress: (p) => reporter.update(p) });
    reporter.done();
    for (const component of report.components) process.stderr.write(`${componentSummary(component)}\n`);
    process.stderr.write(`total: ${formatBytes(report.bytesBefore)} → ${formatBytes(report.bytesAfter)}\n`);
    process.stdout.write(`${report.outDir}\n`);
  } catch (error) {
    reporter.done();
    if (isCancelled(error)) {
      throw new EngineError(`Conversion cancelled; finished components are kept in ${outDir}.partial, run the same command to resume.`, 'cancelled');
    }
    throw error;
  }
}

/** Beside the folder, unless it is a Hugging Face cache snapshot: the cache is the Hub client's to manage. */
function defaultOutDir(model: CliModel): string {
  if (relative(hfHubDir(), resolve(model.dir)).startsWith('..')) return defaultFloat16Dir(model.dir);
  const name = model.entry?.id ?? readModelFolder(model.dir).name.replace(/[/\\]/g, '--');
  return join(cliLocations().modelsDir, `${name}-fp16`);
}

/** Progress on stderr: one rewritten line on a terminal, a line per component and every few seconds in a log. */
class ConversionReporter {
  private readonly tty = process.stderr.isTTY === true;
  private lastLine = -Infinity;
  private lastComponent = '';

  update(progress: ConversionProgress): void {
    const text = `converting ${progress.component} (${progress.index}/${progress.count}): ${formatBytes(progress.bytesDone)} of ${formatBytes(progress.bytesTotal)}`;
    const now = performance.now();
    if (this.tty) {
      process.stderr.write(`\r\x1b[K${text}`);
    } else if (progress.component !== this.lastComponent || now - this.lastLine >= LOG_EVERY_MS) {
      this.lastLine = now;
      this.lastComponent = progress.component;
      process.stderr.write(`${text}\n`);
    }
  }

  done(): void {
    if (this.tty) process.stderr.write('\n');
  }
}
