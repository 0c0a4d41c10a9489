import type { PanelSettings, SeedMode } from '../../src/protocol/panelProtocol';
import { h, setText } from '../dom';
import type { NumberFieldName } from '../numberFields';
import { samplerSupportsKarras } from '../../src/protocol/karras';
import { isSamplerName, SAMPLER_LABELS, SAMPLER_NAMES } from '../samplers';
import { SEED_MODE_LABELS, seedSummary } from '../seedSummary';
import { workingSizeShown } from '../inpaintOptions';
import { CUSTOM_SIZE, parseSizePreset, SIZE_PRESETS, sizePresetLabel, sizePresetValue } from '../sizePresets';
import { createNumberField, type NumberField } from './numberField';
import type { FormView, ViewContext } from './view';

const SEED_MODES = Object.keys(SEED_MODE_LABELS) as SeedMode[];

const TILING_LABELS: Record<PanelSettings['tiling'], string> = {
  off: 'Off',
  x: 'Left to right (x)',
  y: 'Top to bottom (y)',
  both: 'Both ways',
};
const TILING_HELP =
  "AUTOMATIC1111's Tiling: the image wraps around its edges, so copies of it laid side by side show no seam. " +
  'The first image with a new choice takes a moment longer while the model is prepared.';

/** Size, steps, guidance, sampler, seed and batch count. */
export function createSettingsFields(context: ViewContext): FormView {
  const numbers: Record<NumberFieldName, NumberField> = {
    width: createNumberField(context, 'width', 8),
    height: createNumberField(context, 'height', 8),
    steps: createNumberField(context, 'steps', 1),
    guidance: createNumberField(context, 'guidance', 0.5),
    seed: createNumberField(context, 'seed', 1),
    batch: createNumberField(context, 'batch', 1),
  };

  const size = select('size', 'size-preset', [
    ...SIZE_PRESETS.map((p) => option(sizePresetValue(p), sizePresetLabel(p))),
    option(CUSTOM_SIZE, 'Custom'),
  ]);
  const customSize = h('div', { class: 'row', 'data-testid': 'custom-size', hidden: true }, [
    numbers.width.element,
    numbers.height.element,
  ]);
  const workingSize = h('div', { class: 'field', 'data-testid': 'working-size', hidden: true }, [
    h('vscode-label', {}, ['Working size of the masked area']),
    h('p', { class: 'hint' }, ['The crop around the mask is scaled to this size, repainted, and scaled back: the model’s own size by default.']),
  ]);
  size.addEventListener('change', () => {
    const preset = parseSizePreset(size.value);
    context.dispatch({ type: 'customSize', custom: preset === undefined });
    if (preset) context.dispatch({ type: 'edit', settings: preset });
  });

  const sampler = select('sampler', 'sampler', SAMPLER_NAMES.map((name) => option(name, SAMPLER_LABELS[name])));
  sampler.addEventListener('change', () => {
    if (isSamplerName(sampler.value)) context.dispatch({ type: 'edit', settings: { sampler: sampler.value } });
  });
  const karras = h('vscode-checkbox', { 'data-testid': 'karras' }, ['Karras noise levels']);
  karras.addEventListener('change', () => context.dispatch({ type: 'edit', settings: { karras: karras.checked } }));

  const seedMode = select('seed-mode', 'seed-mode', SEED_MODES.map((mode) => option(mode, SEED_MODE_LABELS[mode])));
  seedMode.addEventListener('change', () => {
    const mode = SEED_MODES.find((m) => m === seedMode.value);
    if (mode) context.dispatch({ type: 'edit', settings: { seedMode: mode } });
  });
  const seedHint = h('p', { class: 'hint', 'data-testid': 'seed-hint' });

  const tilingChoices = Object.keys(TILING_LABELS) as PanelSettings['tiling'][];
  const tiling = select('tiling', 'tiling', tilingChoices.map((choice) => option(choice, TILING_LABELS[choice])));
  tiling.title = TILING_HELP;
  tiling.addEventListener('change', () => {
    const choice = tilingChoices.find((c) => c === tiling.value);
    if (choice) context.dispatch({ type: 'edit', settings: { tiling: choice } });
  });

  const sizeField = h('div', { class: 'field' }, [h('vscode-label', { for: 'size' }, ['Size']), size]);
  const element = h('div', { class: 'settings' }, [
    sizeField,
    workingSize,
    customSize,
    h('div', { class: 'field' }, [h('vscode-label', { for: 'tiling' }, ['Seamless tiles']), tiling]),
    h('div', { class: 'row' }, [numbers.steps.element, numbers.guidance.element]),
    h('div', { class: 'row' }, [
      h('div', { class: 'field' }, [h('vscode-label', { for: 'sampler' }, ['Sampler']), sampler]),
      h('div', { class: 'field checkbox-field' }, [karras]),
    ]),
    h('div', { class: 'row' }, [
      h('div', { class: 'field' }, [h('vscode-label', { for: 'seed-mode' }, ['Seed mode']), seedMode]),
      numbers.seed.element,
    ]),
    seedHint,
    h('div', { class: 'row' }, [numbers.batch.element]),
  ]);

  return {
    element,
    update(state) {
      const { settings } = state;
      syncValue(size, state.customSize ? CUSTOM_SIZE : sizePresetValue(settings));
      // Inpainting keeps the picture's size, which its options show; only masked works at the fields' size.
      const working = workingSizeShown(settings);
      sizeField.hidden = settings.inpaint !== undefined;
      workingSize.hidden = !working;
      customSize.hidden = !working && (!state.customSize || settings.inpaint !== undefined);
      syncValue(sampler, settings.sampler);
      karras.disabled = !samplerSupportsKarras(settings.sampler);
      karras.title = karras.disabled ? 'Only Euler and DPM++ 2M use Karras noise levels.' : '';
      if (karras.checked !== settings.karras) karras.checked = settings.karras;
      syncValue(seedMode, settings.seedMode);
      syncValue(tiling, settings.tiling);
      numbers.seed.input.disabled = settings.seedMode !== 'fixed';
      setText(seedHint, seedSummary(settings.seedMode, settings.seed, state.lastSeed, settings.batch));
    },
    write(state) {
      for (const [name, field] of Object.entries(numbers) as [NumberFieldName, NumberField][]) {
        field.input.value = String(state.settings[name]);
        field.input.invalid = false;
      }
    },
  };
}

function select(id: string, testId: string, options: HTMLElement[]) {
  return h('vscode-single-select', { id, 'data-testid': testId }, options);
}

function option(value: string, label: string): HTMLElement {
  return h('vscode-option', { value }, [label]);
}

function syncValue(element: HTMLElementTagNameMap['vscode-single-select'], value: string): void {
  if (element.value !== value) element.value = value;
}
