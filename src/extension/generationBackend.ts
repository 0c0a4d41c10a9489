import { randomUUID } from 'node:crypto';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import type { EngineClient } from './engineClient';
import type { EngineToHost } from '../protocol/engineProtocol';
import type { GalleryAction, ModelChoice, PanelSettings, QueueItem } from '../protocol/panelProtocol';
import type { BackendEvent, GalleryFile, PanelBackend } from './panel/panelBackend';
import { readRecipeFromFile } from '../engine/image/recipeMetadata';
import { readModelFolder } from '../engine/models/modelFolder';
import { defaultSampler, randomSeed } from '../engine/pipelines/generationSettings';
import { scanGallery } from './gallery/galleryScan';
import { HostQueue } from './jobs/hostQueue';
import { settingsFromRecipe } from './jobs/recipeSettings';
import { batchSeeds } from './jobs/seeds';
import { markdownImageLink } from './markdownLink';
import { outputPathFor, workspaceRelative } from './outputFiles';
import { addModelFolder, readSettings } from './settings';
import type { EngineStatusBar } from './statusBar';

const LAST_SEED_KEY = 'sdxlAssets.lastSeed';

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
  private lastMarkdownEditor: vscode.TextEditor | undefined;
  private saveFolder: string | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly client: EngineClient,
    private readonly status: EngineStatusBar,
    private readonly output: vscode.OutputChannel,
  ) {
    this.disposables.push(
      this.emitter,
      client.onMessage((message) => this.onEngineMessage(message)),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor?.document.languageId === 'markdown') this.lastMarkdownEditor = editor;
      }),
    );
    const active = vscode.window.activeTextEditor;
    if (active?.document.languageId === 'markdown') this.lastMarkdownEditor = active;
  }

  async models(): Promise<ModelChoice[]> {
    const settings = readSettings();
    const dirs = [...new Set([settings.defaultModel, ...settings.modelFolders].filter((d) => d))];
    return dirs.map((dir) => {
      try {
        return { dir, label: readModelFolder(dir).name };
      } catch (error) {
        return { dir, label: basename(dir), problem: (error as Error).message };
      }
    });
  }

  async defaults(): Promise<PanelSettings> {
    const settings = readSettings();
    const usable = (await this.models()).filter((m) => !m.problem);
    const modelDir = usable.find((m) => m.dir === settings.defaultModel)?.dir ?? usable[0]?.dir ?? '';
    const model = modelDir ? readModelFolder(modelDir) : undefined;
    const size = model ? (model.unet.sampleSize ?? 128) * model.vae.scaleFactor : 1024;
    return {
      modelDir,
      prompt: '',
      negativePrompt: '',
      width: size,
      height: size,
      steps: 30,
      guidance: 5,
      sampler: model ? defaultSampler(model) : 'euler',
      karras: false,
      seedMode: 'random',
      seed: 0,
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
    const settings = readSettings();
    if (!form.modelDir) throw new Error('Choose a model folder first.');
    const model = readModelFolder(form.modelDir);
    const root = this.workspaceRoot() ?? (await this.askSaveFolder());
    if (!root) return;
    const seeds = batchSeeds(form.seedMode, form.seed, this.lastSeed(), Math.max(1, form.batch), randomSeed);
    for (const seed of seeds) {
      const outputPath = outputPathFor(
        root,
        this.workspaceRoot() ? settings.outputDirectory : '.',
        settings.fileNameTemplate,
        { prompt: form.prompt, seed, model: model.name, date: new Date() },
        settings.outputFormat,
        this.reserved,
      );
      this.submit(root, form, seed, outputPath);
    }
    this.emitQueue();
  }

  cancel(): void {
    for (const jobId of this.jobs.ids().reverse()) this.client.cancel(jobId);
  }

  countTokens(modelDir: string, texts: string[]) {
    return this.client.countTokens(modelDir, texts);
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
      case 'insertMarkdown':
        await this.insertMarkdown(path);
        return;
      case 'useAsInit':
        void vscode.window.showInformationMessage('Image-to-image is not available in this version yet.');
        return;
      case 'reuse':
        this.emitter.fire({ type: 'applySettings', settings: settingsFromRecipe(await this.recipeOf(path)) });
        return;
      case 'vary': {
        const recipe = await this.recipeOf(path);
        const form = { ...(await this.defaults()), ...settingsFromRecipe(recipe), seedMode: 'random' as const, batch: 1 };
        await this.generate(form);
        return;
      }
      case 'delete':
        await vscode.workspace.fs.delete(uri, { useTrash: true });
        this.emitter.fire({ type: 'galleryChanged' });
        return;
    }
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }

  private submit(root: string, form: PanelSettings, seed: number, outputPath: string): void {
    const settings = readSettings();
    const jobId = randomUUID();
    this.reserved.add(outputPath);
    this.jobs.add(jobId, form.prompt, seed);
    const handle = this.client.submit({
      jobId,
      modelDir: form.modelDir,
      settings: {
        prompt: form.prompt,
        negativePrompt: form.negativePrompt.trim() === '' ? null : form.negativePrompt,
        width: form.width,
        height: form.height,
        steps: form.steps,
        guidance: form.guidance,
        sampler: form.sampler,
        karras: form.karras,
        seed,
      },
      outputPath,
      format: settings.outputFormat,
      embedRecipe: settings.embedRecipe,
    });
    handle.done.then(
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
      },
      (error: Error & { code?: string }) => {
        this.finish(jobId, outputPath);
        if (error.code === 'cancelled') {
          this.emitter.fire({ type: 'jobCancelled', jobId });
          return;
        }
        this.output.appendLine(`Job failed: ${error.message}`);
        this.emitter.fire({ type: 'jobFailed', jobId, message: error.message });
      },
    );
  }

  private finish(jobId: string, outputPath: string): void {
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

  private async insertMarkdown(path: string): Promise<void> {
    const editor = this.lastMarkdownEditor && !this.lastMarkdownEditor.document.isClosed ? this.lastMarkdownEditor : undefined;
    const target = editor ?? (await this.pickMarkdownEditor());
    if (!target) return;
    const recipe = await readRecipeFromFile(path).catch(() => null);
    const link = markdownImageLink(target.document.uri.fsPath, path, recipe?.prompt ?? basename(path));
    await target.edit((edit) => edit.replace(target.selection, link));
  }

  private async pickMarkdownEditor(): Promise<vscode.TextEditor | undefined> {
    const documents = vscode.workspace.textDocuments.filter((d) => d.languageId === 'markdown' && !d.isClosed);
    if (documents.length === 0) {
      void vscode.window.showInformationMessage('Open a Markdown file to insert the image into.');
      return undefined;
    }
    const picked =
      documents.length === 1
        ? documents[0]
        : (
            await vscode.window.showQuickPick(
              documents.map((d) => ({ label: vscode.workspace.asRelativePath(d.uri), document: d })),
              { title: 'Insert the image into which Markdown file?' },
            )
          )?.document;
    return picked ? vscode.window.showTextDocument(picked) : undefined;
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
