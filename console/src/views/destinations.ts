import { getJson, query, sendJson } from '../api';
import { button, field, h, replace } from '../dom';
import { localTime, timeAndAge } from '../format';
import type { Screen } from '../main';
import type { Destination, Page } from '../types';
import { adminOnly, badge, confirmAction, copyButton, emptyState, errorBox, notice, row, table } from '../ui';

/** Webhook destinations: create (secret shown once), test, pause/resume, rotate the signing secret. */
export const renderDestinations: Screen = (main) => {
  const list = h('div');
  const panel = h('section', { class: 'panel', 'aria-live': 'polite' });
  const reload = async (): Promise<void> => {
    try {
      const page = await getJson<Page<Destination>>(`/destinations${query({ limit: 500 })}`);
      replace(
        list,
        page.items.length === 0
          ? emptyState(
              'No destination yet — add the webhook URL of your SIEM or pipeline; alerts wait until there is one.',
            )
          : table(
              'Destinations',
              ['Name', 'URL', 'State', 'Static headers', 'Last success', 'Last error', 'Actions'],
              page.items.map((d) =>
                row(
                  d.name,
                  d.url,
                  [
                    badge(d.state),
                    d.pausedReason === null ? null : h('div', { class: 'reason' }, d.pausedReason),
                  ],
                  d.headerNames.length === 0 ? 'none' : d.headerNames.join(', '),
                  timeAndAge(d.lastSuccessAt),
                  d.lastError ?? '—',
                  adminOnly(() => actions(d, panel, reload)) ?? h('span', { class: 'muted' }, 'read only'),
                ),
              ),
            ),
      );
    } catch (error) {
      replace(list, errorBox(error));
    }
  };
  replace(
    main,
    h('h1', null, 'Destinations'),
    adminOnly(() => button('Add a destination', () => showCreate(panel, reload), { class: 'primary' })),
    panel,
    list,
  );
  void reload();
};

function actions(d: Destination, panel: HTMLElement, reload: () => Promise<void>): HTMLElement {
  const status = notice();
  const run = (label: string, work: () => Promise<string>): HTMLButtonElement =>
    button(
      label,
      async () => {
        try {
          status.ok(await work());
          await reload();
        } catch (error) {
          status.fail(error);
        }
      },
      { 'aria-label': `${label}: ${d.name}` },
    );
  return h(
    'div',
    { class: 'actions' },
    run('Test', async () => {
      const t = await sendJson<{
        ok: boolean;
        status: number | null;
        latencyMs: number;
        error: string | null;
      }>('POST', `/destinations/${d.id}/test`);
      return t === null
        ? 'No answer.'
        : t.ok
          ? `Test delivered: HTTP ${t.status} in ${t.latencyMs} ms.`
          : `Test failed: ${t.status === null ? '' : `HTTP ${t.status} `}${t.error ?? ''}`;
    }),
    run(d.enabled && d.pausedReason === null ? 'Pause' : 'Resume', async () => {
      const resume = !(d.enabled && d.pausedReason === null);
      await sendJson('PATCH', `/destinations/${d.id}`, { enabled: resume });
      return resume ? `${d.name} resumed.` : `${d.name} paused.`;
    }),
    button(
      'Rotate secret',
      async () => {
        if (
          !confirmAction(`Rotate the signing secret of ${d.name}? The old secret keeps signing for 24 hours.`)
        ) {
          return;
        }
        try {
          const rotated = await sendJson<Destination>('PATCH', `/destinations/${d.id}`, {
            rotateSigningSecret: true,
          });
          if (rotated !== null) {
            showSecret(
              panel,
              rotated,
              `The old secret still signs until ${localTime(rotated.previousSecretValidUntil)}.`,
            );
          }
          await reload();
        } catch (error) {
          status.fail(error);
        }
      },
      { 'aria-label': `Rotate secret: ${d.name}` },
    ),
    status.el,
  );
}

function showSecret(panel: HTMLElement, d: Destination, extra: string): void {
  const secret = d.signingSecret ?? '';
  const status = notice();
  const heading = h('h2', { tabindex: '-1' }, `Signing secret of ${d.name}`);
  replace(
    panel,
    heading,
    h('p', { class: 'warn', role: 'alert' }, 'Copy it now: it will not be shown again. ', extra),
    h('pre', { class: 'secret', tabindex: '0', 'aria-label': 'Signing secret' }, secret),
    h(
      'div',
      { class: 'actions' },
      copyButton('Copy secret', secret, status, 'Copied.'),
      button('Done', () => panel.replaceChildren()),
    ),
    status.el,
  );
  heading.focus();
}

function showCreate(panel: HTMLElement, reload: () => Promise<void>): void {
  const name = h('input', { type: 'text', required: true, maxlength: 100 });
  const url = h('input', { type: 'url', required: true, placeholder: 'https://siem.example/lacework' });
  const headers = h('textarea', { rows: 3, placeholder: 'X-Ingest-Token: …' });
  const status = notice();
  const form = h(
    'form',
    { class: 'form', 'aria-label': 'Add a destination' },
    field('Name', name),
    field('Webhook URL', url),
    field(
      'Static headers (one "Name: value" a line)',
      headers,
      'Stored encrypted; only the names are shown afterwards.',
    ),
    h('button', { type: 'submit', class: 'primary' }, 'Create'),
    status.el,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const parsed: Record<string, string> = {};
    for (const line of headers.value.split('\n')) {
      const at = line.indexOf(':');
      if (line.trim() !== '' && at > 0) {
        parsed[line.slice(0, at).trim()] = line.slice(at + 1).trim();
      }
    }
    void sendJson<Destination>('POST', '/destinations', {
      name: name.value.trim(),
      url: url.value.trim(),
      ...(Object.keys(parsed).length > 0 ? { headers: parsed } : {}),
    }).then(
      async (created) => {
        if (created !== null) {
          showSecret(panel, created, 'Give it to the receiver to verify signatures.');
        }
        await reload();
      },
      (error: unknown) => status.fail(error),
    );
  });
  const heading = h('h2', { tabindex: '-1' }, 'Add a destination');
  replace(
    panel,
    heading,
    form,
    button('Close', () => panel.replaceChildren()),
  );
  heading.focus();
}
