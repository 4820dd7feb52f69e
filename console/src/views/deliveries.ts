import { getJson, query, sendJson } from '../api';
import { button, field, h, replace } from '../dom';
import { fromLocalInput, localTime, timeAndAge } from '../format';
import type { Screen } from '../main';
import type { Delivery, DeliveryDetail, Destination, Page } from '../types';
import { adminOnly, badge, emptyState, errorBox, notice, row, table } from '../ui';

const STATES = ['pending', 'failed', 'delivered', 'dead', 'superseded'];

/** "What failed, and can I fix it?": deliveries by destination and state, one's attempts, retry and replay. */
export const renderDeliveries: Screen = (main, params) => {
  const destination = h('select', { name: 'destinationId' }, h('option', { value: '' }, 'every destination'));
  const state = h(
    'select',
    { name: 'state' },
    h('option', { value: '' }, 'every state'),
    STATES.map((s) => h('option', { value: s, selected: params.get('state') === s }, s)),
  );
  const list = h('div');
  const detail = h('section', { class: 'panel', 'aria-live': 'polite' });
  const replay = h('div');
  const cursors: (string | null)[] = [null];
  const filters = h(
    'form',
    { class: 'filters', 'aria-label': 'Delivery filters' },
    field('Destination', destination),
    field('State', state),
    h('button', { type: 'submit' }, 'Apply'),
  );
  const load = async (index: number): Promise<void> => {
    try {
      const page = await getJson<Page<Delivery>>(
        `/deliveries${query({
          destinationId: destination.value || undefined,
          state: state.value || undefined,
          limit: 50,
          cursor: cursors[index],
        })}`,
      );
      cursors[index + 1] = page.nextCursor;
      replace(
        list,
        page.items.length === 0 && index === 0
          ? emptyState(
              'No delivery matches. Deliveries appear once alerts are assembled and an integration has a destination.',
            )
          : table(
              'Deliveries, newest first',
              ['Created', 'Alert', 'State', 'Attempts', 'Last answer', 'Next attempt', ''],
              page.items.map((d) => {
                const tr = row(
                  timeAndAge(d.createdAt),
                  h(
                    'a',
                    { href: `#/alert/${encodeURIComponent(d.alertRowId)}` },
                    `${d.alertId} v${d.version}`,
                  ),
                  badge(d.state),
                  String(d.attempts),
                  d.lastStatus === null
                    ? (d.lastError ?? '—')
                    : `HTTP ${d.lastStatus}${d.lastError === null ? '' : ` — ${d.lastError}`}`,
                  d.state === 'pending' || d.state === 'failed' ? localTime(d.nextAttemptAt) : '—',
                  button('Attempts', () => void showDelivery(detail, d.id, () => load(index)), {
                    'aria-label': `Attempts of ${d.alertId} v${d.version}`,
                  }),
                );
                tr.dataset.state = d.state;
                return tr;
              }),
            ),
        h(
          'div',
          { class: 'pager' },
          index > 0 ? button('Previous page', () => void load(index - 1)) : null,
          page.nextCursor !== null ? button('Next page', () => void load(index + 1)) : null,
        ),
      );
    } catch (error) {
      replace(list, errorBox(error));
    }
  };
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    cursors.length = 1;
    replace(
      replay,
      adminOnly(() => replayForm(destination.value, () => load(0))),
    );
    void load(0);
  });
  replace(main, h('h1', null, 'Deliveries'), filters, replay, detail, list);
  void getJson<Page<Destination>>(`/destinations${query({ limit: 500 })}`).then(
    (page) => {
      destination.append(
        ...page.items.map((d) =>
          h('option', { value: d.id, selected: d.id === params.get('destinationId') }, d.name),
        ),
      );
      replace(
        replay,
        adminOnly(() => replayForm(destination.value, () => load(0))),
      );
    },
    (error: unknown) => replace(replay, errorBox(error)),
  );
  if (params.get('delivery') !== null) {
    void showDelivery(detail, params.get('delivery') ?? '', () => load(0));
  }
  void load(0);
};

