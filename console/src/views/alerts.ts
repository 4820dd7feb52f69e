import { getJson, query } from '../api';
import { button, field, h, replace } from '../dom';
import { fromLocalInput, timeAndAge } from '../format';
import type { Screen } from '../main';
import type { AlertSummary, Integration, Page } from '../types';
import { badge, emptyState, errorBox, row, table } from '../ui';

const PAGE_SIZE = 50;

/**
 * "What did we get, and did it go out?": filters, then pages through the API's cursors. No total count: the list
 * reads one page of an index at any depth.
 */
export const renderAlerts: Screen = (main, params) => {
  const integration = h('select', { name: 'integrationId' }, h('option', { value: '' }, 'every integration'));
  const severity = h(
    'select',
    { name: 'severity' },
    h('option', { value: '' }, 'every severity'),
    ['Critical', 'High', 'Medium', 'Low', 'Info'].map((s) => h('option', { value: s }, s)),
  );
  const status = h(
    'select',
    { name: 'status' },
    h('option', { value: '' }, 'every status'),
    ['Open', 'Closed', 'In Progress'].map((s) => h('option', { value: s }, s)),
  );
  const alertType = h('input', { type: 'text', name: 'alertType', maxlength: 200 });
  const since = h('input', { type: 'datetime-local', name: 'since' });
  const until = h('input', { type: 'datetime-local', name: 'until' });
  const delivery = h(
    'select',
    { name: 'delivery' },
    h('option', { value: '' }, 'any'),
    [
      ['delivered', 'delivered'],
      ['pending', 'waiting'],
      ['failed', 'retrying'],
      ['dead', 'dead'],
      ['none', 'no delivery'],
    ].map(([v, l]) => h('option', { value: v }, l)),
  );
  for (const [el, key] of [
    [integration, 'integrationId'],
    [severity, 'severity'],
    [status, 'status'],
    [alertType, 'alertType'],
    [delivery, 'delivery'],
  ] as const) {
    el.value = params.get(key) ?? '';
  }
  const results = h('div');
  const pageInfo = h('p', { class: 'muted', 'aria-live': 'polite' });
  const cursors: (string | null | undefined)[] = [null];
  let pageIndex = 0;
  const prev = button('Previous page', () => void show(pageIndex - 1), { disabled: true, id: 'alerts-prev' });
  const next = button('Next page', () => void show(pageIndex + 1), { disabled: true, id: 'alerts-next' });
  const filters = h(
    'form',
    { class: 'filters', 'aria-label': 'Alert filters' },
    field('Integration', integration),
    field('Severity', severity),
    field('Status', status),
    field('Type', alertType),
    field('From', since),
    field('Until', until),
    field('Delivery', delivery),
    h('button', { type: 'submit' }, 'Apply'),
  );
  const filterQuery = (): Record<string, string | undefined> => ({
    integrationId: integration.value || undefined,
    severity: severity.value || undefined,
    status: status.value || undefined,
    alertType: alertType.value.trim() || undefined,
    delivery: delivery.value || undefined,
    since: fromLocalInput(since.value),
    until: fromLocalInput(until.value),
  });
  const show = async (index: number): Promise<void> => {
    const cursor = cursors[index];
    if (cursor === undefined) {
      return;
    }
    results.setAttribute('aria-busy', 'true');
    try {
      const started = performance.now();
      const page = await getJson<Page<AlertSummary>>(
        `/alerts${query({ ...filterQuery(), limit: PAGE_SIZE, cursor })}`,
      );
      pageIndex = index;
      cursors[index + 1] = page.nextCursor ?? undefined;
      prev.disabled = index === 0;
      next.disabled = page.nextCursor === null;
      pageInfo.textContent = `Page ${index + 1} (${page.items.length} alerts, ${Math.round(performance.now() - started)} ms)`;
      results.dataset.page = String(index + 1);
      replace(
        results,
        page.items.length === 0 && index === 0
          ? emptyState(
              'No alert matches — widen the filters, or check on the Overview that integrations are syncing.',
            )
          : table(
              'Alerts, newest first',
              ['Start', 'Severity', 'Name', 'Type', 'Status', 'State', 'Alert id'],
              page.items.map((a) =>
                row(
                  timeAndAge(a.startTime),
                  badge(a.severity.toLowerCase(), a.severity),
                  h('a', { href: `#/alert/${encodeURIComponent(a.id)}` }, a.alertName),
                  a.alertType,
                  a.status,
                  [
                    badge(a.state),
                    a.failedScopes.length > 0
                      ? h('div', { class: 'muted' }, `missing ${a.failedScopes.join(', ')}`)
                      : null,
                  ],
                  `${a.alertId} v${a.version}`,
                ),
              ),
            ),
      );
    } catch (error) {
      replace(results, errorBox(error));
    } finally {
      results.setAttribute('aria-busy', 'false');
    }
  };
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    cursors.length = 1;
    void show(0);
  });
  replace(
    main,
    h('h1', null, 'Alerts'),
    filters,
    pageInfo,
    results,
    h('div', { class: 'pager' }, prev, next),
  );
  void getJson<Page<Integration>>(`/integrations${query({ limit: 500 })}`).then(
    (page) => {
      const selected = params.get('integrationId');
      integration.append(
        ...page.items.map((i) => h('option', { value: i.id, selected: i.id === selected }, i.name)),
      );
    },
    () => undefined,
  );
  void show(0);
};
