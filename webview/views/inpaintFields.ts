import type { InpaintOptions } from '../../src/protocol/panelProtocol';
import type { InpaintArea, Outpaint } from '../../src/protocol/recipe';
import { h, setText } from '../dom';
import { MAX_IMAGE_SIDE, MAX_MASK_BLUR, OUTPAINT_MULTIPLE } from '../../src/protocol/generationLimits';
import { inpaintSize, OUTPAINT_SIDES, parseOutpaintMargin, parsePixels } from '../inpaintOptions';
import type { FormView, ViewContext } from './view';

const AREA_LABELS: Record<InpaintArea, string> = {
  full: 'Whole picture',
  masked: 'Only masked (crop around the mask)',
};
const AREA_HELP =
  "Whole picture: the model sees all of it and repaints the mask. Only masked (AUTOMATIC1111's): the part around the mask " +
  'is cut out, worked at the working size (the model’s own by default), and pasted back with a soft edge: more detail for small fixes.';
const SIDE_LABELS: Record<keyof Outpaint, string> = { left: 'Left', top: 'Top', right: 'Right', bottom: 'Bottom' };

/**
 * Inpainting's options under the picture's strength: the mask's blur, the area worked on (with
 * its padding) and the outpaint margins, with the size they make. Shown only in inpainting mode.
 */
export function createInpaintFields(context: ViewContext): FormView {
  let options: InpaintOptions | undefined;
  const edit = (change: Partial<InpaintOptions>) => {
    if (options) context.dispatch({ type: 'edit', settings: { inpaint: { ...options, ...change } } });
  };

  const blur = pixelField('mask-blur', 'Mask blur (px)', `Softens the mask's edge before use, 0 to ${MAX_MASK_BLUR} px`, (text) => {
    const value = parsePixels(text, MAX_MASK_BLUR);
    if (value !== undefined) edit({ maskBlur: value });
    return value !== undefined;
  });
  const padding = pixelField('mask-padding', 'Padding (px)', `Context kept around the mask when only it is worked on, 0 to ${MAX_IMAGE_SIDE} px`, (text) => {
    const value = parsePixels(text, MAX_IMAGE_SIDE);
    if (value !== undefined) edit({ maskPadding: value });
    return value !== undefined;
  });
  const area = h('vscode-single-select', { id: 'inpaint-area', 'data-testid': 'inpaint-area', title: AREA_HELP },
    (Object.keys(AREA_LABELS) as InpaintArea[]).map((value) => h('vscode-option', { value }, [AREA_LABELS[value]])),
  );
  area.addEventListener('change', () => {
    const value = (Object.keys(AREA_LABELS) as InpaintArea[]).find((a) => a === area.value);
    if (value) context.dispatch({ type: 'inpaintArea', area: value });
  });
  const margins = OUTPAINT_SIDES.map((side) =>
    pixelField(`outpaint-${side}`, SIDE_LABELS[side], `Pixels added on the ${side}, a multiple of ${OUTPAINT_MULTIPLE}`, (text) => {
      const value = parseOutpaintMargin(text);
      if (value !== undefined && options) edit({ outpaint: { ...options.outpaint, [side]: value } });
      return value !== undefined;
    }, OUTPAINT_MULTIPLE),
  );
  const size = h('p', { class: 'hint', 'data-testid': 'inpaint-size' });

  const element = h('section', { class: 'inpaint-fields', 'data-testid': 'inpaint-fields', 'aria-labelledby': 'inpaint-heading', hidden: true }, [
    h('h2', { id: 'inpaint-heading' }, ['Inpainting']),
    h('div', { class: 'row' }, [
      blur.element,
      h('div', { class: 'field' }, [h('vscode-label', { for: 'inpaint-area' }, ['Area']), area]),
    ]),
    padding.element,
    h('h3', {}, ['Outpaint: extend the canvas']),
    h('div', { class: 'row outpaint-row' }, margins.map((m) => m.element)),
    size,
  ]);

  return {
    element,
    update(state) {
      options = state.settings.inpaint;
      element.hidden = options === undefined || state.initImage === undefined;
      if (!options || !state.initImage) return;
      if (area.value !== options.inpaintArea) area.value = options.inpaintArea;
      padding.element.hidden = options.inpaintArea !== 'masked';
      const { width, height } = inpaintSize(state.initImage, options.outpaint);
      const grown = width !== state.initImage.width || height !== state.initImage.height;
      const working = options.inpaintArea === 'masked' ? ` The part around the mask is worked at ${state.settings.width} × ${state.settings.height}.` : '';
      setText(size, `The result: ${width} × ${height}${grown ? ` (the picture is ${state.initImage.width} × ${state.initImage.height})` : ', the picture’s own size'}, saved next to it as a new file.${working}`);
    },
    write(state) {
      const inpaint = state.settings.inpaint;
      if (!inpaint) return;
      blur.set(inpaint.maskBlur);
      padding.set(inpaint.maskPadding);
      OUTPAINT_SIDES.forEach((side, i) => margins[i]!.set(inpaint.outpaint[side]));
    },
  };
}

/** A labelled whole-number field that marks text it cannot take; `accept` applies the value and says whether it could. */
function pixelField(id: string, label: string, title: string, accept: (text: string) => boolean, step = 1) {
  const input = h('vscode-textfield', { id, 'data-testid': id, type: 'number', min: 0, step, title });
  input.addEventListener('input', () => {
    input.invalid = !accept(input.value);
  });
  return {
    element: h('div', { class: 'field' }, [h('vscode-label', { for: id }, [label]), input]),
    set(value: number) {
      input.value = String(value);
      input.invalid = false;
    },
  };
}
