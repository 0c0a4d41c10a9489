import { h, setText } from '../dom';
import {
  COLORS_RANGE,
  FACTOR_RANGE,
  FIT_LABELS,
  OUTPUT_SIDE_RANGE,
  outputTurnedOn,
  paddingColor,
  PANEL_DENSITIES,
  PIXEL_ART_DEFAULT,
  wholeNumberIn,
  withColorCount,
  withDensity,
  withFit,
  withTransparency,
} from '../finishSettings';
import type { PanelState } from '../panelState';
import type { PanelSettings } from '../../src/protocol/panelProtocol';
import { OUTPUT_FITS, type OutputFit } from '../../src/protocol/recipe';
import { createFocusPicker } from './focusPicker';
import type { FormView, ViewContext } from './view';

const TRANSPARENT_HELP =
  'After decoding, a background-matting model (BiRefNet lite, MIT licence, 224 MB, downloaded on first use) ' +
  'makes the background transparent: a PNG or WebP with an alpha channel.';
const PALETTE_HELP = 'A .hex (one rrggbb a line, as Lospec publishes them) or GIMP .gpl file; the recipe records its colours.';
const DENSITY_HELP = 'Each density writes the exact size times it: name.png, name@2x.png, name@3x.png, each with its own recipe.';
const ISOLATE_HELP = 'Adds "isolated single subject, centered, on a plain flat white background" to the prompt, so the cut-out is clean.';

