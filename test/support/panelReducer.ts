import { initialPanelState, reducePanelState, type PanelAction, type PanelState } from '../../webview/panelState';

/** Runs the actions through the panel's reducer from the state the panel starts in. */
export function run(...actions: PanelAction[]): PanelState {
  return actions.reduce(reducePanelState, initialPanelState());
}
