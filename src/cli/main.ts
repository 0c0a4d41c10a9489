import { EngineError } from '../engine/errors';
import { rerunWithCudaLibraryPath } from './cudaLibraryPath';
import { DOWNLOAD_USAGE, downloadCommand } from './downloadCommand';
import { GENERATE_USAGE, generateCommand } from './generateCommand';
import { GPU_USAGE, gpuCommand } from './gpuCommand';
import { INFO_USAGE, infoCommand } from './infoCommand';
import { MODELS_USAGE, modelsCommand } from './modelsCommand';
import { TOKENS_USAGE, tokensCommand } from './tokensCommand';
import { UsageError } from './usageError';

const USAGE = `SDXL Assets — Stable Diffusion XL image generation with local ONNX models

${GENERATE_USAGE}

${DOWNLOAD_USAGE}

${MODELS_USAGE}
${TOKENS_USAGE}
${INFO_USAGE}

${GPU_USAGE}`;

async function main(argv: string[]): Promise<number> {
  const rerun = await rerunWithCudaLibraryPath(argv);
  if (rerun !== undefined) return rerun;
  const [command, ...rest] = argv;
  const controller = new AbortController();
  // The first Ctrl+C stops between steps and leaves no partial image (a download keeps what it
  // has, to resume); a second one kills.
  process.once('SIGINT', () => {
    process.stderr.write('\ncancelling…\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  try {
    switch (command) {
      case 'generate':
        await generateCommand(rest, controller.signal);
        return 0;
      case 'download':
        await downloadCommand(rest, controller.signal);
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
        throw new UsageError(`Unknown command "${command}"; use generate, download, models, tokens, info or gpu.`);
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
    return error.code === 'cancelled' ? 130 : 1;
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
