import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { LOCK_FILE, MANIFEST_FILE } from '../../engine/manifest/manifest';
import { manifestMattingDir } from '../../engine/manifest/mattingModels';
import { hashCachePath, readHashCache } from '../../engine/manifest/modelHashes';
import { locateMattingModel } from '../../engine/models/mattingCatalog';
import { locateCatalogModel } from '../../engine/models/discovery';
import { hfHubDir } from '../../engine/models/hfCache';
import { readSettings } from '../settings';
import { assessManifest, manifestModelDir, type ManifestAssessment } from './manifestAssessment';

/** Shown as the source of the manifest's Problems entries. */
export const DIAGNOSTIC_SOURCE = 'SDXL Assets';
/** Edits are assessed once typing pauses, not on every key. */
const DEBOUNCE_MS = 300;

export function isManifest(uri: vscode.Uri): boolean {
  return uri.scheme === 'file' && basename(uri.fsPath) === MANIFEST_FILE;
}

/**
 * Keeps every manifest of the workspace assessed: a Problems entry for each mistake and each
 * missing or stale asset, refreshed when the manifest is edited, its lock changes, or an image
 * comes, goes or changes. The CodeLenses read the same assessment.
 */
export class ManifestWatcher implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('sdxl-assets-manifest');
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly assessments = new Map<string, Promise<ManifestAssessment>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    // Palette files too: an entry's pixel art records their colours, so an edited palette makes it stale.
    const files = vscode.workspace.createFileSystemWatcher(`**/{${MANIFEST_FILE},${LOCK_FILE},*.png,*.webp,*.jpg,*.jpeg,*.hex,*.gpl}`);
    const refreshAll = () => {
      for (const path of this.assessments.keys()) this.schedule(vscode.Uri.file(path));
    };
    const onFile = (uri: vscode.Uri) => (isManifest(uri) ? this.schedule(uri) : refreshAll());
    this.disposables.push(
      this.diagnostics,
      this.changed,
      files,
      files.onDidCreate(onFile),
      files.onDidChange(onFile),
      files.onDidDelete((uri) => (isManifest(uri) ? this.forget(uri) : refreshAll())),
      vscode.workspace.onDidOpenTextDocument((document) => isManifest(document.uri) && this.schedule(document.uri)),
      vscode.workspace.onDidChangeTextDocument((event) => isManifest(event.document.uri) && this.schedule(event.document.uri)),
      vscode.workspace.onDidCloseTextDocument((document) => isManifest(document.uri) && this.schedule(document.uri)),
    );
    void vscode.workspace.findFiles(`**/${MANIFEST_FILE}`, '**/node_modules/**').then((uris) => uris.forEach((uri) => this.schedule(uri)));
    for (const document of vscode.workspace.textDocuments) if (isManifest(document.uri)) this.schedule(document.uri);
  }

  /** The manifest's current assessment: of the editor's text where it is open (unsaved edits included), else of the file. */
  assessment(uri: vscode.Uri): Promise<ManifestAssessment> {
    let pending = this.assessments.get(uri.fsPath);
    if (!pending) {
      pending = this.assess(uri);
      this.assessments.set(uri.fsPath, pending);
    }
    return pending;
  }

  /** Assess again now, e.g. after a CodeLens remade an asset. */
  refresh(uri: vscode.Uri): Promise<ManifestAssessment> {
    const pending = this.assess(uri);
    this.assessments.set(uri.fsPath, pending);
    void this.publish(uri, pending);
    return pending;
  }

  private schedule(uri: vscode.Uri): void {
    clearTimeout(this.timers.get(uri.fsPath));
    this.timers.set(
      uri.fsPath,
      setTimeout(() => {
        this.timers.delete(uri.fsPath);
        void this.refresh(uri);
      }, DEBOUNCE_MS),
    );
  }

  private forget(uri: vscode.Uri): void {
    this.assessments.delete(uri.fsPath);
    this.diagnostics.delete(uri);
    this.changed.fire();
  }

  private async assess(uri: vscode.Uri): Promise<ManifestAssessment> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === uri.fsPath);
    const text = open ? open.getText() : await readFile(uri.fsPath, 'utf8');
    const settings = readSettings(uri);
    const cache = await readHashCache(hashCachePath());
    const modelDir = (key: string, dir: string) =>
      manifestModelDir(key, dir, (entry) => locateCatalogModel(entry, { modelsDir: settings.modelsDirectory, hubDir: hfHubDir() }));
    const mattingDir = (key: string, dir: string) => manifestMattingDir(key, dir, (entry) => locateMattingModel(entry, settings.modelsDirectory));
    return assessManifest(text, uri.fsPath, { modelDir, mattingDir }, cache);
  }

  private async publish(uri: vscode.Uri, pending: Promise<ManifestAssessment>): Promise<void> {
    let assessment: ManifestAssessment;
    try {
      assessment = await pending;
    } catch {
      // The manifest went away between the event and the read: nothing to show.
      this.diagnostics.delete(uri);
      return;
    }
    // A newer assessment started meanwhile: it publishes.
    if (this.assessments.get(uri.fsPath) !== pending) return;
    const document = await vscode.workspace.openTextDocument(uri);
    const range = (start: number, end: number) => new vscode.Range(document.positionAt(start), document.positionAt(Math.max(end, start + 1)));
    const entries: vscode.Diagnostic[] = assessment.problems.map((problem) => {
      const diagnostic = new vscode.Diagnostic(range(problem.start, problem.end), problem.message, vscode.DiagnosticSeverity.Error);
      diagnostic.source = DIAGNOSTIC_SOURCE;
      return diagnostic;
    });
    for (const { asset, reasons } of assessment.statuses) {
      if (reasons.length === 0) continue;
      const message = reasons[0] === 'missing' ? `${asset.output} is missing: Generate it, or run sdxl-assets build` : `${asset.output} is stale: ${reasons.join('; ')}`;
      const diagnostic = new vscode.Diagnostic(range(asset.outputStart, asset.outputEnd), message, vscode.DiagnosticSeverity.Warning);
      diagnostic.source = DIAGNOSTIC_SOURCE;
      diagnostic.code = reasons[0] === 'missing' ? 'missing-asset' : 'stale-asset';
      entries.push(diagnostic);
    }
    this.diagnostics.set(uri, entries);
    this.changed.fire();
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    for (const disposable of this.disposables) disposable.dispose();
  }
}