/** The finished file: a transparent background, an exact size with its fit, a site's icon set, pixel art. */
export function createFinishFields(context: ViewContext): FormView {
  let current: PanelState | undefined;
  const edit = (settings: Partial<PanelSettings>) => context.dispatch({ type: 'edit', settings });

  const transparent = h('vscode-checkbox', { 'data-testid': 'transparent-background', title: TRANSPARENT_HELP }, ['Transparent background']);
  transparent.addEventListener('change', () => {
    if (current) edit(withTransparency(current.settings, transparent.checked));
  });
  const isolate = h('vscode-checkbox', { 'data-testid': 'isolate-subject', title: ISOLATE_HELP }, ['Isolate the subject (adds words to the prompt)']);
  isolate.addEventListener('change', () => {
    if (current?.settings.transparentBackground) edit({ transparentBackground: { isolateSubject: isolate.checked } });
  });
  const isolateField = h('div', { class: 'field checkbox-field nested', 'data-testid': 'isolate-subject-field', hidden: true }, [isolate]);

  const exact = h('vscode-checkbox', { 'data-testid': 'exact-size' }, ['Exact size']);
  exact.addEventListener('change', () => {
    if (current) edit({ output: exact.checked ? outputTurnedOn(current.settings) : undefined });
  });
  const outputWidth = numberInput('output-width', 'Output width', OUTPUT_SIDE_RANGE);
  const outputHeight = numberInput('output-height', 'Output height', OUTPUT_SIDE_RANGE);
  const fit = h(
    'vscode-single-select',
    { id: 'output-fit', 'data-testid': 'output-fit' },
    OUTPUT_FITS.map((name) => h('vscode-option', { value: name }, [FIT_LABELS[name]])),
  );
  fit.addEventListener('change', () => {
    const output = current?.settings.output;
    const chosen = OUTPUT_FITS.find((name) => name === fit.value) as OutputFit | undefined;
    if (output && chosen && chosen !== output.fit) edit({ output: withFit(output, chosen, current?.settings.transparentBackground !== undefined) });
  });
  for (const [field, key] of [[outputWidth, 'width'], [outputHeight, 'height']] as const) {
    field.input.addEventListener('input', () => {
      const value = wholeNumberIn(field.input.value, ...OUTPUT_SIDE_RANGE);
      field.input.invalid = value === undefined;
      const output = current?.settings.output;
      if (output && value !== undefined) edit({ output: { ...output, [key]: value } });
    });
  }
  const densityBoxes = PANEL_DENSITIES.map((density) => {
    const box = h('vscode-checkbox', { 'data-testid': `density-${density}`, title: DENSITY_HELP }, [`${density}×`]);
    box.addEventListener('change', () => {
      if (current) edit({ densities: withDensity(current.settings.densities, density, box.checked) });
    });
    return { density, box };
  });
  const densityField = h('div', { class: 'field', 'data-testid': 'densities' }, [
    h('vscode-label', {}, ['Densities']),
    h('div', { class: 'inline' }, densityBoxes.map(({ box }) => box)),
  ]);
  const focusPicker = createFocusPicker((focus) => {
    const output = current?.settings.output;
    if (output && output.fit !== 'contain') edit({ output: { ...output, focus } });
  });
  const padColor = h('input', { id: 'contain-background', type: 'color', 'data-testid': 'contain-background', title: 'The colour contain pads with' });
  padColor.addEventListener('input', () => {
    const output = current?.settings.output;
    const color = paddingColor(padColor.value);
    if (output?.fit === 'contain' && color !== undefined && !current?.settings.transparentBackground) edit({ output: { ...output, background: color } });
  });
  const padField = h('div', { class: 'field', 'data-testid': 'contain-background-field', hidden: true }, [
    h('vscode-label', { for: 'contain-background' }, ['Padding colour']),
    padColor,
  ]);
  const sizeFields = h('div', { 'data-testid': 'exact-size-fields', hidden: true }, [
    h('div', { class: 'row' }, [outputWidth.element, outputHeight.element]),
    densityField,
    h('div', { class: 'field' }, [h('vscode-label', { for: 'output-fit' }, ['Fit']), fit]),
    focusPicker.element,
    padField,
  ]);

  const iconSet = h('vscode-checkbox', { 'data-testid': 'icon-set' }, ['Icon set (favicon.ico, Apple and Android icons)']);
  iconSet.addEventListener('change', () => edit({ iconSet: iconSet.checked }));

  const pixelArt = h('vscode-checkbox', { 'data-testid': 'pixel-art' }, ['Pixel art']);
  pixelArt.addEventListener('change', () => edit({ pixelArt: pixelArt.checked ? PIXEL_ART_DEFAULT : undefined }));
  const factor = numberInput('pixel-factor', 'Shrink by', FACTOR_RANGE);
  const colors = numberInput('palette-colors', 'Colours', COLORS_RANGE);
  factor.input.addEventListener('input', () => {
    const value = wholeNumberIn(factor.input.value, ...FACTOR_RANGE);
    factor.input.invalid = value === undefined;
    const art = current?.settings.pixelArt;
    if (art && value !== undefined) edit({ pixelArt: { ...art, factor: value } });
  });
  colors.input.addEventListener('input', () => {
    const value = wholeNumberIn(colors.input.value, ...COLORS_RANGE);
    colors.input.invalid = value === undefined;
    const art = current?.settings.pixelArt;
    if (art && value !== undefined) edit({ pixelArt: { factor: art.factor, colors: value } });
  });
  const paletteNote = h('p', { class: 'hint', 'data-testid': 'palette-note' });
  const swatches = h('div', { class: 'palette-swatches', 'data-testid': 'palette-swatches', role: 'list', 'aria-label': 'Palette colours' });
  const choosePalette = h('vscode-button', { secondary: true, 'data-testid': 'choose-palette', title: PALETTE_HELP }, ['Choose palette file…']);
  choosePalette.addEventListener('click', () => context.post({ type: 'pickPaletteFile' }));
  const colorCount = h('vscode-button', { secondary: true, 'data-testid': 'palette-count', hidden: true }, ['Use a colour count']);
  colorCount.addEventListener('click', () => {
    const art = current?.settings.pixelArt;
    if (art?.palette) edit({ pixelArt: withColorCount(art) });
  });
  const pixelFields = h('div', { 'data-testid': 'pixel-art-fields', hidden: true }, [
    h('div', { class: 'row' }, [factor.element, colors.element]),
    h('div', { class: 'inline palette-actions' }, [choosePalette, colorCount]),
    swatches,
    paletteNote,
  ]);
  const hint = h('p', { class: 'hint', 'data-testid': 'finish-hint' });

  const element = h('div', { class: 'settings', 'data-testid': 'finish' }, [
    h('div', { class: 'field checkbox-field' }, [transparent]),
    isolateField,
    h('div', { class: 'field checkbox-field' }, [exact]),
    sizeFields,
    h('div', { class: 'field checkbox-field' }, [iconSet]),
    h('div', { class: 'field checkbox-field' }, [pixelArt]),
    pixelFields,
    hint,
  ]);

  const write = (state: PanelState) => {
      const { output, pixelArt: art } = state.settings;
      if (output) {
        outputWidth.input.value = String(output.width);
        outputHeight.input.value = String(output.height);
      }
      if (art) {
        factor.input.value = String(art.factor);
        colors.input.value = art.colors !== undefined ? String(art.colors) : '';
      }
      for (const field of [outputWidth, outputHeight, factor, colors]) field.input.invalid = false;
  };

  return {
    element,
    write,
    update(state) {
      const turnedOn = (was: PanelState | undefined, key: 'output' | 'pixelArt') => !was?.settings[key] && state.settings[key];
      const fieldsNeedValues = turnedOn(current, 'output') || turnedOn(current, 'pixelArt');
      current = state;
      if (fieldsNeedValues) write(state);
      const { output, pixelArt: art, iconSet: icons, transparentBackground: background } = state.settings;
      if (transparent.checked !== (background !== undefined)) transparent.checked = background !== undefined;
      isolateField.hidden = background === undefined;
      if (isolate.checked !== (background?.isolateSubject === true)) isolate.checked = background?.isolateSubject === true;
      if (exact.checked !== (output !== undefined)) exact.checked = output !== undefined;
      sizeFields.hidden = output === undefined;
      if (output && fit.value !== output.fit) fit.value = output.fit;
      focusPicker.element.hidden = !output || output.fit === 'contain';
      if (output && output.fit !== 'contain') focusPicker.update(state, output.focus ?? [0.5, 0.5]);
      padField.hidden = output?.fit !== 'contain' || background !== undefined;
      if (output?.background !== undefined && padColor.value !== output.background) padColor.value = output.background;
      const densities = state.settings.densities ?? [1];
      densityField.hidden = icons === true;
      for (const { density, box } of densityBoxes) if (box.checked !== densities.includes(density)) box.checked = densities.includes(density);
      if (iconSet.checked !== (icons === true)) iconSet.checked = icons === true;
      if (pixelArt.checked !== (art !== undefined)) pixelArt.checked = art !== undefined;
      pixelFields.hidden = art === undefined;
      colors.element.hidden = art?.palette !== undefined;
      colorCount.hidden = art?.palette === undefined;
      setText(paletteNote, art?.palette ? `A palette of ${art.palette.length} colours: each pixel takes the nearest.` : '');
      showSwatches(swatches, art?.palette ?? []);
      setText(hint, finishHint(state));
    },
  };
}

