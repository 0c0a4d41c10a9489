import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readModelFolder } from '../../engine/models/modelFolder';
import { randomSeed } from '../../engine/models/generationSettings';
import { isCancelled } from '../../protocol/failureCode';
import { MAX_BATCH, settingsProblem } from '../../protocol/generationLimits';
import type { JobRequest } from '../../protocol/engineProtocol';
import type { PanelSettings } from '../../protocol/panelProtocol';
import type { EngineClient } from '../engineClient';
import { IMAGE_TO_IMAGE_TEMPLATE, isInside, outputPathFor, workspaceRelative } from '../outputFiles';
import type { BackendEvent, GalleryFile } from '../panel/panelBackend';
import { readSettings } from '../settings';
import type { HostQueue } from './hostQueue';
import { backgroundRequest, densityRequest, finishSteps, jobSettings, usesRefiner } from './jobSettings';
import { densitiesProblem, finishProblem } from '../../protocol/finishSteps';
import { inpaintOutputPath, maskPathFor, writeMaskFile } from './inpaintFiles';
import type { KeptResults } from '../gallery/keptResults';
import type { LastSettings } from './lastSettings';
import { batchSeeds } from './seeds';

/** A job followed to its end: `done` resolves with the written file, or rejects (code 'cancelled' on cancel). */
export interface StartedJob {
  jobId: string;
  done: Promise<GalleryFile>;
}

/**
 * Turns forms into engine jobs with output paths inside the workspace, and reports how each
 * ends. Paths handed to queued jobs are reserved, so two jobs never get the same free name.
 */
export class JobSubmission {
  private readonly reserved = new Set<string>();

  constructor(
    private readonly client: EngineClient,
    private readonly queue: HostQueue,
    private readonly last: LastSettings,
    private readonly kept: KeptResults,
    private readonly output: { appendLine(line: string): void },
    private readonly emit: (event: BackendEvent) => void,
    /** Called once per job as it leaves the queue, before the queue is re-sent. */
    private readonly ended: (jobId: string) => void,
  ) {}

  /**
   * `form.batch` jobs under the workspace folder `root`, seeds per the seed mode; all are checked
   * before any is queued. `mattingDir`: the matting model of a transparent background.
   * Inpainting (`form.inpaint`) writes `mask`, the painted PNG, beside each result; without one
   * only outpaint margins are repainted.
   */
  submitBatch(root: string, form: PanelSettings, modelName: string, mattingDir?: string, mask?: Uint8Array): void {
    const seeds = batchSeeds(form.seedMode, form.seed, this.last.seed(), Math.max(1, form.batch), randomSeed);
    const maskBytes = mask ?? recipeMask(form);
    seeds.forEach((seed) => checkForm(form, seed, mattingDir, maskBytes !== undefined));
    for (const seed of seeds) {
      // Failures reach the panel as jobFailed events; nobody else waits for these jobs.
      this.submit(root, form, seed, modelName, mattingDir, maskBytes).done.catch(() => undefined);
    }
    this.emitQueue();
  }

  /** One picture from `form` in a job of its own, for callers that follow it to its end. */
  submitOne(root: string, form: PanelSettings, modelName: string, mattingDir?: string): StartedJob {
    const [seed] = batchSeeds(form.seedMode, form.seed, this.last.seed(), 1, randomSeed);
    const mask = recipeMask(form);
    checkForm(form, seed!, mattingDir, mask !== undefined);
    const job = this.submit(root, form, seed!, modelName, mattingDir, mask);
    this.emitQueue();
    return job;
  }

  emitQueue(): void {
    this.emit({ type: 'queue', items: this.queue.snapshot() });
  }

  private submit(root: string, form: PanelSettings, seed: number, modelName: string, mattingDir: string | undefined, mask?: Uint8Array): StartedJob {
    const settings = readSettings();
    const jobId = randomUUID();
    const values = { prompt: form.prompt, seed, model: modelName, date: new Date(), source: form.initImage };
    const source = form.inpaint ? form.initImage : undefined;
    // An edit lands next to the picture it edits, as a new file; other jobs in the output folder.
    const outputPath =
      source !== undefined
        ? inpaintOutputPath({ ...values, source }, settings.outputFormat, this.reserved)
        : outputPathFor(
            root,
            settings.outputDirectory,
            form.initImage !== undefined ? IMAGE_TO_IMAGE_TEMPLATE : settings.fileNameTemplate,
            values,
            settings.outputFormat,
            this.reserved,
          );
    let maskPath: string | undefined;
    if (source !== undefined && mask !== undefined) {
      maskPath = maskPathFor(outputPath);
      writeMaskFile(maskPath, mask);
    }
    return this.track(root, {
      jobId,
      modelDir: form.modelDir,
      ...(usesRefiner(form) ? { refinerDir: form.refinerDir } : {}),
      settings: jobSettings(form, seed, maskPath),
      ...backgroundRequest(form, mattingDir),
      finish: finishSteps(form),
      ...(form.iconSet ? { iconSet: true } : {}),
      ...densityRequest(form),
      outputPath,
      format: settings.outputFormat,
      embedRecipe: settings.embedRecipe,
    }, maskPath, source !== undefined ? join(root, settings.outputDirectory) : undefined);
  }

