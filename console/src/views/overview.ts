import { getJson, query } from '../api';
import { barChart } from '../charts';
import { h, replace } from '../dom';
import { age, count, duration, localTime, percent, timeAndAge } from '../format';
import type { DestinationStatus, IntegrationStatus, Status, Timeseries } from '../types';
import { badge, emptyState, errorBox, link, row, table } from '../ui';
import type { Screen } from '../main';

const REFRESH_MS = 10_000;

/** "Is everything flowing?": one row per integration and destination, charts, refreshed every 10 s while visible. */
export const renderOverview: Screen = (main) => {
  const stamp = h('p', { class: 'muted', 'aria-live': 'polite' }, 'Loading…');
  const body = h('div', { 'aria-busy': 'true' });
  const charts = h('div', { class: 'charts' });
  replace(main, h('h1', null, 'Overview'), stamp, body, h('h2', null, 'Last 24 hours'), charts);
  let timer: number | undefined;
  let stopped = false;
  let chartsLoadedAt = 0;

  const load = async (): Promise<void> => {
    try {
      const status = await getJson<Status>('/status');
      if (stopped) {
        return;
      }
      replace(
        body,
        summary(status),
        integrationsTable(status.integrations),
        destinationsTable(status.destinations),
      );
      body.setAttribute('aria-busy', 'false');
      stamp.textContent = `Data generated ${localTime(status.generatedAt)} (${age(status.generatedAt)}); refreshes every ${REFRESH_MS / 1000} s while this tab is visible.`;
      if (Date.now() - chartsLoadedAt > 60_000) {
        chartsLoadedAt = Date.now();
        void loadCharts(charts, status);
      }
    } catch (error) {
      if (!stopped) {
        replace(body, errorBox(error));
        body.setAttribute('aria-busy', 'false');
        stamp.textContent = 'Could not refresh; trying again in 10 s.';
      }
    }
  };
  const schedule = (): void => {
    window.clearTimeout(timer);
    if (!stopped && document.visibilityState === 'visible') {
      timer = window.setTimeout(() => void load().then(schedule), REFRESH_MS);
    }
  };
  const onVisibility = (): void => {
    if (document.visibilityState === 'visible') {
      void load().then(schedule);
    } else {
      window.clearTimeout(timer);
    }
  };
  document.addEventListener('visibilitychange', onVisibility);
  void load().then(schedule);
  return () => {
    stopped = true;
    window.clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisibility);
  };
};

function summary(status: Status): HTMLElement {
  const t = status.totals;
  const problems = t.health.failing + t.health.degraded + t.health.never_synced + t.destinationsNotOk;
  return h(
    'p',
    { class: problems === 0 ? 'summary ok' : 'summary warn', id: 'overview-summary' },
    problems === 0 && t.integrations > 0
      ? `All ${t.integrations} integrations and ${t.destinations} destinations are flowing.`
      : `${t.health.ok} of ${t.integrations} integrations ok, ${t.health.failing} failing, ${t.health.degraded} degraded; ` +
          `${t.destinations - t.destinationsNotOk} of ${t.destinations} destinations ok.`,
  );
}

function integrationsTable(items: IntegrationStatus[]): HTMLElement {
  if (items.length === 0) {
    return h(
      'section',
      null,
      h('h2', null, 'Integrations'),
      emptyState(
        'No organization yet — add one with its API key file.',
        link('#/integrations', 'Add an organization'),
      ),
    );
  }
  return h(
    'section',
    null,
    h('h2', null, 'Integrations'),
    table(
      'Integrations and their health',
      [
        'Integration',
        'Health',
        'Last successful sync',
        'Lag',
        'Enrichment backlog',
        'Lacework budget (window)',
        'Last error and what to do',
      ],
      items.map((i) => {
        const tr = row(
          link(`#/sync-history/${encodeURIComponent(i.id)}`, i.name),
          [badge(i.health), i.healthReason === null ? null : h('div', { class: 'reason' }, i.healthReason)],
          timeAndAge(i.lastSuccessAt),
          duration(i.lagSeconds),
          `${count(i.backlog.enrichmentPending)} pending` +
            (i.backlog.incomplete > 0 ? `, ${count(i.backlog.incomplete)} incomplete` : ''),
          [
            `${count(i.budget.usedLastHour)} of ${count(i.budget.requestsPerHour)}`,
            i.budget.rateLimitedLastHour > 0 ? `, ${i.budget.rateLimitedLastHour} × 429` : '',
            h(
              'div',
              { class: 'muted' },
              i.budget.projectedBacklogDrainMinutes === null
                ? 'paused'
                : i.backlog.enrichmentPending === 0
                  ? 'no backlog'
                  : `drains in ~${duration(i.budget.projectedBacklogDrainMinutes * 60)}`,
            ),
          ],
          lastError(i),
        );
        tr.dataset.integration = i.name;
        tr.dataset.health = i.health;
        // When the figures were drawn, on the page's clock: what "time to data" measures.
        tr.dataset.drawnAt = performance.now().toFixed(0);
        return tr;
      }),
    ),
  );
}

