import type { InitImage, PanelSettings } from '../../src/protocol/panelProtocol';
import { h, setText } from '../dom';
import { denoisingSteps } from '../../src/protocol/denoisingSteps';
import { modeStrength, STRENGTH_MAX, STRENGTH_MIN, STRENGTH_STEP, strengthEdit, strengthHint, strengthText } from '../imageToImage';
import type { View, ViewContext } from './view';

/**
 * Image-to-image and inpainting modes: the input picture, the strength slider with its value,
 * and the ways back to image to image and text to image. Hidden in text-to-image mode. vscode-elements has no slider, so the
 * strength is a native range input themed in main.css.
 */
export function createInitImageView(context: ViewContext): View {
  const preview = h('img', { 'data-testid': 'init-image-preview', alt: '' });
  const caption = h('figcaption', { class: 'hint', 'data-testid': 'init-image-label' });
  const leave = h('vscode-button', { secondary: true, icon: 'close', 'data-testid': 'leave-img2img' }, ['Text to image']);
  leave.title = 'Leave image to image and generate from the prompt alone';
  leave.addEventListener('click', () => context.dispatch({ type: 'leaveImageToImage' }));
  const leaveInpaint = h('vscode-button', { secondary: true, icon: 'file-media', 'data-testid': 'leave-inpaint', hidden: true }, ['Image to image']);
  leaveInpaint.title = 'Stop inpainting and redo the whole picture from it';
  leaveInpaint.addEventListener('click', () => context.dispatch({ type: 'leaveInpaint' }));
  const heading = h('h2', { id: 'init-image-heading' }, ['Image to image']);
  const figure = h('figure', {}, [preview, caption]);

  const label = h('vscode-label', { id: 'strength-label', for: 'strength' }, ['Strength']);
  const value = h('output', { class: 'slider-value', 'data-testid': 'strength-value', for: 'strength' });
  const hint = h('p', { class: 'hint', id: 'strength-hint', 'data-testid': 'strength-hint' });
  const slider = h('input', {
    type: 'range',
    id: 'strength',
    class: 'slider',
    'data-testid': 'strength',
    min: STRENGTH_MIN,
    max: STRENGTH_MAX,
    step: STRENGTH_STEP,
    'aria-labelledby': 'strength-label',
    'aria-describedby': 'strength-hint',
  });
  let settings: PanelSettings | undefined;
  slider.addEventListener('input', () => {
    if (settings) context.dispatch({ type: 'edit', settings: strengthEdit(settings, Number(slider.value)) });
  });

  const element = h('section', { class: 'init-image', 'data-testid': 'init-image', 'aria-labelledby': 'init-image-heading', hidden: true }, [
    h('div', { class: 'section-head' }, [heading, h('div', { class: 'inline' }, [leaveInpaint, leave])]),
    figure,
    h('div', { class: 'field' }, [h('div', { class: 'field-head' }, [label, value]), slider, hint]),
  ]);

  let shown: InitImage | undefined;
  return {
    element,
    update(state) {
      const image = state.initImage;
      settings = state.settings;
      element.hidden = image === undefined;
      if (!image) return;
      // Inpainting shows the picture in the mask painter, large.
      const inpainting = state.settings.inpaint !== undefined;
      figure.hidden = inpainting;
      leaveInpaint.hidden = !inpainting;
      setText(heading, inpainting ? 'Inpaint' : 'Image to image');
      if (image !== shown) {
        shown = image;
        preview.src = image.src;
        preview.alt = `The input picture, ${image.label}`;
        setText(caption, `${image.label} · ${image.width} × ${image.height}`);
        caption.title = image.path;
      }
      const { steps } = state.settings;
      const strength = modeStrength(state.settings);
      if (Number(slider.value) !== strength) slider.value = String(strength);
      slider.setAttribute('aria-valuetext', strengthText(strength));
      setText(value, strengthText(strength));
      setText(hint, strengthHint(steps, strength));
      hint.classList.toggle('warning', denoisingSteps(steps, strength) < 1);
    },
  };
}
