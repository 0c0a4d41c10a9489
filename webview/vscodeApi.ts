import type { PanelToHost } from '../src/protocol/panelProtocol';
import type { PersistedPanelState } from './persistedState';

interface WebviewApi {
  postMessage(message: PanelToHost): void;
  getState(): unknown;
  setState(state: PersistedPanelState | undefined): void;
}

declare function acquireVsCodeApi(): WebviewApi;

/** VS Code allows one acquireVsCodeApi() per page, so the whole webview shares this one. */
export const vscodeApi: WebviewApi = acquireVsCodeApi();
