import { h } from '../dom';
import { NUMBER_FIELD_LABELS } from '../generateReadiness';
import { NUMBER_FIELDS, numberFieldHint, parseNumberField, type NumberFieldName } from '../numberFields';
import type { ViewContext } from './view';

export interface NumberField {
  /** The label and the input, to place in the layout. */
  element: HTMLElement;
  input: HTMLElementTagNameMap['vscode-textfield'];
}

/** A labelled number input that marks itself invalid and only passes on values the engine accepts. */
export function createNumberField(context: ViewContext, name: NumberFieldName, step: number): NumberField {
  const spec = NUMBER_FIELDS[name];
  const input = h('vscode-textfield', {
    id: name,
    'data-testid': name,
    type: 'number',
    min: spec.min,
    max: spec.max,
    step,
    title: `${NUMBER_FIELD_LABELS[name]}: ${numberFieldHint(spec)}`,
  });
  input.addEventListener('input', () => {
    const value = parseNumberField(input.value, spec);
    input.invalid = value === undefined;
    context.dispatch({ type: 'numberField', field: name, value });
  });
  const element = h('div', { class: 'field' }, [h('vscode-label', { for: name }, [NUMBER_FIELD_LABELS[name]]), input]);
  return { element, input };
}
