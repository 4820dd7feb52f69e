import { ApiError, sendJson } from '../api';
import { h, replace, uid } from '../dom';
import { FORMATS, isSecret, KIND_ORDER, KINDS, SettingField } from '../destination-kinds';
import type { Destination, DestinationKind } from '../types';
import { notice } from '../ui';

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/** A labelled control with a place for the API's message about it. */
interface Slot {
  /** The field as the API names it: `url`, `settings.token`, `batch.maxEvents`, `headers`… */
  key: string;
  control: Control;
  wrap: HTMLElement;
  label: HTMLLabelElement;
  error: HTMLElement;
  setting?: SettingField;
}

const STORED = 'stored — leave empty to keep';
const AGAIN = 'required again — the address changed';

function slot(key: string, label: string, control: Control, hint?: string): Slot {
  const id = uid('f');
  control.id = id;
  const labelEl = h('label', { for: id }, label);
  const hintEl = hint === undefined ? null : h('span', { class: 'hint', id: `${id}-hint` }, hint);
  const error = h('span', { class: 'error-text', id: `${id}-error`, 'data-error-for': key });
  control.setAttribute('aria-describedby', hintEl === null ? error.id : `${hintEl.id} ${error.id}`);
  const check = control instanceof HTMLInputElement && control.type === 'checkbox';
  const wrap = check
    ? h('div', { class: 'field' }, h('div', { class: 'check' }, control, labelEl), hintEl, error)
    : h('div', { class: 'field' }, labelEl, control, hintEl, error);
  return { key, control, wrap, label: labelEl, error };
}

function select(options: readonly (readonly [string, string])[], selected: string): HTMLSelectElement {
  return h(
    'select',
    null,
    options.map(([value, label]) => h('option', { value, selected: value === selected }, label)),
  );
}

function text(value: unknown, attrs: Record<string, string> = {}): HTMLInputElement {
  const input = h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off', ...attrs });
  input.value = typeof value === 'string' || typeof value === 'number' ? String(value) : '';
  return input;
}

function secretInput(multiline: boolean, placeholder: string): HTMLInputElement | HTMLTextAreaElement {
  return multiline
    ? h('textarea', { rows: 4, spellcheck: 'false', autocomplete: 'off', placeholder })
    : h('input', { type: 'password', autocomplete: 'new-password', spellcheck: 'false', placeholder });
}

/** A stored setting as the text a control holds. */
function str(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : '';
}

function valueOf(control: Control): string {
  return control.value.trim();
}

/** A control's value as a `when` compares it: a check is `true` or `false`. */
function choice(control: Control): string {
  return control instanceof HTMLInputElement && control.type === 'checkbox'
    ? String(control.checked)
    : control.value;
}

function checkbox(checked: boolean): HTMLInputElement {
  return h('input', { type: 'checkbox', checked });
}