function finishHint({ settings }: PanelState): string {
  const { output, pixelArt, iconSet, width, height, densities } = settings;
  if (iconSet) return 'Icons 16 to 512 px, favicon.ico, apple-touch-icon and Android icons with site.webmanifest, in a folder.';
  if (output && densities) {
    const sizes = densities.map((d) => `${output.width * d}×${output.height * d}${d === 1 ? '' : ` (@${d}x)`}`);
    return `The files will be ${sizes.join(', ')}.`;
  }
  const factor = pixelArt?.factor ?? 1;
  const fileWidth = output ? output.width : Math.floor(width / factor);
  const fileHeight = output ? output.height : Math.floor(height / factor);
  return output || pixelArt ? `The file will be ${fileWidth}×${fileHeight}.` : '';
}

/** One square a colour, titled with its hex; rebuilt only when the palette changes. */
function showSwatches(container: HTMLElement, palette: readonly string[]): void {
  const key = palette.join(',');
  if (container.dataset.palette === key) return;
  container.dataset.palette = key;
  container.replaceChildren(
    ...palette.map((color) => {
      const swatch = h('span', { class: 'swatch', role: 'listitem', title: color, 'aria-label': color });
      swatch.style.backgroundColor = color;
      return swatch;
    }),
  );
}

function numberInput(id: string, label: string, [min, max]: readonly [number, number]) {
  const input = h('vscode-textfield', { id, 'data-testid': id, type: 'number', min, max, step: 1, title: `${label}: ${min} to ${max}` });
  const element = h('div', { class: 'field' }, [h('vscode-label', { for: id }, [label]), input]);
  return { input, element };
}
