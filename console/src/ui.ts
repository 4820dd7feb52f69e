import { ApiError } from './api';
import { button, Child, h } from './dom';
import { session } from './session';

/** The API's message for a failed call, shown where the data would have been. */
export function errorBox(error: unknown): HTMLElement {
  const message =
    error instanceof ApiError
      ? error.message
      : error instanceof Error
        ? error.message
        : 'something went wrong';
  return h('p', { class: 'error', role: 'alert' }, message);
}

export function emptyState(text: string, ...actions: Child[]): HTMLElement {
  return h('div', { class: 'empty' }, h('p', null, text), ...actions);
}

export function badge(state: string, label = state): HTMLElement {
  return h('span', { class: `badge badge-${state.replace(/[^a-z_]/gi, '')}` }, label.replace(/_/g, ' '));
}

/** A table with a header row; `caption` names it for screen readers. */
export function table(caption: string, headers: string[], rows: HTMLTableRowElement[]): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      null,
      h('caption', { class: 'sr-only' }, caption),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          headers.map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h('tbody', null, rows),
    ),
  );
}

export function row(...cells: Child[]): HTMLTableRowElement {
  return h(
    'tr',
    null,
    cells.map((c) => h('td', null, c)),
  );
}

/** A status line for the result of an action, announced to screen readers. */
export function notice(): {
  el: HTMLElement;
  ok(text: string): void;
  fail(error: unknown): void;
  clear(): void;
} {
  const el = h('div', { class: 'notice', 'aria-live': 'polite' });
  return {
    el,
    ok: (text) => el.replaceChildren(h('p', { class: 'ok' }, text)),
    fail: (error) => el.replaceChildren(errorBox(error)),
    clear: () => el.replaceChildren(),
  };
}

/** Write controls exist only for the admin: a viewer's pages carry none. */
export function adminOnly<T>(make: () => T): T | null {
  return session.isAdmin() ? make() : null;
}

/** Asks before a destructive action, naming what it removes. */
export function confirmAction(text: string): boolean {
  return window.confirm(text);
}

export function link(href: string, text: string): HTMLAnchorElement {
  return h('a', { href }, text);
}

/** A definition list of label/value pairs. */
export function facts(pairs: [string, Child][]): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    pairs.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
  );
}

/** A button that copies `text` to the clipboard and says so in `status`. */
export function copyButton(
  label: string,
  text: string,
  status: ReturnType<typeof notice>,
  done: string,
): HTMLButtonElement {
  return button(label, async () => {
    try {
      await navigator.clipboard.writeText(text);
      status.ok(done);
    } catch (error) {
      status.fail(error);
    }
  });
}
