type AttributeValue = string | number | boolean | undefined;

/**
 * Creates an element with attributes (false/undefined leave one out, true sets it empty) and
 * children. Attributes rather than properties, so custom elements read them as they upgrade.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, AttributeValue> = {},
  children: readonly (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...children);
  return element;
}

/**
 * Puts `nodes` into `parent` in order, moving only what is out of place: a node that is moved
 * loses keyboard focus, so an unchanged item must stay where it is.
 */
export function reconcileChildren(parent: Element, nodes: readonly Element[]): void {
  const wanted = new Set(nodes);
  for (const child of [...parent.children]) {
    if (!wanted.has(child)) child.remove();
  }
  nodes.forEach((node, index) => {
    const current = parent.children[index];
    if (current !== node) parent.insertBefore(node, current ?? null);
  });
}

export function setText(element: Element, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

export const isMac = /Mac|iPhone|iPad/.test(navigator.userAgent);
