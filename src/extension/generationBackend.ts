import { randomUUID } from 'node:crypto';
import { MAX_BATCH, settingsProblem } from '../protocol/generationLimits';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { EngineClient } from './engineClient';
import type { EngineToHost } from '../protocol/engineProtocol';
import type { GalleryAction, ModelChoice, PanelSettings, QueueItem } from '../protocol/panelProtocol';
import type { BackendEvent, FormEvent, GalleryFile, PanelBackend } from './panel/panelBackend';
import { readRecipeFromFile } from '../engine/image/recipeMetadata';
import { loadCatalog } from '../engine/models/catalog';
import { discoverModels } from '../engine/models/discovery';
import { hfHubDir } from '../engine/models/hfCache';
import { readModelFolder } from '../engine/models/modelFolder';
import { randomSeed } from '../engine/models/generationSettings';
import { scanGallery } from './gallery/galleryScan';
import { formDefaults } from './jobs/formDefaults';
import { HostQueue } from './jobs/hostQueue';
import { imageToImageRequest } from './jobs/imageToImageRequest';
import { ProgressPacer } from './jobs/progressPacer';
import { jobSettings, usesRefiner } from './jobs/jobSettings';
import { locateInitImage, settingsFromRecipe } from './jobs/recipeSettings';
import { batchSeeds } from './jobs/seeds';
import type { MarkdownImageInserter } from './markdown/markdownImageInserter';
import { modelChoices } from './models/modelChoices';
import { IMAGE_TO_IMAGE_TEMPLATE, outputPathFor, workspaceRelative } from './outputFiles';
import { addModelFolder, readSettings } from './settings';
import type { EngineStatusBar } from './statusBar';

const LAST_SEED_KEY = 'sdxlAssets.lastSeed';
const LAST_SETTINGS_KEY = 'sdxlAssets.lastSettings';

/** A job followed to its end: `done` resolves with the written file, or rejects (code 'cancelled' on cancel). */
export interface StartedJob {
  jobId: string;
  done: Promise<GalleryFile>;
}

/**
 * The extension's side of generation: turns panel requests into engine jobs with output
 * paths inside the workspace, tracks the queue, and relays the engine's events.
 */
