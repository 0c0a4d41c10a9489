import type { GalleryItem, HostToPanel } from '../../protocol/panelProtocol';
import type { BackendEvent, FormEvent, GalleryFile } from './panelBackend';

type ProgressMessage = Extract<HostToPanel, { type: 'progress' }>;

/** Turns a file path into a URI the webview may load (`webview.asWebviewUri`). */
export type WebviewSrc = (path: string) => string;

export function toGalleryItem(file: GalleryFile, src: WebviewSrc): GalleryItem {
  return { ...file, src: src(file.path) };
}

export function pngDataUrl(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64')}`;
}

/**
 * Translates backend events into panel messages. The backend reports phases and steps
 * separately; the panel gets one progress message carrying both, so it remembers the latest
 * of each per job. Gallery and model changes need a fresh read and are left to the caller, and
 * so are form events, which wait for the page's `init`.
 */
export class BackendEventMessages {
  private readonly progress = new Map<string, ProgressMessage>();

  constructor(private readonly src: WebviewSrc) {}

  translate(event: Exclude<BackendEvent, FormEvent>): HostToPanel | undefined {
    switch (event.type) {
      case 'phase':
        return this.remember({ ...this.latest(event.jobId), phase: event.phase });
      case 'progress': {
        const { type: _type, ...step } = event;
        return this.remember({ ...this.latest(event.jobId), ...step });
      }
      case 'preview':
        return { type: 'preview', jobId: event.jobId, dataUrl: pngDataUrl(event.png) };
      case 'jobDone':
        this.progress.delete(event.jobId);
        return { type: 'jobDone', jobId: event.jobId, item: toGalleryItem(event.file, this.src) };
      case 'jobFailed':
      case 'jobCancelled':
        this.progress.delete(event.jobId);
        return event;
      case 'queue':
        return event;
      case 'galleryChanged':
      case 'modelsChanged':
        return undefined;
    }
  }

  /** Steps are only reported while denoising, so a job's first step message implies that phase. */
  private latest(jobId: string): ProgressMessage {
    const start: ProgressMessage = { type: 'progress', jobId, step: 0, total: 0, itPerSecond: 0, etaSeconds: 0, phase: 'denoise' };
    return this.progress.get(jobId) ?? start;
  }

  private remember(message: ProgressMessage): ProgressMessage {
    this.progress.set(message.jobId, message);
    return message;
  }
}
