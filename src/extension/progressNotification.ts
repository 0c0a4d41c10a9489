import { unlink } from 'node:fs/promises';
import * as vscode from 'vscode';
import { isCancelled } from '../protocol/failureCode';
import type { PanelSettings } from '../protocol/panelProtocol';
import type { GenerationBackend } from './generationBackend';
import type { StartedJob } from './jobs/jobSubmission';
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
  return followWithProgress(backend, title, () => backend.startJob(form, root), { discardLateCancel: true });
}

/**
 * Follows the job `start` submits with a cancellable progress notification. With
 * `discardLateCancel`, a job that finished just as the user cancelled has its file deleted, as
 * they asked for no picture; a manifest asset keeps it, since it replaced the old file already.
 */
export function followWithProgress(
  backend: GenerationBackend,
  title: string,
  start: () => Promise<StartedJob | undefined> | StartedJob,
  options: { discardLateCancel: boolean },
): Thenable<GalleryFile | undefined> {
  const notification = { location: vscode.ProgressLocation.Notification, title, cancellable: true };
  return vscode.window.withProgress(notification, async (progress, token) => {
    const job = await start();
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
      if (!token.isCancellationRequested || !options.discardLateCancel) return file;
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