/** `Name: value` lines into an object; other lines are ignored. */
function parseHeaders(textValue: string): Record<string, string> {
  const parsed: Record<string, string> = {};
  for (const line of textValue.split('\n')) {
    const at = line.indexOf(':');
    if (line.trim() !== '' && at > 0) {
      parsed[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
  }
  return parsed;
}

/** The field an API message names (`400: settings.token: required again…`), if any. */
export function fieldOfMessage(message: string): string | null {
  return /^\d{3}: ([A-Za-z][A-Za-z.]*)[: ]/.exec(message)?.[1] ?? null;
}

/**
 * The create/edit form of a destination: a kind select that switches the fields, the format, the batch sizes. On
 * edit the write-only fields start empty and are only sent when typed; the API's message about a field is shown next
 * to it.
 */
export function destinationForm(
  existing: Destination | null,
  done: (saved: Destination | null) => void,
): HTMLFormElement {
  const status = notice();
  const name = text(existing?.name, { maxlength: '100', required: '' });
  const kindControl = select(
    KIND_ORDER.map((k) => [k, KINDS[k].label] as const),
    existing?.kind ?? 'webhook',
  );
  if (existing !== null) {
    kindControl.disabled = true;
  }
  const format = select(
    Object.entries(FORMATS).map(([value, label]) => [value, label] as const),
    existing?.format ?? 'document',
  );
  const url = slot('url', '', text(existing?.url, { inputmode: 'url', required: '' }));
  const fixed: Slot[] = [
    slot('name', 'Name', name),
    slot(
      'kind',
      'Kind',
      kindControl,
      existing === null ? undefined : 'A destination keeps its kind; create another for a different one.',
    ),
    slot('format', 'Format', format),
    url,
  ];
  const moved = h('p', { class: 'warn', 'aria-live': 'polite', hidden: true });
  const kindBox = h('div', { class: 'form' });
  let slots: Slot[] = [];

  const kind = (): DestinationKind => kindControl.value as DestinationKind;
  const all = (): Slot[] => [...fixed, ...slots];
  const find = (key: string): Slot | undefined => all().find((s) => s.key === key);
  const stored = (key: string): unknown => existing?.settings[key];
  const hasSecret = (key: string): boolean => existing?.credentialNames.includes(key) ?? false;

  /** Shows the fields whose `when` holds; hidden ones are disabled so they are neither checked nor sent. */
  const applyWhen = (): void => {
    for (const s of slots) {
      const when = s.setting?.when;
      if (when !== undefined) {
        const on = find(`settings.${when.key}`);
        const shown = on !== undefined && choice(on.control) === when.value;
        s.wrap.hidden = !shown;
        s.control.disabled = !shown;
      }
    }
  };

  /** On edit: says which secrets must be given again once the url (or a target field) changes. */
  const checkMoved = (): void => {
    if (existing === null) {
      return;
    }
    const info = KINDS[existing.kind];
    const changed =
      valueOf(url.control) !== existing.url ||
      info.targetFields.some((key) => {
        const s = find(`settings.${key}`);
        return s !== undefined && !s.control.disabled && valueOf(s.control) !== str(stored(key));
      });
    // Headers being removed are not needed again.
    const again = slots.filter(
      (s) =>
        (s.setting !== undefined && isSecret(s.setting) && hasSecret(s.setting.key)) ||
        (s.key === 'headers' && existing.headerNames.length > 0 && !s.control.disabled),
    );
    for (const s of again) {
      (s.control as HTMLInputElement).placeholder = changed ? AGAIN : STORED;
    }
    moved.hidden = !(changed && again.length > 0);
    moved.textContent =
      changed && again.length > 0
        ? `The address changed: give ${again.map((s) => s.label.textContent ?? s.key).join(', ')} again — a stored secret is only sent where it was given for.${again.some((s) => s.key === 'headers') ? ' Or remove all stored headers.' : ''}`
        : '';
  };

  const renderKind = (): void => {
    const info = KINDS[kind()];
    url.label.textContent = info.urlLabel;
    (url.control as HTMLInputElement).placeholder = info.urlPlaceholder;
    slots = [];
    if (kind() === 'webhook') {
      slots.push(
        slot(
          'signingSecret',
          'Signing secret (optional)',
          secretInput(false, existing === null ? '' : STORED),
          existing === null
            ? 'Empty: one is generated and shown once. Or give your own whsec_… value.'
            : 'Typing one replaces it; the old one keeps signing for 24 hours.',
        ),
        slot(
          'headers',
          'Static headers (one "Name: value" a line)',
          h('textarea', {
            rows: 3,
            spellcheck: 'false',
            placeholder:
              existing !== null && existing.headerNames.length > 0
                ? `${STORED} (${existing.headerNames.join(', ')})`
                : 'X-Ingest-Token: …',
          }),
          'Stored encrypted; only the names are shown afterwards.',
        ),
      );
      if (existing !== null && existing.headerNames.length > 0) {
        const remove = checkbox(false);
        const headers = find('headers')!.control;
        remove.addEventListener('change', () => {
          headers.disabled = remove.checked;
          checkMoved();
        });
        slots.push(
          slot('removeHeaders', `Remove all stored headers (${existing.headerNames.join(', ')})`, remove),
        );
      }
    }
    for (const f of info.fields) {
      let control: Control;
      if (isSecret(f)) {
        control = secretInput(
          f.control === 'secret-pem',
          existing !== null && hasSecret(f.key) ? STORED : '',
        );
      } else if (f.control === 'check') {
        control = checkbox(stored(f.key) === true);
        control.addEventListener('change', applyWhen);
      } else if (f.control === 'number') {
        control = h('input', { type: 'number', step: 1, min: f.min, max: f.max, placeholder: f.placeholder });
        control.value = str(stored(f.key));
      } else if (f.control === 'select') {
        control = select(f.options ?? [], str(stored(f.key) ?? f.initial));
        control.addEventListener('change', applyWhen);
      } else if (f.control === 'pem') {
        control = h('textarea', { rows: 4, spellcheck: 'false', placeholder: '-----BEGIN CERTIFICATE-----' });
        control.value = typeof stored(f.key) === 'string' ? (stored(f.key) as string) : '';
      } else {
        const attrs: Record<string, string> = {};
        if (f.placeholder !== undefined) {
          attrs.placeholder = f.placeholder;
        }
        if (f.max !== undefined) {
          attrs.maxlength = String(f.max);
        }
        control = text(stored(f.key), attrs);
      }
      if (info.targetFields.includes(f.key)) {
        control.addEventListener('input', checkMoved);
      }
      const s = slot(`settings.${f.key}`, f.label, control, f.hint);
      s.setting = f;
      slots.push(s);
    }
    if (info.batch !== null) {
      const b = info.batch;
      slots.push(
        slot(
          'batch.maxEvents',
          'Batch: most events per request (optional)',
          h('input', { type: 'number', min: 1, max: b.maxEvents, placeholder: String(b.events) }),
          `Default ${b.events}, at most ${b.maxEvents}.`,
        ),
        slot(
          'batch.maxBytes',
          'Batch: most bytes per request (optional)',
          h('input', { type: 'number', min: 1024, max: b.maxBytes, placeholder: String(b.bytes) }),
          `Default ${b.bytes}, at most ${b.maxBytes}.`,
        ),
      );
      if (existing !== null) {
        find('batch.maxEvents')!.control.value = String(existing.batch.maxEvents);
        find('batch.maxBytes')!.control.value = String(existing.batch.maxBytes);
      }
    }
    replace(
      kindBox,
      slots.map((s) => s.wrap),
    );
    applyWhen();
  };

  const settingsBody = (): Record<string, unknown> => {
    const settings: Record<string, unknown> = {};
    for (const s of slots) {
      const f = s.setting;
      if (f === undefined) {
        continue;
      }
      const was = stored(f.key);
      if (s.control.disabled) {
        // Not used with the current choice: drop what was stored.
        if (existing !== null && f.keepWhenHidden !== true && (was !== undefined || hasSecret(f.key))) {
          settings[f.key] = null;
        }
      } else if (f.control === 'check') {
        const checked = (s.control as HTMLInputElement).checked;
        if (existing === null ? checked : checked !== (was === true)) {
          settings[f.key] = checked;
        }
      } else {
        const value = valueOf(s.control);
        const sent = f.control === 'number' ? Number(value) : value;
        if (isSecret(f)) {
          if (value !== '') {
            settings[f.key] = sent;
          }
        } else if (existing === null) {
          if (value !== '') {
            settings[f.key] = sent;
          }
        } else if (value === '' && was !== undefined) {
          settings[f.key] = null;
        } else if (value !== '' && value !== str(was)) {
          settings[f.key] = sent;
        }
      }
    }
    return settings;
  };

  const body = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const put = (key: string, value: unknown, was: unknown): void => {
      if (existing === null || value !== was) {
        out[key] = value;
      }
    };
    put('name', valueOf(name), existing?.name);
    if (existing === null) {
      out.kind = kind();
    }
    put('format', format.value, existing?.format);
    put('url', valueOf(url.control), existing?.url);
    if (kind() === 'webhook') {
      const secret = valueOf(find('signingSecret')!.control);
      if (secret !== '') {
        out.signingSecret = secret;
      }
      const headers = find('headers')!.control;
      if (headers.disabled) {
        // "Remove all stored headers" is ticked.
        out.headers = {};
      } else if (headers.value.trim() !== '') {
        out.headers = parseHeaders(headers.value);
      }
    } else {
      const settings = settingsBody();
      if (existing === null || Object.keys(settings).length > 0) {
        out.settings = settings;
      }
    }
    const batch: Record<string, number> = {};
    for (const key of ['maxEvents', 'maxBytes'] as const) {
      const value = find(`batch.${key}`)?.control.value ?? '';
      if (value !== '' && Number(value) !== existing?.batch[key]) {
        batch[key] = Number(value);
      }
    }
    if (Object.keys(batch).length > 0) {
      out.batch = batch;
    }
    return out;
  };

  const showError = (error: unknown): void => {
    status.fail(error);
    const message = error instanceof ApiError ? error.message : '';
    const target = find(fieldOfMessage(message) ?? '');
    if (target !== undefined) {
      target.error.textContent = message.replace(/^\d{3}: /, '');
      target.control.setAttribute('aria-invalid', 'true');
    }
  };

  const form = h(
    'form',
    { class: 'form', 'aria-label': existing === null ? 'Add a destination' : `Edit ${existing.name}` },
    fixed.map((s) => s.wrap),
    moved,
    kindBox,
    h('button', { type: 'submit', class: 'primary' }, existing === null ? 'Create' : 'Save changes'),
    status.el,
  );
  kindControl.addEventListener('change', renderKind);
  url.control.addEventListener('input', checkMoved);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    status.clear();
    for (const s of all()) {
      s.error.textContent = '';
      s.control.removeAttribute('aria-invalid');
    }
    const payload = body();
    if (existing !== null && Object.keys(payload).length === 0) {
      status.ok('Nothing changed.');
      return;
    }
    void sendJson<Destination>(
      existing === null ? 'POST' : 'PATCH',
      existing === null ? '/destinations' : `/destinations/${existing.id}`,
      payload,
    ).then(done, showError);
  });
  renderKind();
  return form;
}