export class GenerationBackend implements PanelBackend, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<BackendEvent>();
  readonly onEvent = this.emitter.event;
  private readonly jobs = new HostQueue();
  /** Paths handed to queued jobs, so two jobs never get the same free name. */
  private readonly reserved = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  /** The one place that decides which steps the panel, the notification and the status bar show. */
  private readonly pacer = new ProgressPacer();
  private saveFolder: string | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly client: EngineClient,
    private readonly status: EngineStatusBar,
    private readonly output: vscode.OutputChannel,
    private readonly markdown: MarkdownImageInserter,
  ) {
    this.disposables.push(
      this.emitter,
      client.onMessage((message) => this.onEngineMessage(message)),
    );
  }

  /** The folders the settings name, then those found in the models directory and the Hugging Face cache. */
  async models(): Promise<ModelChoice[]> {
    const settings = readSettings();
    const configured = [settings.defaultModel, ...settings.modelFolders].filter((d) => d);
    const catalog = loadCatalog();
    const discovered = discoverModels({ catalog, modelsDir: settings.modelsDirectory, hubDir: hfHubDir() });
    return modelChoices(configured, discovered, catalog);
  }

  /** A model arrived (a download, one found in place): the panel lists it and selects it. */
  modelsChanged(selected: string): void {
    this.emitter.fire({ type: 'modelsChanged', selected });
  }

  async defaults(): Promise<PanelSettings> {
    return formDefaults(await this.models(), readSettings().defaultModel);
  }

  /**
   * The settings of the panel's last Generate, as text-to-image of one picture, over the
   * defaults: what Generate Image Here uses. A model folder that no longer loads gives way to
   * the default one, and a refiner folder to none.
   */
  async lastSettings(): Promise<PanelSettings> {
    // Listing the models reads every folder: once serves the defaults and the checks.
    const models = await this.models();
    const defaults = formDefaults(models, readSettings().defaultModel);
    const last = this.context.workspaceState.get<PanelSettings>(LAST_SETTINGS_KEY);
    if (!last) return defaults;
    const { initImage: _initImage, ...textToImage } = last;
    const usable = (dir: string) => models.some((m) => m.dir === dir && !m.problem);
    return {
      ...defaults,
      ...textToImage,
      modelDir: usable(last.modelDir) ? last.modelDir : defaults.modelDir,
      refinerDir: textToImage.refinerDir && usable(textToImage.refinerDir) ? textToImage.refinerDir : '',
      batch: 1,
    };
  }

  lastSeed(): number | undefined {
    return this.context.workspaceState.get<number>(LAST_SEED_KEY);
  }

  queue(): QueueItem[] {
    return this.jobs.snapshot();
  }

  async gallery(): Promise<GalleryFile[]> {
    const root = this.workspaceRoot();
    if (!root) return [];
    return scanGallery(root, join(root, readSettings().outputDirectory));
  }

  async generate(form: PanelSettings): Promise<void> {
    await this.context.workspaceState.update(LAST_SETTINGS_KEY, form);
    const modelName = this.modelName(form);
    const root = this.workspaceRoot() ?? (await this.askSaveFolder());
    if (!root) return;
    const seeds = batchSeeds(form.seedMode, form.seed, this.lastSeed(), Math.max(1, form.batch), randomSeed);
    seeds.forEach((seed) => checkForm(form, seed));
    for (const seed of seeds) {
      // Failures reach the panel as jobFailed events; nobody else waits for these jobs.
      this.submit(root, form, seed, modelName).done.catch(() => undefined);
    }
    this.emitQueue();
  }

  /**
   * One picture from `form` in a job of its own, written under the workspace folder `root`
   * (default: the first one), for callers that follow it to its end. Undefined when there is
   * no folder open and the user chose none.
   */
  async startJob(form: PanelSettings, root?: string): Promise<StartedJob | undefined> {
    const modelName = this.modelName(form);
    const folder = root ?? this.workspaceRoot() ?? (await this.askSaveFolder());
    if (!folder) return undefined;
    const [seed] = batchSeeds(form.seedMode, form.seed, this.lastSeed(), 1, randomSeed);
    checkForm(form, seed!);
    const job = this.submit(folder, form, seed!, modelName);
    this.emitQueue();
    return job;
  }

  cancel(): void {
    for (const jobId of this.jobs.ids().reverse()) this.client.cancel(jobId);
  }

  cancelJob(jobId: string): void {
    this.client.cancel(jobId);
  }

  /** Files in the output folder came or went outside the panel's own actions. */
  galleryChanged(): void {
    this.emitter.fire({ type: 'galleryChanged' });
  }

  countTokens(modelDir: string, texts: string[], weighting: boolean) {
    return this.client.countTokens(modelDir, texts, weighting);
  }

  async pickModelFolder(): Promise<void> {
    const picked = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      openLabel: 'Use this model folder',
      title: 'Choose an SDXL model folder (diffusers/Optimum ONNX layout)',
    });
    const dir = picked?.[0]?.fsPath;
    if (!dir) return;
    try {
      readModelFolder(dir);
    } catch (error) {
      void vscode.window.showErrorMessage((error as Error).message);
      return;
    }
    await addModelFolder(dir);
    this.emitter.fire({ type: 'modelsChanged', selected: dir });
  }

  async galleryAction(action: GalleryAction, path: string): Promise<void> {
    const uri = vscode.Uri.file(path);
    switch (action) {
      case 'open':
        await vscode.commands.executeCommand('vscode.open', uri);
        return;
      case 'reveal':
        await vscode.commands.executeCommand('revealInExplorer', uri);
        return;
      case 'copyPath': {
        const root = this.workspaceRoot();
        await vscode.env.clipboard.writeText(root ? workspaceRelative(root, path) : path);
        return;
      }
      case 'insertMarkdown': {
        const recipe = await readRecipeFromFile(path).catch(() => null);
        await this.markdown.insertAtCursor(path, recipe?.prompt || basename(path));
        return;
      }
      case 'useAsInit':
        this.emitter.fire(await this.imageToImage(path));
        return;
      case 'reuse':
        this.emitter.fire(await this.reuse(path));
        return;
      case 'vary':
        await this.generate(await this.recipeForm(path, 'vary'));
        return;
      case 'delete':
        await vscode.workspace.fs.delete(uri, { useTrash: true });
        this.emitter.fire({ type: 'galleryChanged' });
        return;
    }
  }

  /** Image-to-image with the picture at `path` as input, prefilled from its metadata. */
  async imageToImage(path: string): Promise<FormEvent> {
    const request = await imageToImageRequest(path, this.workspaceRoot(), await this.models());
    return { type: 'imageToImage', ...request };
  }

  /**
   * The form that made the picture at `path`: image-to-image with its input when that is still
   * there, else text-to-image with its settings.
   */
  async reuse(path: string): Promise<FormEvent> {
    const recipe = await this.recipeOf(path);
    const models = await this.models();
    const settings = settingsFromRecipe(recipe, models);
    const initImage = recipe.initImage === undefined ? undefined : locateInitImage(recipe.initImage, this.searchDirs(path));
    if (initImage === undefined) return { type: 'applySettings', settings };
    const request = await imageToImageRequest(initImage, this.workspaceRoot(), models);
    return { type: 'imageToImage', image: request.image, settings };
  }

  /**
   * The picture's recipe as a form for one new job: `regenerate` keeps the seed and insists on
   * the recipe's own model, `vary` draws a new seed and falls back to the default model.
   */
  async recipeForm(path: string, mode: 'regenerate' | 'vary'): Promise<PanelSettings> {
    const recipe = await this.recipeOf(path);
    const models = await this.models();
    const settings = settingsFromRecipe(recipe, models);
    const missing = (how: string, name: string) =>
      new Error(`${basename(path)} was ${how} the model "${name}", which is not among SDXL Assets: Model Folders. Add its folder to regenerate it.`);
    if (mode === 'regenerate' && settings.modelDir === undefined) throw missing('made with', recipe.model);
    if (mode === 'regenerate' && recipe.refiner !== undefined && !settings.refinerDir) throw missing('refined with', recipe.refiner);
    let initImage: string | undefined;
    if (recipe.initImage !== undefined) {
      initImage = locateInitImage(recipe.initImage, this.searchDirs(path));
      if (initImage === undefined) throw new Error(`The input image ${recipe.initImage} of ${basename(path)} is not there any more.`);
    }
    return {
      ...formDefaults(models, readSettings().defaultModel),
      ...settings,
      ...(initImage !== undefined ? { initImage } : {}),
      ...(mode === 'vary' ? { seedMode: 'random' as const } : {}),
      batch: 1,
    };
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }

  private modelName(form: PanelSettings): string {
    if (!form.modelDir) throw new Error('Choose a model folder first.');
    return readModelFolder(form.modelDir).name;
  }

  private submit(root: string, form: PanelSettings, seed: number, modelName: string): StartedJob {
    const settings = readSettings();
    const jobId = randomUUID();
    const imageToImage = form.initImage !== undefined;
    const outputPath = outputPathFor(
      root,
      settings.outputDirectory,
      imageToImage ? IMAGE_TO_IMAGE_TEMPLATE : settings.fileNameTemplate,
      { prompt: form.prompt, seed, model: modelName, date: new Date(), source: form.initImage },
      settings.outputFormat,
      this.reserved,
    );
    this.reserved.add(outputPath);
    this.jobs.add(jobId, form.prompt, seed);
    const handle = this.client.submit({
      jobId,
      modelDir: form.modelDir,
      ...(usesRefiner(form) ? { refinerDir: form.refinerDir } : {}),
      settings: jobSettings(form, seed),
      outputPath,
      format: settings.outputFormat,
      embedRecipe: settings.embedRecipe,
    });
    const done = handle.done.then(
      async (result) => {
        await this.context.workspaceState.update(LAST_SEED_KEY, result.recipe.seed);
        this.finish(jobId, outputPath);
        const file: GalleryFile = {
          path: result.path,
          relativePath: workspaceRelative(root, result.path),
          recipe: result.recipe,
          modifiedMs: Date.now(),
        };
        this.output.appendLine(`Wrote ${file.relativePath} in ${(result.elapsedMs / 1000).toFixed(1)} s`);
        this.emitter.fire({ type: 'jobDone', jobId, file });
        return file;
      },
      (error: Error & { code?: string }) => {
        this.finish(jobId, outputPath);
        if (error.code === 'cancelled') {
          this.emitter.fire({ type: 'jobCancelled', jobId });
        } else {
          this.output.appendLine(`Job failed: ${error.message}`);
          this.emitter.fire({ type: 'jobFailed', jobId, message: error.message });
        }
        throw error;
      },
    );
    return { jobId, done };
  }

  private finish(jobId: string, outputPath: string): void {
    this.pacer.forget(jobId);
    this.reserved.delete(outputPath);
    this.jobs.finish(jobId);
    this.emitQueue();
  }

  private onEngineMessage(message: EngineToHost | { type: 'exited'; code: number | null; signal: string | null }): void {
    switch (message.type) {
      case 'state':
        this.status.update(message.state, this.jobs.size);
        return;
      case 'started':
        this.jobs.start(message.jobId);
        this.emitQueue();
        return;
      case 'phase':
        this.emitter.fire({ type: 'phase', jobId: message.jobId, phase: message.phase });
        return;
      case 'progress':
        if (!this.pacer.admit(message.jobId, message.step, message.total, performance.now())) return;
        this.status.progress(message.jobId, message.step, message.total);
        this.emitter.fire({ ...message, type: 'progress' });
        return;
      case 'preview':
        this.emitter.fire({ type: 'preview', jobId: message.jobId, png: message.png });
        return;
      case 'log':
        this.output.appendLine(`[engine ${message.level}] ${message.message}`);
        return;
      case 'exited':
        if (this.jobs.size > 0 || message.signal || (message.code ?? 0) !== 0) this.status.stopped();
        return;
      default:
        return;
    }
  }

  private emitQueue(): void {
    this.emitter.fire({ type: 'queue', items: this.jobs.snapshot() });
  }

  private async recipeOf(path: string) {
    const recipe = await readRecipeFromFile(path).catch(() => null);
    if (!recipe) throw new Error(`${basename(path)} carries no SDXL Assets recipe.`);
    return recipe;
  }

  /** Where a relative input path of a recipe may start from: the picture's folder, then the workspace folder. */
  private searchDirs(path: string): string[] {
    const root = this.workspaceRoot();
    return root ? [dirname(path), root] : [dirname(path)];
  }

  private workspaceRoot(): string | undefined {
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? this.saveFolder;
  }

  /** No folder open: ask once where images go, and keep the answer for this window. */
  private async askSaveFolder(): Promise<string | undefined> {
    const picked = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      openLabel: 'Save images here',
      title: 'No folder is open: where should generated images go?',
    });
    this.saveFolder = picked?.[0]?.fsPath;
    return this.saveFolder;
  }
}

/** The limits the engine applies (src/protocol/generationLimits.ts), before a job is queued. */
function checkForm(form: PanelSettings, seed: number): void {
  if (form.batch > MAX_BATCH) throw new Error(`batch must be at most ${MAX_BATCH}, got ${form.batch}.`);
  const problem = settingsProblem(jobSettings(form, seed));
  if (problem !== undefined) throw new Error(problem);
}
