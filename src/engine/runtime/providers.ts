import { readFile } from 'node:fs/promises';
import { env, InferenceSession } from 'onnxruntime-node';
import { EngineError } from '../errors';
import type { SessionModel } from '../models/linkedWeights';
import { decideProviders, thisMachine, type ProviderCandidates } from './autoProviders';
import type { ProviderChoice, ProviderName, ProviderSkip } from '../../protocol/providerChoice';

export interface SessionPlan {
  /** Whether the session keeps its CPU memory arena between runs; see ModelSessions. */
  keepArena: boolean;
}

export interface CreatedSession {
  session: InferenceSession;
  provider: ProviderName;
  /** Providers tried before the one that loaded, each with the reason it did not. */
  failures: ProviderSkip[];
}

// Native provider-loading errors would otherwise go straight to stderr; we report them
// ourselves, once, with the provider they belong to.
env.logLevel = 'fatal';

const decisions = new Map<ProviderChoice, ProviderCandidates>();

/**
 * Candidates for a choice, best first, decided once per process: the machine does not change
 * under a running engine, and the Vulkan loader reads its driver list only once.
 */
export function providerCandidates(choice: ProviderChoice): ProviderCandidates {
  let decided = decisions.get(choice);
  if (!decided) {
    const { vulkanDriverFiles, ...candidates } = decideProviders(choice, thisMachine());
    if (vulkanDriverFiles) {
      // The loader reads these when Dawn creates its instance, at the first WebGPU session.
      // VK_ICD_FILENAMES is the older loaders' name for the same list.
      process.env.VK_DRIVER_FILES = vulkanDriverFiles.join(':');
      process.env.VK_ICD_FILENAMES = process.env.VK_DRIVER_FILES;
    }
    decided = candidates;
    decisions.set(choice, decided);
  }
  return decided;
}

/** Creates the session with the first candidate that loads. */
export async function createSession(
  model: string | SessionModel,
  candidates: readonly ProviderName[],
  plan: SessionPlan,
): Promise<CreatedSession> {
  const { path: modelPath, externalDataDir, bytes: graph } = typeof model === 'string' ? { path: model, bytes: undefined } : model;
  // ONNX Runtime reads external weights relative to the model's own folder unless it is given
  // the bytes and another folder (it refuses locations that leave the folder).
  const bytes = graph ?? (externalDataDir === undefined ? undefined : await readFile(modelPath));
  const failures: ProviderSkip[] = [];
  for (const provider of candidates) {
    try {
      const options = sessionOptions(provider, plan);
      const session =
        bytes === undefined
          ? await InferenceSession.create(modelPath, options)
          : await InferenceSession.create(bytes, {
              ...options,
              extra: { session: { model_external_initializers_file_folder_path: externalDataDir } },
            });
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
    // is what components that stay loaded but run once per job (text encoders, VAE) want.
    enableCpuMemArena: plan.keepArena,
    logSeverityLevel: 4,
  };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0];
}
