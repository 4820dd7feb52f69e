import { getJson, query, sendJson } from '../api';
import { button, h, replace } from '../dom';
import { FORMATS, kindLabel } from '../destination-kinds';
import { localTime, timeAndAge } from '../format';
import type { Screen } from '../main';
import type { Destination, DestinationTest, Page } from '../types';
import { destinationForm } from './destination-form';
import { adminOnly, badge, confirmAction, copyButton, emptyState, errorBox, notice, row, table } from '../ui';

/**
 * Destinations of every kind: create and edit (the kind's own fields), test, pause/resume, rotate a webhook's secret,
 * delete.
 */
export const renderDestinations: Screen = (main) => {
  const list = h('div');
  const panel = h('section', { class: 'panel', 'aria-live': 'polite' });
  // Outside the table, so the answer of an action stays when the list is drawn again.
  const status = notice();
  const reload = async (): Promise<void> => {
    try {
      const page = await getJson<Page<Destination>>(`/destinations${query({ limit: 500 })}`);
      replace(
        list,
        page.items.length === 0
          ? emptyState(
              'No destination yet — add your SIEM, log platform or pipeline; alerts wait until there is one.',
            )
          : table(
              'Destinations',
              ['Name', 'Kind', 'URL', 'State', 'Credentials', 'Last success', 'Last error', 'Actions'],
              page.items.map((d) => {
                const tr = row(
                  d.name,
                  [kindLabel(d.kind), h('div', { class: 'muted' }, FORMATS[d.format] ?? d.format)],
                  [d.url, settingsSummary(d)],
                  [
                    badge(d.state),
                    d.pausedReason === null ? null : h('div', { class: 'reason' }, d.pausedReason),
                    d.pausedReason?.startsWith('refused:') === true
                      ? h(
                          'div',
                          { class: 'advice' },
                          'It refused the credentials or settings: fix the settings or resume.',
                        )
                      : null,
                  ],
                  credentialText(d),
                  timeAndAge(d.lastSuccessAt),
                  d.lastError ?? '—',
                  adminOnly(() => actions(d, panel, reload, status)) ??
                    h('span', { class: 'muted' }, 'read only'),
                );
                tr.dataset.destination = d.name;
                return tr;
              }),
            ),
      );
    } catch (error) {
      replace(list, errorBox(error));
    }
  };
  replace(
    main,
    h('h1', null, 'Destinations'),
    adminOnly(() =>
      button('Add a destination', () => showForm(panel, null, reload), {
        class: 'primary',
        id: 'add-destination',
      }),
    ),
    panel,
    status.el,
    list,
  );
  void reload();
};

/** The names of the write-only values that are set, never the values. */
function credentialText(d: Destination): string {
  const names =
    d.kind === 'webhook'
      ? ['signing secret', ...d.headerNames.map((n) => `header ${n}`)]
      : d.credentialNames.slice();
  return names.length === 0 ? 'none' : names.join(', ');
}

/** The shown settings, one short line (certificates by name only). */
function settingsSummary(d: Destination): HTMLElement | null {
  const parts = Object.entries(d.settings)
    .filter(([, v]) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
    .map(([k, v]) => `${k}: ${typeof v === 'string' && v.includes('-----BEGIN') ? 'PEM' : String(v)}`);
  parts.push(`batch ${d.batch.maxEvents} events / ${d.batch.maxBytes} bytes`);
  return h('div', { class: 'muted' }, parts.join(' · '));
}

function showForm(panel: HTMLElement, existing: Destination | null, reload: () => Promise<void>): void {
  const title = existing === null ? 'Add a destination' : `Edit ${existing.name}`;
  const heading = h('h2', { tabindex: '-1' }, title);
  const form = destinationForm(existing, (saved) => {
    if (saved !== null && saved.signingSecret !== undefined) {
      showSecret(panel, saved, 'Give it to the receiver to verify signatures.');
    } else {
      const done = h(
        'p',
        { class: 'ok', role: 'status', tabindex: '-1' },
        `${existing === null ? 'Created' : 'Saved'} ${saved?.name ?? ''}. Use "Test" in its row to send a test event.`,
      );
      replace(
        panel,
        done,
        button('Close', () => panel.replaceChildren()),
      );
      done.focus();
    }
    void reload();
  });
  replace(
    panel,
    heading,
    form,
    button('Close', () => panel.replaceChildren()),
  );
  heading.focus();
}

function actions(
  d: Destination,
  panel: HTMLElement,
  reload: () => Promise<void>,
  status: ReturnType<typeof notice>,
): HTMLElement {
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
    button(
      'Test',
      async () => {
        status.ok(`Sending a test event to ${d.name}…`);
        try {
          const t = await sendJson<DestinationTest>('POST', `/destinations/${d.id}/test`);
          if (t === null) {
            status.fail(new Error('No answer.'));
          } else if (t.ok) {
            status.ok(`Test of ${d.name} ok in ${t.latencyMs} ms: ${t.answer}`);
          } else {
            const extra = t.error !== null && t.error !== t.answer ? ` (${t.error})` : '';
            status.fail(new Error(`Test of ${d.name} failed: ${t.answer}${extra}`));
          }
          await reload();
        } catch (error) {
          status.fail(error);
        }
      },
      { 'aria-label': `Test: ${d.name}` },
    ),
    button('Edit', () => showForm(panel, d, reload), { 'aria-label': `Edit ${d.name}` }),
    run(d.enabled && d.pausedReason === null ? 'Pause' : 'Resume', async () => {
      const resume = !(d.enabled && d.pausedReason === null);
      await sendJson('PATCH', `/destinations/${d.id}`, { enabled: resume });
      return resume ? `${d.name} resumed.` : `${d.name} paused.`;
    }),
    d.kind !== 'webhook'
      ? null
      : button(
          'Rotate secret',
          async () => {
            if (
              !confirmAction(
                `Rotate the signing secret of ${d.name}? The old secret keeps signing for 24 hours.`,
              )
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
    button('Delete', () => showDelete(panel, d, reload), {
      class: 'danger',
      'aria-label': `Delete ${d.name}`,
    }),
  );
}

/** The confirmation step of a delete, naming the destination; the API refuses while integrations send to it. */
function showDelete(panel: HTMLElement, d: Destination, reload: () => Promise<void>): void {
  const status = notice();
  const heading = h('h2', { tabindex: '-1' }, `Delete ${d.name}`);
  const confirm = button(
    `Yes, delete ${d.name}`,
    async () => {
      confirm.disabled = true;
      try {
        await sendJson('DELETE', `/destinations/${d.id}`);
        status.ok(`${d.name} deleted.`);
        await reload();
      } catch (error) {
        confirm.disabled = false;
        status.fail(error);
      }
    },
    { class: 'danger', id: 'delete-destination' },
  );
  replace(
    panel,
    heading,
    h(
      'p',
      null,
      `Delete ${d.name} (${kindLabel(d.kind)}, ${d.url})? Nothing more is sent to it. An integration that sends to it must choose other destinations first.`,
    ),
    h(
      'div',
      { class: 'actions' },
      confirm,
      button('Cancel', () => panel.replaceChildren()),
    ),
    status.el,
  );
  heading.focus();
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
