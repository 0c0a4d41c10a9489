import type { ConversionRequest, EngineToHost } from '../../protocol/engineProtocol';
import { type FailureCode, isCancelled, isSystemErrorCode } from '../../protocol/failureCode';
import { EngineError } from '../errors';
import { componentSummary } from '../models/convert/conversionSummary';
import { convertModelFolderToFloat16 } from '../models/convert/folderConversion';

/** Fewer progress messages than tensors: one per this many milliseconds and one per component. */
const PROGRESS_EVERY_MS = 250;

/**
 * Float16 conversions asked for by the host. They run beside generation jobs (they are file work,
 * not sessions), each cancellable; what they say goes through `send`.
 */
export class Conversions {
  private readonly running = new Map<string, { abort: AbortController; finished: Promise<void> }>();

  constructor(private readonly send: (message: EngineToHost) => void) {}

  start(request: ConversionRequest): void {
    const { requestId } = request;
    if (this.running.has(requestId)) {
      this.send({ type: 'convertFailed', requestId, message: `A conversion with id ${requestId} is already running.`, code: 'bad-request' });
      return;
    }
    const abort = new AbortController();
    let lastSent = -Infinity;
    let lastComponent = '';
    const finished = convertModelFolderToFloat16(request.modelDir, {
      outDir: request.outDir,
      signal: abort.signal,
      onProgress: (p) => {
        const now = performance.now();
        if (p.component === lastComponent && now - lastSent < PROGRESS_EVERY_MS) return;
        lastSent = now;
        lastComponent = p.component;
        const { component, index, count, bytesDone, bytesTotal } = p;
        this.send({ type: 'convertProgress', requestId, progress: { component, index, count, bytesDone, bytesTotal } });
      },
    })
      .then((report) => this.send({ type: 'convertDone', requestId, outDir: report.outDir, summary: report.components.map(componentSummary) }))
      .catch((error: unknown) => this.send({ type: 'convertFailed', requestId, ...failure(error, request.outDir) }))
      .finally(() => this.running.delete(requestId));
    this.running.set(requestId, { abort, finished });
  }

  cancel(requestId: string): void {
    this.running.get(requestId)?.abort.abort();
  }

  /** Resolves once every conversion has stopped and removed its unfinished component. */
  async cancelAll(): Promise<void> {
    const running = [...this.running.values()];
    for (const { abort } of running) abort.abort();
    await Promise.all(running.map((r) => r.finished));
  }
}

function failure(error: unknown, outDir: string): { message: string; code: FailureCode } {
  if (isCancelled(error)) {
    return { message: `Conversion cancelled; finished components are kept in ${outDir}.partial for the next run.`, code: 'cancelled' };
  }
  if (error instanceof EngineError) return { message: error.message, code: error.code };
  const message = error instanceof Error ? error.message : String(error);
  // File system errors keep their code (ENOSPC, EACCES) so the host can tell them apart.
  const code = (error as { code?: unknown } | null)?.code;
  if (isSystemErrorCode(code)) return { message, code };
  return { message: `The conversion hit an unexpected error: ${message}`, code: 'internal' };
}
