import { getJson, request, sendJson } from '../api';
import { button, h, replace } from '../dom';
import { localTime, timeAndAge } from '../format';
import type { Screen } from '../main';
import { prettyJson } from '../pretty-json';
import type { AlertAction, AlertDetail, AlertVersion, DeliveryDetail } from '../types';
import { adminOnly, badge, copyButton, errorBox, facts, notice, row, table } from '../ui';

const SCOPE_WORDS: Record<string, string> = {
  ok: 'data',
  empty: 'empty',
  unsupported: 'not supported for this alert',
  failed: 'null after failure',
  pending: 'not fetched yet',
};

/** One alert: summary, scope outcomes, the stored document (copy, download), versions and their deliveries. */
export const renderAlertDetail: Screen = (main, _params, path) => {
  const id = path[0] ?? '';
  replace(main, h('h1', null, 'Alert'), h('p', { 'aria-busy': 'true' }, 'Loading…'));
  void (async () => {
    try {
      const alert = await getJson<AlertDetail>(`/alerts/${encodeURIComponent(id)}`);
      const status = notice();
      replace(
        main,
        h('p', null, h('a', { href: '#/alerts' }, '← Alerts')),
        h('h1', null, alert.alertName),
        facts([
          ['Lacework alert id', alert.alertId],
          ['Severity', badge(alert.severity.toLowerCase(), alert.severity)],
          ['Status', alert.status],
          ['Type', alert.alertType],
          ['Start', timeAndAge(alert.startTime)],
          ['State', badge(alert.state)],
          ['Current version', String(alert.version)],
          ['First seen', timeAndAge(alert.firstSeenAt)],
          [
            'In Lacework',
            alert.consoleUrl === null || alert.consoleUrl === undefined
              ? '—'
              : h(
                  'a',
                  { href: alert.consoleUrl, rel: 'noopener noreferrer', target: '_blank' },
                  'Open in the Lacework console',
                ),
          ],
        ]),
        adminOnly(() =>
          h(
            'div',
            { class: 'actions' },
            button('Redeliver', async () => {
              try {
                await sendJson('POST', `/alerts/${encodeURIComponent(alert.id)}/redeliver`);
                status.ok('The newest version is queued for delivery again.');
              } catch (error) {
                status.fail(error);
              }
            }),
            status.el,
          ),
        ),
        h('h2', null, 'Decided in Lacework'),
        actionsSection(alert),
        h('h2', null, 'Versions'),
        alert.versions.map((v) => versionSection(v)),
        h('h2', null, 'Document'),
        documentSection(alert),
      );
      void loadAttempts(main);
    } catch (error) {
      replace(main, h('h1', null, 'Alert'), errorBox(error));
    }
  })();
};

const CLOSE_REASONS = [
  'Other (comment required)',
  'False positive',
  'Not enough information',
  'Malicious and have resolution in place',
  'Expected because of routine testing',
  'Expected behavior',
];

/** Closes and comments sent to Lacework for this alert (who, when, Lacework's answer), and, for an admin, forms. */
function actionsSection(alert: AlertDetail): HTMLElement {
  const actions = alert.actions ?? [];
  const list =
    actions.length === 0
      ? h('p', { class: 'muted' }, 'Nothing sent to Lacework for this alert yet.')
      : table(
          'Closes and comments sent to Lacework',
          ['Asked', 'What', 'By', 'State', 'Attempts', "Lacework's answer"],
          actions.map((a) =>
            row(
              localTime(a.createdAt),
              describeAction(a),
              a.requestId === null ? a.requestedBy : `${a.requestedBy} (request ${a.requestId})`,
              badge(a.state === 'done' ? 'ok' : a.state === 'failed' ? 'failing' : a.state, a.state),
              String(a.attempts.length),
              a.resultStatus === null ? (a.result ?? '—') : `HTTP ${a.resultStatus} ${a.result ?? ''}`.trim(),
            ),
          ),
        );
  return h(
    'div',
    null,
    list,
    adminOnly(() => writeBackForm(alert)),
  );
}

function describeAction(a: AlertAction): string {
  if (a.kind === 'close') {
    const reason = a.reason === null ? '' : (CLOSE_REASONS[a.reason] ?? String(a.reason));
    return `Close: ${reason}${a.comment === null ? '' : ` — ${a.comment}`}`;
  }
  return `Comment: ${a.comment ?? ''}`;
}

