import { join } from 'node:path';
import * as vscode from 'vscode';
import type { EngineClient } from './engineClient';
import type { GalleryAction, ModelChoice, PanelSettings, QueueItem } from '../protocol/panelProtocol';
import type { BackendEvent, FormEvent, GalleryFile, PanelBackend } from './panel/panelBackend';
import { askModelFolder, OutputRoot } from './folderDialogs';
import { askPaletteFile } from './paletteDialog';
import { runGalleryAction } from './gallery/galleryActions';
import { scanGallery } from './gallery/galleryScan';
import { KeptResults } from './gallery/keptResults';
import { EngineEventRelay } from './jobs/engineEventRelay';
import { formDefaults } from './jobs/formDefaults';
import { HostQueue } from './jobs/hostQueue';
import { JobSubmission, modelNameOf, type StartedJob } from './jobs/jobSubmission';
import { LastSettings } from './jobs/lastSettings';
import { decodePaintedMask } from './jobs/inpaintFiles';
import { imageToImageForm, inpaintForm, recipeForm, reuseForm } from './jobs/recipeForms';
import { readImageSize } from '../engine/image/readInputImage';
import type { MarkdownImageInserter } from './markdown/markdownImageInserter';
import { listModels } from './models/listModels';
import { mattingModelOrOffer } from './models/mattingModel';
import { addModelFolder, readSettings } from './settings';
import type { EngineStatusBar } from './statusBar';

/**
 * The extension's side of generation, as the panel and the commands see it: each request goes
 * to the part that handles it (model listing, remembered settings, job submission, the engine's
 * events, gallery actions, recipe forms, folder dialogs), and all of them report through one
 * event stream.
 */
export class GenerationBackend implements PanelBackend, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<BackendEvent>();
  readonly onEvent = this.emitter.event;
  private readonly queueItems = new HostQueue();
  private readonly last: LastSettings;
  private readonly kept: KeptResults;
  private readonly root = new OutputRoot();
  private readonly relay: EngineEventRelay;
  private readonly jobs: JobSubmission;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    context: vscode.ExtensionContext,
    private readonly client: EngineClient,
    status: EngineStatusBar,
    output: vscode.OutputChannel,
    private readonly markdown: MarkdownImageInserter,
  ) {
    const emit = (event: BackendEvent) => this.emitter.fire(event);
    this.last = new LastSettings(context.workspaceState);
    this.kept = new KeptResults(context.workspaceState);
    this.relay = new EngineEventRelay(this.queueItems, status, output, emit, () => this.jobs.emitQueue());
    this.jobs = new JobSubmission(client, this.queueItems, this.last, this.kept, output, emit, (jobId) => this.relay.forget(jobId));
    this.disposables.push(
      this.emitter,
      client.onMessage((message) => this.relay.relay(message)),
    );
  }

  /** The folders the settings name, then those found in the models directory and the Hugging Face cache. */
  async models(): Promise<ModelChoice[]> {
    return listModels();
  }

  /** A model arrived (a download, one found in place): the panel lists it and selects it. */
  modelsChanged(selected: string): void {
    this.emitter.fire({ type: 'modelsChanged', selected });
  }

  async defaults(): Promise<PanelSettings> {
    return formDefaults(await this.models(), readSettings().defaultModel);
  }

  /** The settings of the panel's last Generate, as text-to-image of one picture, over the defaults: what Generate Image Here uses. */
  async lastSettings(): Promise<PanelSettings> {
    // Listing the models reads every folder: once serves the defaults and the checks.
    const models = await this.models();
    return this.last.form(models, formDefaults(models, readSettings().defaultModel));
  }

  lastSeed(): number | undefined {
    return this.last.seed();
  }

  queue(): QueueItem[] {
    return this.queueItems.snapshot();
  }

  async gallery(): Promise<GalleryFile[]> {
    const root = this.root.current();
    if (!root) return [];
    await this.kept.forgetMissing(root);
    return scanGallery(root, join(root, readSettings().outputDirectory), undefined, this.kept.paths(root));
  }

  async generate(form: PanelSettings, mask?: string): Promise<void> {
    await this.last.rememberForm(form);
    const modelName = modelNameOf(form);
    const painted =
      form.inpaint && form.initImage !== undefined && mask !== undefined
        ? await decodePaintedMask(mask, await readImageSize(form.initImage))
        : undefined;
    const root = await this.root.currentOrAsk();
    if (!root) return;
    const matting = await mattingFor(form);
    if (!matting.ready) return;
    this.jobs.submitBatch(root, form, modelName, matting.dir, painted);
  }

  /**
   * One picture from `form` in a job of its own, written under the workspace folder `root`
   * (default: the first one), for callers that follow it to its end. Undefined when there is
   * no folder open and the user chose none.
   */
  async startJob(form: PanelSettings, root?: string): Promise<StartedJob | undefined> {
    const modelName = modelNameOf(form);
    const folder = root ?? (await this.root.currentOrAsk());
    if (!folder) return undefined;
    const matting = await mattingFor(form);
    if (!matting.ready) return undefined;
    return this.jobs.submitOne(folder, form, modelName, matting.dir);
  }

  /** A manifest asset's job, written exactly where the manifest says; see JobSubmission.submitAsset. */
  startAssetJob(root: string, request: Parameters<JobSubmission['submitAsset']>[1]): StartedJob {
    return this.jobs.submitAsset(root, request);
  }

  cancel(): void {
    for (const jobId of this.queueItems.ids().reverse()) this.client.cancel(jobId);
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
    const dir = await askModelFolder();
    if (!dir) return;
    await addModelFolder(dir);
    this.emitter.fire({ type: 'modelsChanged', selected: dir });
  }

  pickPaletteFile(): Promise<string[] | undefined> {
    return askPaletteFile();
  }

  async galleryAction(action: GalleryAction, path: string): Promise<void> {
    await runGalleryAction(action, path, {
      root: () => this.root.current(),
      markdown: this.markdown,
      emit: (event) => this.emitter.fire(event),
      imageToImage: (picture) => this.imageToImage(picture),
      inpaint: (picture) => this.inpaint(picture),
      reuse: (picture) => this.reuse(picture),
      vary: async (picture) => this.generate(await this.recipeForm(picture, 'vary')),
    });
  }

  /** Image-to-image with the picture at `path` as input, prefilled from its metadata. */
  async imageToImage(path: string): Promise<FormEvent> {
    return imageToImageForm(path, this.root.current(), await this.models());
  }

  /** Inpainting of the picture at `path`: image-to-image's form with the mask painter on it. */
  async inpaint(path: string): Promise<FormEvent> {
    return inpaintForm(path, this.root.current(), await this.models());
  }

  /**
   * The form that made the picture at `path`: image-to-image with its input when that is still
   * there, else text-to-image with its settings.
   */
  async reuse(path: string): Promise<FormEvent> {
    return reuseForm(path, this.root.current(), await this.models());
  }

  /**
   * The picture's recipe as a form for one new job: `regenerate` keeps the seed and insists on
   * the recipe's own model, `vary` draws a new seed and falls back to the default model.
   */
  async recipeForm(path: string, mode: 'regenerate' | 'vary'): Promise<PanelSettings> {
    return recipeForm(path, mode, this.root.current(), await this.models(), readSettings().defaultModel);
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }
}

/** The matting model a form's transparent background needs, offered for download when missing; not ready when declined. */
async function mattingFor(form: PanelSettings): Promise<{ ready: boolean; dir?: string }> {
  if (!form.transparentBackground) return { ready: true };
  const dir = await mattingModelOrOffer();
  return dir === undefined ? { ready: false } : { ready: true, dir };
}
