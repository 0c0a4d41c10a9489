import type { EngineToHost, JobRequest } from '../../protocol/engineProtocol';
import type { Engine } from '../engine';
import type { Phase } from '../../protocol/phase';
import type { ProviderReport } from '../../protocol/providerChoice';
import { isCancelled, isSystemErrorCode } from '../../protocol/failureCode';
import { EngineError, throwIfAborted } from '../errors';
import { encodePreviewPng, latentPreview, type PreviewFamily } from '../image/preview';
import { writeImage } from '../image/writeImage';
import { finishImage } from '../finish/finishImage';
import { densityFiles, iconSetFiles, LARGEST_ICON } from '../finish/assetSet';
import type { RawImage } from '../finish/rawImage';
import { writeFileSet } from '../image/writeFileSet';
import type { OutputSize, Recipe } from '../../protocol/recipe';
import { join, parse } from 'node:path';
import { StepRate } from './stepRate';

export interface JobContext {
  engine: Engine;
  /** A preview every this many steps; 0 for none. */
  previewEvery: number;
  signal: AbortSignal;
  send: (message: EngineToHost) => void;
  /** The provider the model's sessions run on, once known. */
  provider: () => ProviderReport | undefined;
}

/**
 * Runs one job to its end and reports it: started, phases, progress, previews, then exactly one
 * of done, failed or cancelled. Never throws. Resolves to whether the job's model is loaded
 * afterwards, which a load failure leaves false.
 */
export async function runJob(job: JobRequest, context: JobContext): Promise<boolean> {
  const { engine, signal, send } = context;
  const { jobId } = job;
  const started = performance.now();
  // Previews encode side by side but are sent in step order: a later step's small PNG can finish first.
  let previewsSent = Promise.resolve();
  let modelLoaded = false;
  let phase: Phase = 'load';
  send({ type: 'started', jobId });
  send({ type: 'state', state: { kind: 'loading', jobId } });
  send({ type: 'phase', jobId, phase });
  try {
    // Cancelled while waiting for the engine: loading the model would be wasted.
    throwIfAborted(signal);
    const { folder } = await engine.model(job.modelDir);
    modelLoaded = true;
    const family: PreviewFamily = folder.family === 'sd' ? 'sd15' : 'sdxl';
    const rate = new StepRate();
    const image = await engine.generate(
      { ...job.settings, modelDir: job.modelDir, refinerDir: job.refinerDir, transparentBackground: job.transparentBackground },
      {
        signal,
        onPhase: (next) => {
          if (next === phase) return;
          phase = next;
          send({ type: 'phase', jobId, phase });
          send({ type: 'state', state: { kind: 'running', jobId, phase, provider: context.provider() } });
        },
        onStep: ({ step, total, stepMs, latentShape, denoised }) => {
          send({ type: 'progress', jobId, step, total, ...rate.step(stepMs, step, total) });
          send({ type: 'state', state: { kind: 'running', jobId, phase, step, total, provider: context.provider() } });
          if (context.previewEvery > 0 && step % context.previewEvery === 0) {
            const preview = latentPreview(denoised(), latentShape, family);
            // Handled at once (a failed encode must not reject unobserved), delivered after the previous one.
            const deliver = encodePreviewPng(preview).then(
              (png) => () => send({ type: 'preview', jobId, step, png, width: preview.width, height: preview.height }),
              (error: Error) => () => send({ type: 'log', level: 'warn', message: `preview of step ${step} failed: ${error.message}` }),
            );
            previewsSent = Promise.all([previewsSent, deliver]).then(([, sendPreview]) => sendPreview());
          }
        },
        // A tile is the VAE phase's step: the state carries it, so a long tiled decode shows it is moving.
        onTile: ({ tile, total }) => {
          send({ type: 'state', state: { kind: 'running', jobId, phase, step: tile, total, provider: context.provider() } });
        },
      },
    );
    throwIfAborted(signal);
    const finish = job.finish ?? {};
    const made = job.recipeInitImage === undefined ? image.recipe : { ...image.recipe, initImage: job.recipeInitImage };
    const recipe = { ...made, ...finish };
    throwIfAborted(signal);
    // Another window or process may have taken the host's name meanwhile: the next free one is used.
    const path = job.iconSet
      ? await writeIconSet(job.outputPath, image, recipe, signal)
      : job.densities && finish.output
        ? await writeDensities(job, image, { ...recipe, output: finish.output }, job.densities, signal)
        : await writeFinished(job, await finishImage(image, finish), recipe);
    // Previews first, so that none arrives after the job has ended.
    await previewsSent;
    send({ type: 'done', jobId, path, recipe, elapsedMs: performance.now() - started });
  } catch (error) {
    await previewsSent;
    if (!(error instanceof EngineError) && error instanceof Error) {
      send({ type: 'log', level: 'error', message: `job ${jobId} failed: ${error.stack ?? error.message}` });
    }
    send(endOfFailedJob(jobId, error));
  }
  return modelLoaded;
}

/** The one finished image at outputPath (an icon set or density variants finish each file themselves). */
function writeFinished(job: JobRequest, finished: RawImage, recipe: Recipe): Promise<string> {
  return writeImage(job.outputPath, finished.rgb, finished.width, finished.height, {
    format: job.format,
    channels: finished.channels,
    recipe: job.embedRecipe ? recipe : undefined,
    ifExists: job.replace ? 'replace' : 'next-free',
  });
}

/** The set goes into `<outputPath without extension>-icons/`; resolves to its largest icon, which the gallery shows. */
async function writeIconSet(outputPath: string, image: RawImage, recipe: Recipe, signal: AbortSignal): Promise<string> {
  const { dir, name } = parse(outputPath);
  const folder = join(dir, `${name}-icons`);
  const files = (await iconSetFiles(image, recipe, signal)).map((file) => ({ path: join(folder, file.name), data: file.data }));
  await writeFileSet(files, signal);
  return join(folder, LARGEST_ICON);
}

/** `name.ext`, `name@2x.ext`… beside outputPath, all or none; resolves to the largest, which the gallery shows. */
async function writeDensities(
  job: JobRequest,
  image: RawImage,
  recipe: Recipe & { output: OutputSize },
  densities: readonly number[],
  signal: AbortSignal,
): Promise<string> {
  const { dir, name, ext } = parse(job.outputPath);
  const options = { format: job.format, extension: ext.slice(1), embedRecipe: job.embedRecipe };
  const files = (await densityFiles(image, recipe, densities, name, options, signal)).map((file) => ({ path: join(dir, file.name), data: file.data }));
  await writeFileSet(files, signal);
  return files[densities.indexOf(Math.max(...densities))].path;
}

function endOfFailedJob(jobId: string, error: unknown): EngineToHost {
  if (isCancelled(error)) return { type: 'cancelled', jobId };
  if (error instanceof EngineError) return { type: 'failed', jobId, message: error.message, code: error.code };
  const message = error instanceof Error ? error.message : String(error);
  // File system errors keep their code (ENOSPC, EACCES) so the host can tell them apart.
  const code = (error as { code?: unknown } | null)?.code;
  return { type: 'failed', jobId, message, code: isSystemErrorCode(code) ? code : 'internal' };
}
