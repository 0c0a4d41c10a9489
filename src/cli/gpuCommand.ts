import { parseArgs } from 'node:util';
import { formatBytes } from '../engine/models/download/downloadProgress';
import { installCudaProvider, uninstallCudaProvider } from '../engine/cuda/cudaInstall';
import { cudaSupport, type CudaSupport } from '../engine/cuda/cudaSupport';
import { nugetIndexUrl } from '../engine/cuda/nugetFeed';
import { DownloadReporter } from './downloadProgress';
import { UsageError } from './usageError';

export const GPU_USAGE = `sdxl-assets gpu status | gpu install cuda | gpu uninstall cuda
  status: whether ONNX Runtime's CUDA provider is installed, which CUDA 12 and cuDNN 9 libraries
  were found where, and what is missing. install cuda: fetches the provider for the installed
  onnxruntime-node from NuGet (verified; run it again to resume). uninstall cuda: removes it`;

/** CUDA support for the engine, which onnxruntime-node's own install script would otherwise add. */
export async function gpuCommand(argv: string[], signal: AbortSignal): Promise<void> {
  const { positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: {} });
  const [action, target, ...extra] = positionals;
  if (action === 'status' && target === undefined) {
    process.stdout.write(statusText(cudaSupport({ refresh: true })));
    return;
  }
  if ((action === 'install' || action === 'uninstall') && target === 'cuda' && extra.length === 0) {
    if (action === 'install') await install(signal);
    else await uninstall();
    return;
  }
  throw new UsageError('Use gpu status, gpu install cuda or gpu uninstall cuda.');
}

async function install(signal: AbortSignal): Promise<void> {
  const before = cudaSupport({ refresh: true });
  if (before.offered && before.missing.length > 0) {
    // The provider goes in anyway: the libraries can come after it, and CUDA loads once they are there.
    process.stderr.write(`CUDA needs libraries this machine lacks; CUDA is used once they are installed:\n${before.missing.map((line) => `  ${line}\n`).join('')}`);
  }
  const reporter = new DownloadReporter('downloading the CUDA provider');
  try {
    const result = await installCudaProvider({
      signal,
      onPackage: (pkg, resumeFrom) =>
        process.stderr.write(
          `${pkg.id} ${pkg.version}${pkg.size === undefined ? '' : ` (${formatBytes(pkg.size)})`} from ${nugetIndexUrl()} into ${before.binDir}` +
            `${resumeFrom > 0 ? `, resuming at ${formatBytes(resumeFrom)}` : ''}\n`,
        ),
      onProgress: (progress) => reporter.update(progress),
    });
    reporter.done();
    process.stderr.write(`CUDA provider installed (${result.packageId} ${result.version}, SHA-512 verified).\n`);
    process.stdout.write(result.files.map((file) => `${file}\n`).join(''));
  } catch (error) {
    reporter.done();
    throw error;
  }
  const after = cudaSupport({ refresh: true });
  process.stderr.write(after.reason ? `CUDA is not usable yet: ${after.reason}\n` : 'CUDA is ready: --provider auto and --provider cuda use it.\n');
}

async function uninstall(): Promise<void> {
  const { binDir, removed } = await uninstallCudaProvider();
  process.stderr.write(removed.length > 0 ? `CUDA provider removed from ${binDir}.\n` : `The CUDA provider was not installed in ${binDir}.\n`);
  process.stdout.write(removed.map((file) => `${file}\n`).join(''));
}

function statusText(support: CudaSupport): string {
  const lines: string[] = [];
  if (!support.offered) return `${support.reason}\n`;
  lines.push(`CUDA provider: ${support.providerInstalled ? 'installed' : 'not installed'} in ${support.binDir}`);
  lines.push('libraries:');
  for (const library of support.libraries) lines.push(`  ${library.file}: ${library.path} (${library.via})`);
  for (const missing of support.missing) lines.push(`  ${missing}`);
  if (support.libraryDirs.length > 0) {
    lines.push(`library path: ${support.libraryDirs.join(process.platform === 'win32' ? ';' : ':')} (added for the engine)`);
  }
  lines.push(support.reason ? `CUDA: not usable: ${support.reason}` : 'CUDA: usable');
  return `${lines.join('\n')}\n`;
}
