import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { env, InferenceSession, listSupportedBackends } from 'onnxruntime-node';
import { EngineError } from '../errors';
import type { ProviderChoice, ProviderName } from './providerChoice';


export interface ProviderFailure {
  provider: ProviderName;
  reason: string;
}

export interface SessionPlan {
  /** Whether the session keeps its CPU memory arena between runs; see ModelSessions. */
  keepArena: boolean;
}

export interface CreatedSession {
  session: InferenceSession;
  provider: ProviderName;
  /** Providers tried before the one that loaded, each with the reason it did not. */
  failures: ProviderFailure[];
}

// Native provider-loading errors would otherwise go straight to stderr; we report them
// ourselves, once, with the provider they belong to.
env.logLevel = 'fatal';

/**
 * The providers `auto` tries on this platform, best first. WebGPU stays out of `auto`:
 * onnxruntime-node's WebGPU provider is still experimental and needs a GPU adapter that
 * headless machines lack; users can still ask for it.
 */
export function autoProviderOrder(platform: NodeJS.Platform = process.platform): ProviderName[] {
  switch (platform) {
    case 'win32':
      return ['cuda', 'dml', 'cpu'];
    case 'darwin':
      return ['coreml', 'cpu'];
    default:
      return ['cuda', 'cpu'];
  }
}

/**
 * Candidates for a choice, best first, and the `auto` candidates left out because this
 * install lacks their native library (onnxruntime-node ships CUDA's only through its
 * install script, which offline installs skip).
 */
export function providerCandidates(choice: ProviderChoice): { candidates: ProviderName[]; skipped: ProviderFailure[] } {
  if (choice !== 'auto') return { candidates: [choice], skipped: [] };
  const candidates: ProviderName[] = [];
  const skipped: ProviderFailure[] = [];
  for (const provider of autoProviderOrder()) {
    if (providerInstalled(provider)) candidates.push(provider);
    else skipped.push({ provider, reason: 'not installed with onnxruntime-node' });
  }
  return { candidates, skipped };
}

/** Providers whose native library onnxruntime-node has in this install. */
export function bundledProviders(): Set<string> {
  return new Set(
    listSupportedBackends()
      .filter((backend) => backend.bundled)
      .map((backend) => backend.name),
  );
}

function providerInstalled(provider: ProviderName): boolean {
  if (provider === 'cpu' || bundledProviders().has(provider)) return true;
  if (provider !== 'cuda') return false;
  const binding = dirname(require.resolve('onnxruntime-node'));
  const binDir = join(binding, '..', 'bin', 'napi-v6', process.platform, process.arch);
  const library = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return existsSync(join(binDir, library));
}

/** Creates the session with the first candidate that loads. */
export async function createSession(
  modelPath: string,
  candidates: readonly ProviderName[],
  plan: SessionPlan,
): Promise<CreatedSession> {
  const failures: ProviderFailure[] = [];
  for (const provider of candidates) {
    try {
      const session = await InferenceSession.create(modelPath, sessionOptions(provider, plan));
      return { session, provider, failures };
    } catch (error) {
      failures.push({ provider, reason: firstLine(error) });
    }
  }
  const reasons = failures.map((f) => `${f.provider}: ${f.reason}`).join('; ');
  throw new EngineError(`Could not load ${modelPath} (${reasons}).`, 'provider');
}

function sessionOptions(provider: ProviderName, plan: SessionPlan): InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    // Without an arena, memory a run allocated goes back to the system when it ends, which
    // is what components used once per job (text encoders, VAE) want.
    enableCpuMemArena: plan.keepArena,
    logSeverityLevel: 4,
  };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0];
}