  /**
   * A manifest asset: the job writes exactly `outputPath` (replacing the file there) with the
   * recipe always embedded, since the manifest's staleness check reads it; queued, followed and
   * reported like the panel's jobs.
   */
  submitAsset(root: string, request: Omit<JobRequest, 'jobId' | 'embedRecipe' | 'replace'>): StartedJob {
    checkSettings(request.settings);
    const job = this.track(root, { ...request, jobId: randomUUID(), embedRecipe: true, replace: true });
    this.emitQueue();
    return job;
  }

  /**
   * `ownFile`: a file written for this job alone (an inpainting mask), removed when the job makes
   * nothing. `outputFolder`: the gallery's folder, given for jobs whose result may land outside it.
   */
  private track(root: string, request: JobRequest, ownFile?: string, outputFolder?: string): StartedJob {
    const { jobId, outputPath } = request;
    this.reserved.add(outputPath);
    this.queue.add(jobId, request.settings.prompt, request.settings.seed ?? 0);
    const handle = this.client.submit(request);
    const done = handle.done.then(
      async (result) => {
        await this.last.rememberSeed(result.recipe.seed);
        // The gallery scans the output folder; an edit written beside its picture is remembered so a reload still lists it.
        if (outputFolder !== undefined && !isInside(outputFolder, result.path)) await this.kept.keep(root, result.path);
        this.finish(jobId, outputPath);
        const file: GalleryFile = {
          path: result.path,
          relativePath: workspaceRelative(root, result.path),
          recipe: result.recipe,
          modifiedMs: Date.now(),
        };
        this.output.appendLine(`Wrote ${file.relativePath} in ${(result.elapsedMs / 1000).toFixed(1)} s`);
        this.emit({ type: 'jobDone', jobId, file });
        // `done` names the largest of a density set; a fresh scan shows its other files too.
        if (request.densities) this.emit({ type: 'galleryChanged' });
        return file;
      },
      (error: Error) => {
        this.finish(jobId, outputPath);
        if (ownFile !== undefined) rmSync(ownFile, { force: true });
        if (isCancelled(error)) {
          this.emit({ type: 'jobCancelled', jobId });
        } else {
          this.output.appendLine(`Job failed: ${error.message}`);
          this.emit({ type: 'jobFailed', jobId, message: error.message });
        }
        throw error;
      },
    );
    return { jobId, done };
  }

  private finish(jobId: string, outputPath: string): void {
    this.ended(jobId);
    this.reserved.delete(outputPath);
    this.queue.finish(jobId);
    this.emitQueue();
  }
}

/** The name a job's output file takes its model from; throws for a form without a model or with one that does not load. */
export function modelNameOf(form: PanelSettings): string {
  if (!form.modelDir) throw new Error('Choose a model folder first.');
  return readModelFolder(form.modelDir).name;
}

/** The mask file an inpainting recipe named (Vary, Regenerate): copied beside the new result like a painted one. */
function recipeMask(form: PanelSettings): Uint8Array | undefined {
  const file = form.inpaint?.maskFile;
  return file !== undefined ? readFileSync(file) : undefined;
}

/** The limits the engine applies (src/protocol/generationLimits.ts), before a job is queued. */
function checkForm(form: PanelSettings, seed: number, mattingDir: string | undefined, painted = false): void {
  if (form.batch > MAX_BATCH) throw new Error(`batch must be at most ${MAX_BATCH}, got ${form.batch}.`);
  if (form.inpaint !== undefined) {
    if (form.initImage === undefined) throw new Error('Inpainting needs a picture: right-click one → Inpaint….');
    if (!painted && !Object.values(form.inpaint.outpaint).some((margin) => margin > 0)) {
      throw new Error('Paint over the part to repaint first, or add outpaint margins.');
    }
  }
  // The mask's file is named once the result's is; any path stands for it in the check.
  checkSettings(jobSettings(form, seed, painted && form.initImage !== undefined ? maskPathFor(form.initImage) : undefined));
  const problem = finishProblem(form.output, form.pixelArt);
  if (problem !== undefined) throw new Error(problem);
  const densities = densityRequest(form).densities;
  const densityProblem = densitiesProblem(densities, form.output, form.iconSet);
  if (densityProblem !== undefined) throw new Error(densityProblem);
  backgroundRequest(form, mattingDir);
  if (form.transparentBackground && readSettings().outputFormat === 'jpeg') {
    throw new Error('JPEG has no alpha channel: set "sdxlAssets.outputFormat" to png or webp for a transparent background.');
  }
}

function checkSettings(settings: JobRequest['settings']): void {
  const problem = settingsProblem(settings);
  if (problem !== undefined) throw new Error(problem);
}