function lastError(i: IntegrationStatus): HTMLElement | string {
  const error = i.lastRun?.error ?? null;
  if (error === null && i.advice === null) {
    return '—';
  }
  return h(
    'div',
    null,
    error === null ? null : h('div', { class: 'error-text' }, `${error.class}: ${error.message}`),
    i.advice === null ? null : h('div', { class: 'advice' }, i.advice),
  );
}

function destinationsTable(items: DestinationStatus[]): HTMLElement {
  if (items.length === 0) {
    return h(
      'section',
      null,
      h('h2', null, 'Destinations'),
      emptyState(
        'No destination yet — alerts are stored but go nowhere. Add a webhook destination.',
        link('#/destinations', 'Add a destination'),
      ),
    );
  }
  return h(
    'section',
    null,
    h('h2', null, 'Destinations'),
    table(
      'Destinations and their delivery state',
      [
        'Destination',
        'State',
        'Success rate (24 h)',
        'Oldest undelivered',
        'Dead deliveries',
        'Last success',
        'Last error',
      ],
      items.map((d) => {
        const tr = row(
          link(`#/deliveries?destinationId=${encodeURIComponent(d.id)}`, d.name),
          [
            badge(d.state, d.reason?.startsWith('circuit') === true ? 'circuit open' : d.state),
            d.reason === null ? null : h('div', { class: 'reason' }, d.reason),
          ],
          `${percent(d.successRate24h)}${d.attempts24h > 0 ? ` of ${count(d.attempts24h)} attempts` : ''}`,
          d.oldestUndeliveredAt === null ? 'none' : age(d.oldestUndeliveredAt),
          d.dead === 0
            ? '0'
            : link(`#/deliveries?destinationId=${encodeURIComponent(d.id)}&state=dead`, count(d.dead)),
          timeAndAge(d.lastSuccessAt),
          d.lastError ?? '—',
        );
        tr.dataset.destination = d.name;
        tr.dataset.state = d.state;
        return tr;
      }),
    ),
  );
}

async function loadCharts(target: HTMLElement, status: Status): Promise<void> {
  const series = (metric: string): Promise<Timeseries> =>
    getJson<Timeseries>(`/stats/timeseries${query({ metric })}`);
  try {
    const [synced, delivered, calls, limited, failures] = await Promise.all([
      series('alerts_synced'),
      series('alerts_delivered'),
      series('api_calls'),
      series('rate_limited'),
      series('delivery_failures'),
    ]);
    const budget = status.integrations.reduce(
      (sum, i) => sum + (i.enabled ? i.budget.requestsPerHour : 0),
      0,
    );
    replace(
      target,
      barChart('Alerts assembled and delivered', [
        { label: 'assembled', cls: 's1', values: synced.buckets },
        { label: 'delivered', cls: 's2', values: delivered.buckets },
      ]),
      barChart(
        'Lacework calls',
        [
          { label: 'calls', cls: 's1', values: calls.buckets },
          { label: '429 answers', cls: 's3', values: limited.buckets },
        ],
        { label: 'budget per hour', value: budget },
      ),
      barChart('Delivery failures', [{ label: 'failed attempts', cls: 's3', values: failures.buckets }]),
    );
  } catch (error) {
    replace(target, errorBox(error));
  }
}
