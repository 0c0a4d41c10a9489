import type { PanelToHost } from '../../src/protocol/panelProtocol';
import type { PanelAction, PanelState } from '../panelState';

/** What every part of the panel may do: change the state, or ask the host. */
export interface ViewContext {
  dispatch(action: PanelAction): void;
  post(message: PanelToHost): void;
}

export interface View {
  readonly element: HTMLElement;
  /**
   * Shows the state. Text inputs are left alone here: rewriting them on every keystroke would
   * move the caret and eat half-typed numbers such as "7.".
   */
  update(state: PanelState): void;
}

export interface FormView extends View {
  /** Puts the settings into the text inputs, after the host replaced them. */
  write(state: PanelState): void;
}
