import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { GalleryAction, GalleryItem, HostToPanel, PanelToHost } from '../../protocol/panelProtocol';
import { isInside } from '../outputFiles';
import { BackendEventMessages, toGalleryItem } from './backendEventMessages';
import { thumbnailDataUrl } from './imageThumbnail';
import { createNonce } from './nonce';
import type { BackendEvent, FormEvent, GalleryFile, PanelBackend } from './panelBackend';
import { webviewHtml } from './webviewHtml';

const VIEW_TYPE = 'sdxlAssets.generate';
const TITLE = 'Generate Image';

/**
 * The Generate Image panel's host side: owns the one webview panel, routes its messages to the
 * backend and the backend's events back as messages. The webview keeps its own state
 * (getState/setState), so it may be torn down whenever it is hidden; each load says `ready`
 * and gets a fresh `init`.
 */
export class GeneratePanel implements vscode.Disposable {
  static readonly viewType = VIEW_TYPE;
  private static current: GeneratePanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private readonly messages: BackendEventMessages;
  /** Messages posted before the page listens are lost, so nothing is sent until it says `ready`. */
  private ready = false;
  /** The page has its `init`; form events sent before it would be overwritten by it. */
  private initialized = false;
  /** The latest form event that came while the page was loading, for right after its `init`. */
  private pending: FormEvent | undefined;
  /** Files this panel has shown; gallery actions on any other path are refused. */
  private readonly galleryPaths = new Set<string>();
  private disposed = false;

