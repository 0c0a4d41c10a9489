import * as vscode from 'vscode';
import { isCancelled } from '../../protocol/failureCode';
import { progressText } from '../../engine/models/download/downloadProgress';
import { installCudaProvider, uninstallCudaProvider } from '../../engine/cuda/cudaInstall';
import { ortVersion } from '../../engine/cuda/cudaPackage';
import { cudaSupport, type CudaSupport } from '../../engine/cuda/cudaSupport';
import { INSTALL_CUDA_COMMAND, UNINSTALL_CUDA_COMMAND } from '../commandIds';
import type { EngineClient } from '../engineClient';

/** The commands that add and remove ONNX Runtime's CUDA provider, which a VSIX cannot install through npm. */
export function registerCudaCommands(engine: EngineClient, output: vscode.OutputChannel): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(INSTALL_CUDA_COMMAND, () => installCudaSupport(engine, output)),
    vscode.commands.registerCommand(UNINSTALL_CUDA_COMMAND, () => uninstallCudaSupport(engine, output)),
  ];
}

/**
 * SDXL Assets: Install CUDA Support…: the libraries check first (the provider is useless
 * without CUDA 12 and cuDNN 9, so the user learns what else is needed before a download of
 * hundreds of megabytes), then the download with a cancellable progress notification.
 */
async function installCudaSupport(engine: EngineClient, output: vscode.OutputChannel): Promise<void> {
  const support = cudaSupport({ refresh: true });
  logSupport(output, support);
  if (!support.offered) {
    void vscode.window.showInformationMessage(`${support.reason} CUDA support is for x64 Linux and Windows.`);
    return;
  }
  const install = support.providerInstalled ? 'Reinstall' : 'Download and Install';
  const detail = support.missing.length > 0
    ? `CUDA also needs these libraries, which were not found; it is used once they are installed:\n${support.missing.join('\n')}`
    : `Found the CUDA libraries it needs:\n${support.libraries.map((library) => `${library.file}: ${library.path}`).join('\n')}`;
  const question = support.providerInstalled
    ? 'The CUDA provider is installed already. Download it again?'
    : `Download ONNX Runtime's CUDA provider ${ortVersion()} (the version the engine runs) from NuGet?`;
  if ((await vscode.window.showInformationMessage(question, { modal: true, detail }, install)) !== install) return;

  const installed = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Installing CUDA support', cancellable: true },
    async (progress, cancellation) => {
      const controller = new AbortController();
      const subscription = cancellation.onCancellationRequested(() => controller.abort());
      let percentShown = 0;
      try {
        const result = await installCudaProvider({
          signal: controller.signal,
          onPackage: (pkg) => output.appendLine(`Downloading ${pkg.url} into ${support.binDir}`),
          onProgress: (state) => {
            const percent = state.totalBytes > 0 ? (state.doneBytes / state.totalBytes) * 100 : 100;
            progress.report({ increment: percent - percentShown, message: progressText(state) });
            percentShown = percent;
          },
        });
        output.appendLine(`Installed ${result.files.join(', ')}`);
        return true;
      } catch (error) {
        reportFailure(output, 'CUDA support was not installed', error);
        return false;
      } finally {
        subscription.dispose();
      }
    },
  );
  if (!installed) return;
  engine.restart();
  const after = cudaSupport({ refresh: true });
  if (after.reason) void vscode.window.showWarningMessage(`CUDA provider installed; the image engine restarts for the next job. CUDA is not usable yet: ${after.reason}`);
  else void vscode.window.showInformationMessage('CUDA support installed; the image engine restarts for the next job and uses CUDA with the "auto" or "cuda" provider.');
}

async function uninstallCudaSupport(engine: EngineClient, output: vscode.OutputChannel): Promise<void> {
  const support = cudaSupport({ refresh: true });
  if (!support.providerInstalled) {
    void vscode.window.showInformationMessage(`The CUDA provider is not installed in ${support.binDir}.`);
    return;
  }
  const remove = 'Uninstall';
  if ((await vscode.window.showWarningMessage('Remove ONNX Runtime\'s CUDA provider?', { modal: true, detail: support.binDir }, remove)) !== remove) return;
  // The engine lets go of the libraries first (Windows cannot delete a DLL in use).
  engine.restart();
  try {
    const { removed } = await uninstallCudaProvider();
    output.appendLine(`Removed ${removed.join(', ')}`);
    void vscode.window.showInformationMessage('CUDA support removed; the image engine restarts for the next job.');
  } catch (error) {
    reportFailure(output, 'CUDA support was not removed', error);
  }
}

function logSupport(output: vscode.OutputChannel, support: CudaSupport): void {
  output.appendLine(`CUDA provider: ${support.providerInstalled ? 'installed' : 'not installed'} in ${support.binDir}`);
  for (const library of support.libraries) output.appendLine(`  ${library.file}: ${library.path} (${library.via})`);
  for (const line of support.missing) output.appendLine(`  ${line}`);
}

function reportFailure(output: vscode.OutputChannel, what: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  output.appendLine(`${what}: ${message}`);
  if (isCancelled(error)) void vscode.window.showInformationMessage(message);
  else void vscode.window.showErrorMessage(`${what}: ${message}`);
}
