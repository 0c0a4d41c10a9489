import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { cudaProviderInstalled, withCudaLibraryPath } from '../engine/cuda/cudaSupport';

/** Set in the re-run process, so it never re-runs itself again. */
const RERUN_GUARD = 'SDXL_ASSETS_CUDA_LIBRARY_PATH_SET';
const ENGINE_COMMANDS = new Set(['generate', 'info']);
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * The CLI runs the engine in its own process, so the CUDA provider must find its libraries
 * through this process's library path. Linux's loader reads LD_LIBRARY_PATH only at start,
 * so when the CUDA and cuDNN folders are not on it the CLI runs itself again with them, once;
 * Windows reads PATH at each load, so there it is amended in place. Returns the re-run's exit
 * code, or undefined to go on here.
 */
export async function rerunWithCudaLibraryPath(argv: readonly string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  if (!command || !ENGINE_COMMANDS.has(command) || !mayUseCuda(rest) || process.env[RERUN_GUARD]) return undefined;
  if (!cudaProviderInstalled()) return undefined;
  const env = withCudaLibraryPath(process.env);
  if (process.platform === 'win32') {
    Object.assign(process.env, env);
    return undefined;
  }
  if (env.LD_LIBRARY_PATH === process.env.LD_LIBRARY_PATH) return undefined;
  return rerun(argv, { ...env, [RERUN_GUARD]: '1' });
}

/** --provider auto (the default) or cuda; the last one given wins, as parseArgs reads it. */
function mayUseCuda(args: readonly string[]): boolean {
  let provider = 'auto';
  args.forEach((arg, index) => {
    if (arg === '--provider') provider = args[index + 1] ?? provider;
    else if (arg.startsWith('--provider=')) provider = arg.slice('--provider='.length);
  });
  return provider === 'auto' || provider === 'cuda';
}

function rerun(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  // Its own process group: a terminal's Ctrl+C reaches only this process, which passes it on
  // once, so the first Ctrl+C still cancels between steps instead of counting twice.
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...argv], { env, stdio: 'inherit', detached: true });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      for (const name of FORWARDED_SIGNALS) process.off(name, forward);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}
