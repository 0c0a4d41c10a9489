export interface DownloadProgress {
  /** Bytes of every selected file. */
  totalBytes: number;
  /** Bytes on disk: finished files, .partial files, and what arrives. */
  doneBytes: number;
  filesTotal: number;
  filesDone: number;
  /** Over the last few seconds; 0 until bytes arrive. */
  bytesPerSecond: number;
  /** Undefined while there is no speed to go by. */
  etaSeconds: number | undefined;
}

const SPEED_WINDOW_MS = 5000;
const REPORT_EVERY_MS = 250;

/**
 * Adds up the files' bytes and reports at most a few times a second. The speed is measured
 * over a sliding window, so a stall shows at once and the ETA does not hang on an old average.
 */
export class ProgressTracker {
  private doneBytes: number;
  private filesDone: number;
  private readonly samples: Array<{ at: number; bytes: number }> = [];
  private lastReport = -Infinity;

  constructor(
    private readonly totalBytes: number,
    private readonly filesTotal: number,
    alreadyBytes: number,
    alreadyFiles: number,
    private readonly report: (progress: DownloadProgress) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.doneBytes = alreadyBytes;
    this.filesDone = alreadyFiles;
    this.samples.push({ at: this.now(), bytes: alreadyBytes });
  }

  bytes(delta: number): void {
    this.doneBytes += delta;
    const at = this.now();
    this.samples.push({ at, bytes: this.doneBytes });
    while (this.samples.length > 2 && this.samples[0]!.at < at - SPEED_WINDOW_MS) this.samples.shift();
    if (at - this.lastReport >= REPORT_EVERY_MS) this.emit(at);
  }

  fileDone(): void {
    this.filesDone++;
    this.emit(this.now());
  }

  snapshot(): DownloadProgress {
    const at = this.now();
    const first = this.samples[0]!;
    const seconds = (at - first.at) / 1000;
    const bytesPerSecond = seconds > 0 ? Math.max(0, (this.doneBytes - first.bytes) / seconds) : 0;
    const remaining = Math.max(0, this.totalBytes - this.doneBytes);
    return {
      totalBytes: this.totalBytes,
      doneBytes: this.doneBytes,
      filesTotal: this.filesTotal,
      filesDone: this.filesDone,
      bytesPerSecond,
      etaSeconds: remaining === 0 ? 0 : bytesPerSecond > 0 ? remaining / bytesPerSecond : undefined,
    };
  }

  private emit(at: number): void {
    this.lastReport = at;
    this.report(this.snapshot());
  }
}

/** Decimal units, as the Hub and file managers show sizes. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** One line for a terminal or a notification: "1.20 GB of 13.9 GB (8%), 45.3 MB/s, 4 min 40 s left". */
export function progressText(progress: DownloadProgress): string {
  const percent = progress.totalBytes > 0 ? Math.floor((progress.doneBytes / progress.totalBytes) * 100) : 100;
  const parts = [`${formatBytes(progress.doneBytes)} of ${formatBytes(progress.totalBytes)} (${percent}%)`];
  if (progress.bytesPerSecond > 0) parts.push(`${formatBytes(progress.bytesPerSecond)}/s`);
  if (progress.etaSeconds !== undefined && progress.etaSeconds >= 1) parts.push(`${formatDuration(progress.etaSeconds)} left`);
  return parts.join(', ');
}
