import { isAbsolute, extname } from 'node:path';
import type { EngineConfig, HostToEngine, JobRequest } from '../../protocol/engineProtocol';
import { isOutputFormat, settingsProblem, type OutputFormat } from '../../protocol/generationLimits';
import { densitiesProblem } from '../../protocol/finishSteps';
import { PROVIDER_CHOICES } from '../../protocol/providerChoice';

/**
 * A message from the host as the protocol allows it, or what is wrong with it. A bad message is
 * a host bug or a stray sender; it must cost the engine nothing but an answer. `reply` names the
 * job, token request or conversion to fail, when the message carried a usable id.
 */
export type CheckedMessage =
  | { ok: true; message: HostToEngine }
  | { ok: false; problem: string; reply?: Reply };

/** What a refused message answers: a job, a token count or a conversion, by its id. */
export type Reply = { jobId: string } | { requestId: number } | { convertId: string };

const FILE_EXTENSIONS: Record<OutputFormat, readonly string[]> = { png: ['.png'], webp: ['.webp'], jpeg: ['.jpg', '.jpeg'] };

export function checkHostMessage(message: unknown): CheckedMessage {
  if (!isRecord(message)) return refused(`a message must be an object, got ${describe(message)}`);
  switch (message.type) {
    case 'configure': {
      const problem = configProblem(message.config);
      return problem ? refused(`configure: ${problem}`) : accepted(message);
    }
    case 'generate': {
      const job = message.job;
      const jobId = isRecord(job) && isId(job.jobId) ? job.jobId : undefined;
      const problem = jobProblem(job);
      if (problem === undefined) return accepted(message);
      return jobId === undefined ? refused(`generate: ${problem}`) : refused(problem, { jobId });
    }
    case 'cancel':
      return isId(message.jobId) ? accepted(message) : refused(`cancel: jobId must be a non-empty string, got ${describe(message.jobId)}`);
    case 'countTokens': {
      const { requestId, modelDir, texts, weighting } = message;
      if (typeof requestId !== 'number') return refused(`countTokens: requestId must be a number, got ${describe(requestId)}`);
      if (typeof modelDir !== 'string' || modelDir === '') return refused('modelDir must be a folder path.', { requestId });
      if (!Array.isArray(texts) || !texts.every((text) => typeof text === 'string')) return refused('texts must be a list of strings.', { requestId });
      if (typeof weighting !== 'boolean') return refused('weighting must be true or false.', { requestId });
      return accepted(message);
    }
    case 'convert': {
      const request = message.request;
      const requestId = isRecord(request) && isId(request.requestId) ? request.requestId : undefined;
      if (requestId === undefined) return refused(`convert: requestId must be a non-empty string, got ${describe(isRecord(request) ? request.requestId : request)}`);
      for (const key of ['modelDir', 'outDir'] as const) {
        const path = (request as Record<string, unknown>)[key];
        if (typeof path !== 'string' || !isAbsolute(path) || path.includes('\0')) return refused(`${key} must be an absolute folder path.`, { convertId: requestId });
      }
      return accepted(message);
    }
    case 'cancelConvert':
      return isId(message.requestId) ? accepted(message) : refused(`cancelConvert: requestId must be a non-empty string, got ${describe(message.requestId)}`);
    case 'unload':
    case 'shutdown':
      return accepted(message);
    default:
      return refused(`unknown message type ${describe(message.type)}`);
  }
}

function jobProblem(job: unknown): string | undefined {
  if (!isRecord(job)) return `job must be an object, got ${describe(job)}`;
  if (!isId(job.jobId)) return `jobId must be a non-empty string, got ${describe(job.jobId)}`;
  if (typeof job.modelDir !== 'string' || job.modelDir === '') return 'modelDir must be a model folder path.';
  if (job.refinerDir !== undefined && (typeof job.refinerDir !== 'string' || job.refinerDir === '')) {
    return 'refinerDir must be a model folder path.';
  }
  if (!isOutputFormat(job.format)) return `Unknown output format ${describe(job.format)}; use png, webp or jpeg.`;
  if (typeof job.outputPath !== 'string' || !isAbsolute(job.outputPath) || job.outputPath.includes('\0')) {
    return `outputPath must be an absolute file path, got ${describe(job.outputPath)}.`;
  }
  // The host chose the name for the format; a mismatch would put, say, JPEG bytes into a .png.
  if (!FILE_EXTENSIONS[job.format].includes(extname(job.outputPath).toLowerCase())) {
    return `outputPath ${job.outputPath} does not end in ${FILE_EXTENSIONS[job.format].join(' or ')}, as ${job.format} needs.`;
  }
  if (typeof job.embedRecipe !== 'boolean') return 'embedRecipe must be true or false.';
  const background = job.transparentBackground;
  if (background !== undefined) {
    if (!isRecord(background) || typeof background.mattingDir !== 'string' || background.mattingDir === '' || typeof background.isolateSubject !== 'boolean') {
      return `transparentBackground must be { mattingDir: a matting model folder, isolateSubject: true or false }, got ${describe(background)}.`;
    }
    if (job.format === 'jpeg') return 'JPEG has no alpha channel; a transparent background needs png or webp.';
  }
  const densities = densitiesProblem(job.densities, isRecord(job.finish) ? job.finish.output : undefined, job.iconSet);
  if (densities !== undefined) return densities;
  const settings = job.settings;
  if (!isRecord(settings)) return `settings must be an object, got ${describe(settings)}`;
  if (typeof settings.prompt !== 'string') return `prompt must be text, got ${describe(settings.prompt)}.`;
  return settingsProblem(settings as JobRequest['settings']);
}

function configProblem(config: unknown): string | undefined {
  if (!isRecord(config)) return `config must be an object, got ${describe(config)}`;
  const { provider, lowMemory, idleUnloadMs, previewEvery } = config as Partial<Record<keyof EngineConfig, unknown>>;
  if (!(PROVIDER_CHOICES as readonly unknown[]).includes(provider)) return `provider must be one of ${PROVIDER_CHOICES.join(', ')}`;
  if (typeof lowMemory !== 'boolean') return 'lowMemory must be true or false';
  for (const [name, value] of [['idleUnloadMs', idleUnloadMs], ['previewEvery', previewEvery]] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return `${name} must be a number of at least 0`;
  }
  return undefined;
}

function accepted(message: Record<string, unknown>): CheckedMessage {
  return { ok: true, message: message as unknown as HostToEngine };
}

function refused(problem: string, reply?: Reply): CheckedMessage {
  return reply ? { ok: false, problem, reply } : { ok: false, problem };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
