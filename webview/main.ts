import './elements';
import type { HostToPanel, PanelToHost } from '../src/protocol/panelProtocol';
import { debounce } from './debounce';
import { h } from './dom';
import { generateBlocker } from './generateReadiness';
import { changesPersistedState, needsTokenCount, reducePanelState, rewritesForm, type PanelAction } from './panelState';
import { persistPanelState, restorePanelState } from './persistedState';
import { settingsToGenerate } from './samplers';
import { createComparison } from './views/comparison';
import { createErrorMessage } from './views/errorMessage';
import { createGallery } from './views/gallery';
import { createGenerateActions } from './views/generateActions';
import { createInitImageView } from './views/initImage';
import { createInpaintFields } from './views/inpaintFields';
import { createMaskPainter } from './views/maskPainter';
import { createModelPicker } from './views/modelPicker';
import { createProgressPreview } from './views/progressPreview';
import { createPromptFields } from './views/promptFields';
import { createQueueList } from './views/queueList';
import { createFinishFields } from './views/finishFields';
import { createRefinerFields } from './views/refinerFields';
import { createSettingsFields } from './views/settingsFields';
import type { FormView, View, ViewContext } from './views/view';
import { vscodeApi } from './vscodeApi';

/** Token counts wait for a pause in typing, so the engine is not asked on every keystroke. */
const TOKEN_COUNT_DELAY_MS = 200;

let state = restorePanelState(vscodeApi.getState());

const post = (message: PanelToHost) => vscodeApi.postMessage(message);
const context: ViewContext = { dispatch, post };

let tokenRequests = 0;
const countTokens = debounce(() => {
  const requestId = ++tokenRequests;
  dispatch({ type: 'tokenCountRequested', requestId });
  const { modelDir, prompt, negativePrompt, promptWeighting } = state.settings;
  post({ type: 'countTokens', requestId, modelDir, prompt, negativePrompt, weighting: promptWeighting });
}, TOKEN_COUNT_DELAY_MS);

function generate(): void {
  if (generateBlocker(state) !== undefined) return;
  dispatch({ type: 'generateRequested' });
  const mask = state.settings.inpaint ? maskPainter.maskPng() : undefined;
  post({ type: 'generate', settings: settingsToGenerate(state.settings), ...(mask !== undefined ? { mask } : {}) });
}

const modelPicker = createModelPicker(context);
const initImage = createInitImageView(context);
const promptFields = createPromptFields(context);
const settingsFields = createSettingsFields(context);
const refinerFields = createRefinerFields(context);
const finishFields = createFinishFields(context);
const inpaintFields = createInpaintFields(context);
const maskPainter = createMaskPainter(context);
const formViews: FormView[] = [modelPicker, promptFields, settingsFields, inpaintFields, finishFields];
const outputViews: View[] = [
  maskPainter,
  createErrorMessage(context),
  createQueueList(),
  createComparison(),
  createProgressPreview(),
  createGallery(context),
];
const actions = createGenerateActions(context, generate);
const views: View[] = [...formViews, initImage, refinerFields, actions, ...outputViews];

document.getElementById('app')?.append(
  h(
    'section',
    { class: 'form-column', 'aria-label': 'Image settings' },
    [modelPicker, initImage, inpaintFields, promptFields, settingsFields, refinerFields, finishFields, actions].map((v) => v.element),
  ),
  h('section', { class: 'output-column', 'aria-label': 'Results' }, outputViews.map((v) => v.element)),
);

function dispatch(action: PanelAction): void {
  state = reducePanelState(state, action);
  if (rewritesForm(action)) for (const view of formViews) view.write(state);
  for (const view of views) view.update(state);
  if (changesPersistedState(action)) vscodeApi.setState(persistPanelState(state));
  if (needsTokenCount(action)) countTokens.schedule();
}

for (const view of formViews) view.write(state);
for (const view of views) view.update(state);

window.addEventListener('message', (event: MessageEvent<HostToPanel>) => {
  if (typeof event.data?.type === 'string') dispatch(event.data);
});

document.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey) {
    event.preventDefault();
    generate();
  }
});

post({ type: 'ready' });
