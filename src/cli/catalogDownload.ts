import { downloadModel, type DownloadEntry } from '../engine/models/download/modelDownload';
import { formatBytes } from '../engine/models/download/downloadProgress';
import { hubEndpoint } from '../engine/models/download/hubRequest';
import { hfToken } from '../engine/models/hfCache';
import { storedModelDir } from '../engine/models/modelStore';
import { DownloadReporter } from './downloadProgress';

const TOKEN_HINT = 'set HF_TOKEN to a token from https://huggingface.co/settings/tokens, or run `hf auth login`';

/**
 * Downloads a catalog model into the models directory with progress on stderr and returns its
 * folder. The licence is named before the first byte, since using the weights means accepting it.
 */
export async function downloadCatalogModel(entry: DownloadEntry, modelsDir: string, signal: AbortSignal): Promise<string> {
  const dir = storedModelDir(modelsDir, entry);
  const { licence } = entry;
  process.stderr.write(
    `${entry.displayName} (${entry.repo}, about ${formatBytes(entry.sizeBytes)}) into ${dir}\n` +
      `licence: ${licence.name}${licence.nonCommercial ? ', non-commercial use only' : ''}: ${licence.url}\n`,
  );
  const reporter = new DownloadReporter(`downloading ${entry.id}`);
  const token = hfToken();
  try {
    await downloadModel(entry, dir, {
      hub: { endpoint: hubEndpoint(), tokenHint: TOKEN_HINT, ...(token ? { token } : {}) },
      signal,
      onProgress: (progress) => reporter.update(progress),
    });
  } finally {
    reporter.done();
  }
  return dir;
}
