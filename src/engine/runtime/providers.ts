import { InferenceSession, listSupportedBackends } from 'onnxruntime-node';
import { EngineError } from '../errors';

export const PROVIDER_CHOICES = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const;
export type ProviderChoice = (typeof PROVIDER_CHOICES)[number];
export type ProviderName = Exclude<ProviderChoice, 'auto'>;

export interface SessionPlan {
  /** Which memory arena policy the component wants; see ModelSessions. */
  keepArena: boolean;
}

export interface CreatedSession {
  session: InferenceSession;
  provider: ProviderName;
  /** Providers tried before the one that loaded, each with the reason it did not. */
  fallbacks: { provider: ProviderName; reason: string }[];
}

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

export function providerOrder(choice: ProviderChoice): ProviderName[] {
  return choice === 'auto' ? autoProviderOrder() : [choice];
}

/** Providers whose native library onnxruntime-node has in this install. */
export function bundledProviders(): Set<string> {
  return new Set(
    listSupportedBackends()
      .filter((backend) => backend.bundled)
      .map((backend) => backend.name),
  );
}

export async function createSession(
  modelPath: string,
  choice: ProviderChoice,
  plan: SessionPlan,
): Promise<CreatedSession> {
  const fallbacks: CreatedSession['fallbacks'] = [];
  for (const provider of providerOrder(choice)) {
    try {
      const session = await InferenceSession.create(modelPath, sessionOptions(provider, plan));
      return { session, provider, fallbacks };
    } catch (error) {
      fallbacks.push({ provider, reason: firstLine(error) });
    }
  }
  const reasons = fallbacks.map((f) => `${f.provider}: ${f.reason}`).join('; ');
  throw new EngineError(`Could not load ${modelPath} with provider ${choice} (${reasons}).`, 'provider');
}

function sessionOptions(provider: ProviderName, plan: SessionPlan): InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    // Without an arena, memory a run allocated goes back to the system when it ends, which
    // is what components used once per job (text encoders, VAE) want.
    enableCpuMemArena: plan.keepArena,
    logSeverityLevel: 3,
  };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0];
}
