import { type DownloadProgress, progressText } from '../engine/models/download/downloadProgress';

/** A non-terminal gets a line this often, enough to follow a log without flooding it. */
const LOG_EVERY_MS = 5000;

/** Download progress on stderr: one rewritten line on a terminal, a line every few seconds in a log. */
export class DownloadReporter {
  private readonly tty = process.stderr.isTTY === true;
  private lastLine = -Infinity;
  private last: DownloadProgress | undefined;

  constructor(private readonly label: string) {}

  update(progress: DownloadProgress): void {
    this.last = progress;
    const now = performance.now();
    if (this.tty) {
      process.stderr.write(`\r\x1b[K${this.text(progress)}`);
    } else if (now - this.lastLine >= LOG_EVERY_MS) {
      this.lastLine = now;
      process.stderr.write(`${this.text(progress)}\n`);
    }
  }

  done(): void {
    if (this.tty) process.stderr.write('\n');
    else if (this.last) process.stderr.write(`${this.text(this.last)}\n`);
  }

  private text(progress: DownloadProgress): string {
    return `${this.label}: ${progressText(progress)}, file ${progress.filesDone}/${progress.filesTotal}`;
  }
}
