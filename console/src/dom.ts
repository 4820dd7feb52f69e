/** Children accepted by {@link h}: nodes, or text that is always inserted as a text node, never parsed as HTML. */
export type Child = Node | string | number | null | undefined | false | Child[];

export type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/**
 * Creates an element. Attributes are set with setAttribute (`on*` keys become event listeners), text goes in as text
 * nodes: no value from Lacework or a user can ever become markup.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element, with the same rules as {@link h}. */
export function svg(tag: string, attrs: Attrs | null = null, ...children: Child[]): SVGElement {
  const el: SVGElement = document.createElementNS(SVG_NS, tag as keyof SVGElementTagNameMap);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

function applyAttrs(el: Element, attrs: Attrs | null): void {
  if (attrs === null) {
    return;
  }
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (value === true) {
      el.setAttribute(name, '');
    } else if (value !== false && value !== null && value !== undefined) {
      el.setAttribute(name, String(value));
    }
  }
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(parent, child);
    } else if (child instanceof Node) {
      parent.appendChild(child);
    } else {
      parent.appendChild(document.createTextNode(String(child)));
    }
  }
}

/** Replaces every child of `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let idCounter = 0;
/** A document-unique id, for label/input pairs. */
export function uid(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** A labelled form field. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id === '' ? uid('f') : control.id;
  control.id = id;
  const hintEl = hint === undefined ? null : h('span', { class: 'hint', id: `${id}-hint` }, hint);
  if (hintEl !== null) {
    control.setAttribute('aria-describedby', hintEl.id);
  }
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}

export function button(
  label: string,
  onClick: () => void | Promise<void>,
  attrs: Attrs = {},
): HTMLButtonElement {
  return h(
    'button',
    {
      type: 'button',
      ...attrs,
      onclick: () => {
        void onClick();
      },
    },
    label,
  );
}