/** Close the alert in Lacework (reason and comment), or add a comment; the answer shows once the worker sent it. */
function writeBackForm(alert: AlertDetail): HTMLElement {
  const status = notice();
  const reason = h(
    'select',
    { name: 'reason' },
    CLOSE_REASONS.map((text, value) => h('option', { value: String(value) }, `${value} — ${text}`)),
  );
  const comment = h('textarea', { name: 'comment', rows: 2, maxlength: 10000 });
  const send = async (path: string, body: Record<string, unknown>, done: string): Promise<void> => {
    try {
      await sendJson('POST', `/alerts/${encodeURIComponent(alert.id)}/${path}`, body);
      status.ok(done);
    } catch (error) {
      status.fail(error);
    }
  };
  const text = (): string => comment.value.trim();
  return h(
    'form',
    { class: 'form', 'aria-label': 'Decide this alert in Lacework' },
    h('label', null, 'Close reason', reason),
    h('label', null, 'Comment', comment),
    h(
      'div',
      { class: 'actions' },
      button('Close in Lacework', () =>
        send(
          'close',
          text() === ''
            ? { reason: Number(reason.value) }
            : { reason: Number(reason.value), comment: text() },
          'Close accepted: it is sent to Lacework now; reload to see its answer.',
        ),
      ),
      button('Comment in Lacework', () =>
        send(
          'comment',
          { comment: text(), format: 'plaintext' },
          'Comment accepted: it is sent to Lacework now.',
        ),
      ),
      status.el,
    ),
  );
}

function versionSection(v: AlertVersion): HTMLElement {
  return h(
    'section',
    { class: 'version' },
    h('h3', null, `Version ${v.version} — ${v.state}`),
    h('p', { class: 'muted' }, `Created ${localTime(v.createdAt)}, completed ${localTime(v.completedAt)}`),
    table(
      `Scopes of version ${v.version}`,
      ['Scope', 'Outcome', 'Attempts', 'Error'],
      Object.entries(v.scopes).map(([scope, s]) =>
        row(
          scope,
          badge(
            s.outcome === 'ok' ? 'ok' : s.outcome === 'failed' ? 'failing' : s.outcome,
            SCOPE_WORDS[s.outcome] ?? s.outcome,
          ),
          String(s.attempts),
          s.error ?? '—',
        ),
      ),
    ),
    v.deliveries.length === 0
      ? h('p', { class: 'muted' }, 'No delivery for this version (no destination, or filtered).')
      : table(
          `Deliveries of version ${v.version}`,
          ['Delivery', 'State', 'Attempts', 'Delivered', 'Last answer', 'Attempt log'],
          v.deliveries.map((d) =>
            row(
              h('a', { href: `#/deliveries?delivery=${encodeURIComponent(d.id)}` }, d.id.slice(0, 8)),
              badge(d.state),
              String(d.attempts),
              localTime(d.deliveredAt),
              d.lastStatus === null ? (d.lastError ?? '—') : `HTTP ${d.lastStatus}`,
              h('div', { class: 'attempts', 'data-delivery': d.id }, '…'),
            ),
          ),
        ),
  );
}

async function loadAttempts(main: HTMLElement): Promise<void> {
  for (const cell of Array.from(main.querySelectorAll<HTMLElement>('[data-delivery]'))) {
    try {
      const d = await getJson<DeliveryDetail>(
        `/deliveries/${encodeURIComponent(cell.dataset.delivery ?? '')}`,
      );
      replace(
        cell,
        d.attemptLog.length === 0
          ? 'none yet'
          : h(
              'ol',
              null,
              d.attemptLog.map((a) =>
                h(
                  'li',
                  null,
                  `${localTime(a.attemptedAt)}: ${a.statusCode === null ? 'no answer' : `HTTP ${a.statusCode}`}, ${a.latencyMs} ms${a.error === null ? '' : ` — ${a.error}`}`,
                ),
              ),
            ),
      );
    } catch (error) {
      replace(cell, errorBox(error));
    }
  }
}

function documentSection(alert: AlertDetail): HTMLElement {
  const box = h('div', null, h('p', null, 'Loading the document…'));
  void (async () => {
    try {
      const res = await request('GET', `/alerts/${encodeURIComponent(alert.id)}/document`);
      const bytes = await res.arrayBuffer();
      const text = new TextDecoder().decode(bytes);
      const status = notice();
      const blobUrl = URL.createObjectURL(new Blob([bytes], { type: 'application/json' }));
      replace(
        box,
        h(
          'div',
          { class: 'actions' },
          copyButton('Copy', text, status, 'Copied the document as stored.'),
          h(
            'a',
            {
              class: 'button',
              href: blobUrl,
              download: `alert-${alert.alertId}-v${alert.version}.json`,
              id: 'download-document',
            },
            'Download',
          ),
          status.el,
        ),
        h('pre', { class: 'document', tabindex: '0', 'aria-label': 'Assembled document' }, prettyJson(text)),
      );
    } catch (error) {
      replace(box, errorBox(error));
    }
  })();
  return box;
}
