import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { isCancelled } from '../../protocol/failureCode';
import type { EngineClient } from '../engineClient';

export const CONVERT_TO_FLOAT16 = 'Convert to float16';

/** What the offer says, so the user knows what the copy costs and gives. */
export const CONVERT_DETAIL =
  'A float16 copy takes about half the disk space and GPU memory; an SDXL VAE that needs float32 stays float32.';

/**
 * Makes a float16 copy of `modelDir` in `outDir` in the engine process (never on the extension
 * host), under a cancellable progress notification. Resolves to the new folder, or undefined
 * when cancelled or failed (already told to the user). A folder converted before is used as it is.
 */
export function convertToFloat16WithProgress(
  engine: EngineClient,
  output: vscode.OutputChannel,
  displayName: string,
  modelDir: string,
  outDir: string,
): Thenable<string | undefined> {
  if (existsSync(outDir)) {
    void vscode.window.showInformationMessage(`${displayName} was converted before; the float16 copy at ${outDir} is used.`);
    return Promise.resolve(outDir);
  }
  const options = { location: vscode.ProgressLocation.Notification, title: `Converting ${displayName} to float16`, cancellable: true };
  return vscode.window.withProgress(options, async (progress, cancellation) => {
    output.appendLine(`Converting ${modelDir} to float16 into ${outDir}`);
    let percentShown = 0;
    const { requestId, done } = engine.convertToFloat16(modelDir, outDir, (p) => {
      const percent = p.bytesTotal > 0 ? (p.bytesDone / p.bytesTotal) * 100 : 0;
      progress.report({ increment: percent - percentShown, message: `${p.component} (${p.index}/${p.count})` });
      percentShown = percent;
    });
    const subscription = cancellation.onCancellationRequested(() => engine.cancelConversion(requestId));
    try {
      const result = await done;
      for (const line of result.summary) output.appendLine(`  ${line}`);
      output.appendLine(`Converted into ${result.outDir}`);
      return result.outDir;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      output.appendLine(`Conversion stopped: ${message}`);
      if (isCancelled(error)) void vscode.window.showInformationMessage(message);
      else void vscode.window.showErrorMessage(message);
      return undefined;
    } finally {
      subscription.dispose();
    }
  });
}
