import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './shared';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (dist/cli.js, made by `npm run build`) as a user would. */
export function runCli(
  args: string[],
  options: { signalAfterStderr?: RegExp; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', 'cli.js'), ...args], {
      stdio: 'pipe',
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      ...(options.env !== undefined ? { env: { ...process.env, ...options.env } } : {}),
    });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.signalAfterStderr && !signalled && options.signalAfterStderr.test(stderr)) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** A user error: the given exit code, exactly one `sdxl-assets:` line matching the message, no stack trace. */
export function assertOneLineError(result: CliResult, code: number, message: RegExp): void {
  assert.equal(result.code, code, result.stderr);
  const lines = result.stderr.trim().split('\n').filter((l) => l.startsWith('sdxl-assets:'));
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, message);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace for a user error');
}