/** "Replay all dead since …": counts first (dry run), says how many, then replays on confirmation. */
function replayForm(destinationId: string, reload: () => Promise<void>): HTMLElement {
  if (destinationId === '') {
    return h('p', { class: 'muted' }, 'Choose a destination to replay its dead deliveries.');
  }
  const since = h('input', { type: 'datetime-local', required: true, id: 'replay-since' });
  since.value = toLocalInput(new Date(Date.now() - 7 * 86_400_000));
  const status = notice();
  let counted: number | null = null;
  const go = h('button', { type: 'button', class: 'primary', disabled: true, id: 'replay-go' }, 'Replay');
  const body = (dryRun: boolean): Record<string, unknown> => ({
    destinationId,
    state: 'dead',
    since: fromLocalInput(since.value),
    dryRun,
  });
  const count = button(
    'Count dead since',
    async () => {
      try {
        const answer = await sendJson<{ matched: number }>('POST', '/deliveries/replay', body(true));
        counted = answer?.matched ?? 0;
        go.disabled = counted === 0;
        go.textContent = `Replay ${counted} dead ${counted === 1 ? 'delivery' : 'deliveries'}`;
        status.ok(
          counted === 0
            ? 'Nothing to replay.'
            : `${counted} dead ${counted === 1 ? 'delivery' : 'deliveries'} will be sent again.`,
        );
      } catch (error) {
        status.fail(error);
      }
    },
    { id: 'replay-count' },
  );
  go.addEventListener('click', () => {
    void (async () => {
      try {
        const answer = await sendJson<{ queued: number }>('POST', '/deliveries/replay', body(false));
        go.disabled = true;
        status.ok(`Replaying ${answer?.queued ?? 0} deliveries.`);
        await reload();
      } catch (error) {
        status.fail(error);
      }
    })();
  });
  since.addEventListener('change', () => {
    go.disabled = true;
  });
  return h(
    'section',
    { class: 'replay', 'aria-label': 'Replay dead deliveries' },
    h('h2', null, 'Replay all dead since…'),
    field('Dead deliveries created since (local time)', since),
    h('div', { class: 'actions' }, count, go),
    status.el,
  );
}

function toLocalInput(d: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

async function showDelivery(panel: HTMLElement, id: string, reload: () => Promise<void>): Promise<void> {
  try {
    const d = await getJson<DeliveryDetail>(`/deliveries/${encodeURIComponent(id)}`);
    const status = notice();
    const heading = h('h2', { tabindex: '-1' }, `Delivery of alert ${d.alertId} v${d.version}`);
    replace(
      panel,
      heading,
      h('p', null, badge(d.state), ` webhook-id ${d.webhookId}`),
      d.attemptLog.length === 0
        ? h('p', null, 'No attempt yet.')
        : h(
            'ol',
            { class: 'timeline' },
            d.attemptLog.map((a) =>
              h(
                'li',
                null,
                h('strong', null, localTime(a.attemptedAt)),
                ' — ',
                a.statusCode === null ? 'no answer' : `HTTP ${a.statusCode}`,
                `, ${a.latencyMs} ms`,
                a.error === null ? null : h('div', { class: 'error-text' }, a.error),
                a.responseBody === null || a.responseBody === undefined
                  ? null
                  : h('pre', { class: 'response' }, a.responseBody),
              ),
            ),
          ),
      adminOnly(() =>
        d.state === 'failed' || d.state === 'dead'
          ? button('Retry now', async () => {
              try {
                await sendJson('POST', `/deliveries/${encodeURIComponent(d.id)}/retry`);
                status.ok('Queued for an attempt now.');
                await reload();
              } catch (error) {
                status.fail(error);
              }
            })
          : null,
      ),
      status.el,
      button('Close', () => panel.replaceChildren()),
    );
    heading.focus();
  } catch (error) {
    replace(panel, errorBox(error));
  }
}
