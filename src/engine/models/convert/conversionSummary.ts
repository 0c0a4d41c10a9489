import { formatBytes } from '../download/downloadProgress';
import type { ComponentReport } from './folderConversion';

/** One line per component for the CLI and the extension: what became float16, what stayed float32 and why. */
export function componentSummary(report: ComponentReport): string {
  const resumed = report.resumed ? ', kept from the interrupted run' : '';
  switch (report.action) {
    case 'float16': {
      const blocked = Object.entries(report.blockedNodes).map(([op, n]) => `${n} ${op}`);
      const kept = blocked.length > 0 ? `; float32 kept for ${blocked.join(', ')}` : '';
      return `${report.component}: float16, ${formatBytes(report.bytesBefore)} → ${formatBytes(report.bytesAfter)}${kept}${resumed}`;
    }
    case 'kept-float32':
      return `${report.component}: kept float32 because ${report.reason ?? 'it must'}${resumed}`;
    case 'already-float16':
      return `${report.component}: already float16, copied${resumed}`;
  }
}
