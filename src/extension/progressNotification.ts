import { unlink } from 'node:fs/promises';
import * as vscode from 'vscode';
import { isCancelled } from '../protocol/failureCode';
import type { PanelSettings } from '../protocol/panelProtocol';
import type { GenerationBackend } from './generationBackend';
import { JobProgress } from './jobs/jobProgress';
import type { GalleryFile } from './panel/panelBackend';

/**
 * Makes one picture with a progress notification that shows the phase or step i/n and can be
 * cancelled. Resolves with the file; undefined when cancelled, which leaves no file, or when
 * the user chose no folder to write to. Failures are thrown.
 */
export function generateWithProgress(
  backend: GenerationBackend,
  form: PanelSettings,
  title: string,
  root?: string,
): Thenable<GalleryFile | undefined> {
  const options = { location: vscode.ProgressLocation.Notification, title, cancellable: true };
  return vscode.window.withProgress(options, async (progress, token) => {
    const job = await backend.startJob(form, root);
    if (!job) return undefined;
    const tracker = new JobProgress(job.jobId);
    const subscription = backend.onEvent((event) => {
      const report = tracker.next(event);
      if (report) progress.report(report);
    });
    const cancellation = token.onCancellationRequested(() => backend.cancelJob(job.jobId));
    if (token.isCancellationRequested) backend.cancelJob(job.jobId);
    try {
      const file = await job.done;
      if (!token.isCancellationRequested) return file;
      // The job finished as the user cancelled: they asked for no picture, so none is left behind.
      await unlink(file.path);
      backend.galleryChanged();
      return undefined;
    } catch (error) {
      if (isCancelled(error)) return undefined;
      throw error;
    } finally {
      subscription.dispose();
      cancellation.dispose();
    }
  });
}