  /** Opens the panel beside the active editor, or brings the open one to the front. */
  static createOrShow(context: vscode.ExtensionContext, backend: PanelBackend): GeneratePanel {
    if (GeneratePanel.current) {
      GeneratePanel.current.panel.reveal();
      return GeneratePanel.current;
    }
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPE,
      TITLE,
      vscode.ViewColumn.Beside,
      webviewOptions(context.extensionUri),
    );
    return new GeneratePanel(panel, context, backend);
  }

  /** Takes over a panel VS Code restored after a restart. */
  static revive(panel: vscode.WebviewPanel, context: vscode.ExtensionContext, backend: PanelBackend): GeneratePanel {
    GeneratePanel.current?.dispose();
    // Restored panels keep the options of the session that saved them; the workspace may differ now.
    panel.webview.options = webviewOptions(context.extensionUri);
    return new GeneratePanel(panel, context, backend);
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    context: vscode.ExtensionContext,
    private readonly backend: PanelBackend,
  ) {
    GeneratePanel.current = this;
    const webview = panel.webview;
    this.messages = new BackendEventMessages((path) => this.imageSrc(path));
    webview.html = pageHtml(webview, context.extensionUri);
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = this.initialized = false;
      }),
      webview.onDidReceiveMessage((message: PanelToHost) => this.onMessage(message)),
      backend.onEvent((event) => this.onBackendEvent(event)),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        webview.options = webviewOptions(context.extensionUri);
      }),
    );
  }

  /** Fills in the form: now, or once a page that is still loading has its `init`. */
  deliver(event: FormEvent): void {
    if (this.initialized) void this.attempt(() => this.postFormEvent(event));
    else this.pending = event;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (GeneratePanel.current === this) GeneratePanel.current = undefined;
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
    this.panel.dispose();
  }

  private onMessage(message: PanelToHost): void {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.initialized = false;
        void this.sendInit();
        return;
      case 'generate':
        void this.attempt(() => this.backend.generate(message.settings, message.mask));
        return;
      case 'cancel':
        this.backend.cancel();
        return;
      case 'countTokens':
        void this.countTokens(message);
        return;
      case 'pickModelFolder':
        void this.attempt(() => this.backend.pickModelFolder());
        return;
      case 'pickPaletteFile':
        void this.attempt(async () => {
          const colors = await this.backend.pickPaletteFile();
          if (colors) this.post({ type: 'paletteChosen', colors });
        });
        return;
      case 'galleryAction':
        void this.galleryAction(message.action, message.path);
        return;
    }
  }

  private onBackendEvent(event: BackendEvent): void {
    if (event.type === 'jobDone') this.galleryPaths.add(event.file.path);
    if (event.type === 'applySettings' || event.type === 'imageToImage') {
      this.deliver(event);
      return;
    }
    // A page that is not there misses nothing: its next `init` reads both afresh.
    if (event.type === 'galleryChanged') {
      if (this.ready) void this.attempt(() => this.sendGallery());
      return;
    }
    if (event.type === 'modelsChanged') {
      if (this.ready) void this.attempt(() => this.sendModels(event.selected));
      return;
    }
    const message = this.messages.translate(event);
    if (message) this.post(message);
  }

  private async sendInit(): Promise<void> {
    await this.attempt(async () => {
      const [models, defaults, gallery] = await Promise.all([
        this.backend.models(),
        this.backend.defaults(),
        this.backend.gallery(),
      ]);
      this.post({ type: 'init', models, defaults, gallery: this.galleryItems(gallery), lastSeed: this.backend.lastSeed() });
      this.post({ type: 'queue', items: this.backend.queue() });
      this.initialized = this.ready;
      const pending = this.initialized ? this.pending : undefined;
      if (pending) {
        this.pending = undefined;
        await this.postFormEvent(pending);
      }
    });
  }

  private async postFormEvent(event: FormEvent): Promise<void> {
    if (event.type === 'applySettings') {
      this.post(event);
      return;
    }
    const src = await this.initImageSrc(event.image.path);
    // The page reads the mask's pixels, which a webview URI's image would not let it do: a data: URL.
    const mask = event.maskPath !== undefined ? `data:image/png;base64,${(await readFile(event.maskPath)).toString('base64')}` : undefined;
    this.post({
      type: 'imageToImage',
      image: { ...event.image, src },
      settings: event.settings,
      ...(event.inpaint ? { inpaint: true } : {}),
      ...(mask !== undefined ? { mask } : {}),
    });
  }

  /** The page may load files from the workspace folders only; a picture from elsewhere comes as a thumbnail. */
  private async initImageSrc(path: string): Promise<string> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    return folders.some((folder) => isInside(folder.uri.fsPath, path)) ? this.imageSrc(path) : thumbnailDataUrl(path);
  }

  private async sendGallery(): Promise<void> {
    this.post({ type: 'gallery', items: this.galleryItems(await this.backend.gallery()) });
  }

  private async sendModels(selected: string | undefined): Promise<void> {
    this.post({ type: 'models', models: await this.backend.models(), selected });
  }

  private async countTokens(request: Extract<PanelToHost, { type: 'countTokens' }>): Promise<void> {
    const { requestId, modelDir, prompt, negativePrompt, weighting } = request;
    // An unusable model has no counts; empty ones clear the stale numbers, and the model picker says why.
    const [promptCounts = [], negativeCounts = []] = modelDir
      ? await this.backend.countTokens(modelDir, [prompt, negativePrompt], weighting).catch(() => [])
      : [];
    this.post({ type: 'tokenCounts', requestId, weighting, prompt: promptCounts, negativePrompt: negativeCounts });
  }

  private async galleryAction(action: GalleryAction, path: string): Promise<void> {
    if (!this.galleryPaths.has(path)) return;
    await this.attempt(() => this.backend.galleryAction(action, path));
  }

  private galleryItems(files: GalleryFile[]): GalleryItem[] {
    for (const file of files) this.galleryPaths.add(file.path);
    return files.map((file) => toGalleryItem(file, (path) => this.imageSrc(path)));
  }

  private imageSrc(path: string): string {
    return this.panel.webview.asWebviewUri(vscode.Uri.file(path)).toString();
  }

  /** A refused request shows in the panel's error area, where the user is looking. */
  private async attempt(task: () => Promise<void>): Promise<void> {
    try {
      await task();
    } catch (error) {
      this.post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  }

  private post(message: HostToPanel): void {
    if (this.ready && !this.disposed) void this.panel.webview.postMessage(message);
  }
}

/** Lets VS Code bring the panel back after a restart; call once from activate(). */
export function registerGeneratePanelSerializer(
  context: vscode.ExtensionContext,
  backend: PanelBackend,
): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
    async deserializeWebviewPanel(panel) {
      GeneratePanel.revive(panel, context, backend);
    },
  });
}

/**
 * Scripts on, and files readable only from the bundle's folder and the workspace folders,
 * where generated images live.
 */
function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [
      vscode.Uri.joinPath(extensionUri, 'dist', 'webview'),
      ...(vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri),
    ],
  };
}

function pageHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const asset = (name: string) =>
    webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', name)).toString();
  return webviewHtml({
    cspSource: webview.cspSource,
    nonce: createNonce(),
    scriptUri: asset('main.js'),
    styleUri: asset('main.css'),
    codiconUri: asset('codicon.css'),
  });
}
