// How much memory a job can use where its weights will live.
import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import type { ProviderName } from '../../protocol/providerChoice';
import type { MemoryBudget } from './memoryPlan';

/**
 * For the CPU, Linux's MemAvailable (free plus what the kernel can reclaim, such as the page
 * cache) and os.freemem() elsewhere. The GPU providers' memory is not reported through
 * onnxruntime-node, so for them the budget is unknown and says so.
 */
export function freeMemory(provider: ProviderName): MemoryBudget {
  if (provider !== 'cpu') return { bytes: undefined, source: `${provider} does not report its adapter's free memory to onnxruntime-node` };
  const available = memAvailable();
  if (available !== undefined) return { bytes: available, source: 'RAM, MemAvailable in /proc/meminfo' };
  return { bytes: freemem(), source: 'RAM, os.freemem()' };
}

function memAvailable(): number | undefined {
  try {
    const match = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
