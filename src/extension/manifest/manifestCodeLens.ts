import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { GENERATE_ASSET_COMMAND } from '../commandIds';
import type { ManifestWatcher } from './manifestWatcher';

/**
 * Above each entry of a manifest: Generate when its file is missing, else Regenerate and Open.
 * The titles say whether the file is out of date, which the Problems entry explains.
 */
export class ManifestCodeLensProvider implements vscode.CodeLensProvider {
  readonly onDidChangeCodeLenses: vscode.Event<void>;

  constructor(private readonly watcher: ManifestWatcher) {
    this.onDidChangeCodeLenses = watcher.onDidChange;
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const assessment = await this.watcher.assessment(document.uri).catch(() => undefined);
    if (!assessment) return [];
    return assessment.statuses.flatMap(({ asset, reasons }) => {
      const at = new vscode.Range(document.positionAt(asset.start), document.positionAt(asset.start));
      const target = { manifest: document.uri.fsPath, output: asset.output };
      if (!existsSync(asset.outputPath)) {
        return [new vscode.CodeLens(at, { title: 'Generate', command: GENERATE_ASSET_COMMAND, arguments: [target], tooltip: `Make ${asset.output}` })];
      }
      const stale = reasons.length > 0;
      return [
        new vscode.CodeLens(at, {
          title: stale ? 'Regenerate (out of date)' : 'Regenerate',
          command: GENERATE_ASSET_COMMAND,
          arguments: [target],
          tooltip: stale ? reasons.join('\n') : `Make ${asset.output} again from this entry`,
        }),
        new vscode.CodeLens(at, { title: 'Open', command: 'vscode.open', arguments: [vscode.Uri.file(asset.outputPath)], tooltip: `Open ${asset.output}` }),
      ];
    });
  }
}
