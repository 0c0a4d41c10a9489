import { constants as osConstants } from 'node:os';
import { EngineError } from '../engine/errors';
import { isCancelled } from '../protocol/failureCode';
import { BUILD_USAGE, buildCommand } from './buildCommand';
import { CONVERT_USAGE, convertCommand } from './convertCommand';
import { rerunWithCudaLibraryPath } from './cudaLibraryPath';
import { DOWNLOAD_USAGE, downloadCommand } from './downloadCommand';
import { GENERATE_USAGE, generateCommand } from './generateCommand';
import { GPU_USAGE, gpuCommand } from './gpuCommand';
import { INFO_USAGE, infoCommand } from './infoCommand';
import { MODELS_USAGE, modelsCommand } from './modelsCommand';
import { TOKENS_USAGE, tokensCommand } from './tokensCommand';
import { systemErrorLine } from './systemError';
import { UsageError } from './usageError';

const USAGE = `SDXL Assets — Stable Diffusion XL image generation with local ONNX models

${GENERATE_USAGE}

${BUILD_USAGE}

${DOWNLOAD_USAGE}

${CONVERT_USAGE}

${MODELS_USAGE}
${TOKENS_USAGE}
${INFO_USAGE}

${GPU_USAGE}`;

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

const COMMAND_USAGE: Readonly<Record<string, string>> = {
  generate: GENERATE_USAGE,
  build: BUILD_USAGE,
  download: DOWNLOAD_USAGE,
  convert: CONVERT_USAGE,
  models: MODELS_USAGE,
  tokens: TOKENS_USAGE,
  info: INFO_USAGE,
  gpu: GPU_USAGE,
};

async function main(argv: string[]): Promise<number> {
  const rerun = await rerunWithCudaLibraryPath(argv);
  if (rerun !== undefined) return rerun;
  const [command, ...rest] = argv;
  const controller = new AbortController();
  // The first Ctrl+C stops between steps and leaves no partial image (a download keeps what it
  // has, to resume); a second one kills. A terminal closing (SIGHUP) or a service manager
  // stopping the job (SIGTERM) gets the same clean stop.
  const stopping = () => {
    process.stderr.write('\ncancelling…\n');
    controller.abort();
    for (const other of STOP_SIGNALS) {
      process.removeListener(other, stopping);
      process.once(other, () => process.exit(128 + (osConstants.signals[other] ?? 0)));
    }
  };
  for (const signal of STOP_SIGNALS) process.once(signal, stopping);
  const commandUsage = command === undefined ? undefined : COMMAND_USAGE[command];
  if (commandUsage !== undefined && rest.some((arg) => arg === '--help' || arg === '-h')) {
    process.stdout.write(`${commandUsage}\n`);
    return 0;
  }
  try {
    switch (command) {
      case 'generate':
        await generateCommand(rest, controller.signal);
        return 0;
      case 'build':
        return await buildCommand(rest, controller.signal);
      case 'download':
        await downloadCommand(rest, controller.signal);
        return 0;
      case 'convert':
        await convertCommand(rest, controller.signal);
        return 0;
      case 'models':
        modelsCommand(rest);
        return 0;
      case 'tokens':
        await tokensCommand(rest);
        return 0;
      case 'info':
        await infoCommand(rest);
        return 0;
      case 'gpu':
        await gpuCommand(rest, controller.signal);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`Unknown command "${command}"; use generate, build, download, convert, models, tokens, info or gpu.`);
    }
  } catch (error) {
    return report(error);
  }
}

function report(error: unknown): number {
  if (error instanceof UsageError || isParseArgsError(error)) {
    // parseArgs explains over several lines; the first says what is wrong.
    process.stderr.write(`sdxl-assets: ${(error as Error).message.split('\n')[0]} (see sdxl-assets help)\n`);
    return 2;
  }
  if (error instanceof EngineError) {
    process.stderr.write(`sdxl-assets: ${error.message}\n`);
    return isCancelled(error) ? 130 : 1;
  }
  // The environment refused (permissions, a full disk, a name taken meanwhile): not a bug.
  const line = systemErrorLine(error);
  if (line !== undefined) {
    process.stderr.write(`sdxl-assets: ${line}\n`);
    return 1;
  }
  process.stderr.write(`sdxl-assets: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 70;
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
