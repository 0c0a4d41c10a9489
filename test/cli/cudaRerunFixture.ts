// Runs the CLI's re-run helper as src/cli/main.ts does, and reports what the process that goes on
// sees, so a test can watch the re-run from outside. Not a test file itself.
import { rerunWithCudaLibraryPath } from '../../src/cli/cudaLibraryPath';

async function fixture(): Promise<void> {
  const argv = process.argv.slice(2);
  const code = await rerunWithCudaLibraryPath(argv);
  if (code !== undefined) {
    process.exitCode = code;
    return;
  }
  process.stdout.write(`${JSON.stringify({ pid: process.pid, ldLibraryPath: process.env.LD_LIBRARY_PATH ?? null })}\n`);
  if (!argv.includes('--wait-for-sigint')) return;
  // Stands for a generate job: the first Ctrl+C cancels it.
  const keepAlive = setInterval(() => undefined, 1000);
  process.once('SIGINT', () => {
    process.stdout.write('cancelled\n');
    clearInterval(keepAlive);
    process.exitCode = 130;
  });
  process.stdout.write('ready\n');
}

void fixture();
