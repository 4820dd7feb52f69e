import { getJson, query } from '../api';
import { button, field, h, replace } from '../dom';
import { duration, localTime, timeAndAge } from '../format';
import type { Screen } from '../main';
import type { Integration, Page, SyncRun } from '../types';
import { badge, emptyState, errorBox, row, table } from '../ui';

/** "What did the last runs do?": one integration's runs, newest first, paged. */
export const renderSyncHistory: Screen = (main, _params, path) => {
  const picker = h('select', { id: 'history-integration' });
  const runs = h('div');
  replace(main, h('h1', null, 'Sync history'), field('Integration', picker), runs);
  void (async () => {
    try {
      const page = await getJson<Page<Integration>>(`/integrations${query({ limit: 500 })}`);
      if (page.items.length === 0) {
        replace(
          runs,
          emptyState('No organization yet — add one with its API key file on the Integrations screen.'),
        );
        return;
      }
      replace(
        picker,
        page.items.map((i) => h('option', { value: i.id, selected: i.id === path[0] }, i.name)),
      );
      picker.addEventListener('change', () => {
        location.hash = `#/sync-history/${encodeURIComponent(picker.value)}`;
      });
      void loadRuns(runs, picker.value, null, true);
    } catch (error) {
      replace(runs, errorBox(error));
    }
  })();
};

async function loadRuns(
  target: HTMLElement,
  integrationId: string,
  cursor: string | null,
  fresh: boolean,
): Promise<void> {
  try {
    const page = await getJson<Page<SyncRun>>(
      `/integrations/${encodeURIComponent(integrationId)}/sync-runs${query({ limit: 25, cursor })}`,
    );
    if (fresh && page.items.length === 0) {
      replace(
        target,
        emptyState(
          'No sync run yet — runs start on the poll interval, or use "Sync now" on the Integrations screen.',
        ),
      );
      return;
    }
    const rows = page.items.flatMap((r) => {
      const calls = Object.entries(r.apiCalls)
        .map(
          ([kind, outcomes]) =>
            `${kind} ${Object.entries(outcomes)
              .map(([o, n]) => `${o}:${n}`)
              .join('/')}`,
        )
        .join(', ');
      const tr = row(
        timeAndAge(r.startedAt),
        r.trigger + (r.relist ? ' (re-list 7 d)' : ''),
        `${localTime(r.windowStart)} → ${localTime(r.windowEnd)}`,
        badge(
          r.status === 'succeeded'
            ? 'ok'
            : r.status === 'running'
              ? 'running'
              : r.status === 'partial'
                ? 'degraded'
                : 'failing',
          r.status,
        ),
        `${r.alertsListed} / ${r.alertsNew} / ${r.alertsChanged} / ${r.alertsUnchanged} / ${r.alertsFiltered}`,
        [
          calls === '' ? '—' : calls,
          r.rateLimited > 0 ? h('div', { class: 'muted' }, `${r.rateLimited} × 429`) : null,
        ],
        r.finishedAt === null
          ? 'running'
          : duration((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000),
      );
      const out = [tr];
      if (r.error !== null) {
        const err = h(
          'tr',
          { class: 'error-row' },
          h('td', { colspan: 7 }, h('pre', { class: 'error-text' }, `${r.error.class}: ${r.error.message}`)),
        );
        out.push(err);
      }
      return out;
    });
    const more =
      page.nextCursor === null
        ? null
        : button('Older runs', () => {
            more?.remove();
            void loadRuns(target, integrationId, page.nextCursor, false);
          });
    const section = h(
      'div',
      null,
      table(
        'Sync runs, newest first',
        [
          'Started',
          'Trigger',
          'Window',
          'Status',
          'Listed / new / changed / unchanged / filtered',
          'API calls',
          'Duration',
        ],
        rows,
      ),
      more,
    );
    if (fresh) {
      replace(target, section);
    } else {
      target.append(section);
    }
  } catch (error) {
    target.append(errorBox(error));
  }
}
