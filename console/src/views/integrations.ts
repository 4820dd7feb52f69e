import { getJson, query, sendJson } from '../api';
import { button, field, h, replace, uid } from '../dom';
import { kindLabel } from '../destination-kinds';
import { dropZone } from '../drop-zone';
import { fromLocalInput, localTime, timeAndAge } from '../format';
import { KeyFile, readKeyFile } from '../key-file';
import type { Screen } from '../main';
import { session } from '../session';
import type { ConnectionTest, Destination, Integration, Page, SyncRun } from '../types';
import { adminOnly, badge, confirmAction, emptyState, errorBox, facts, notice, row, table } from '../ui';

/** "Add an organization": the list, the key-file form, and every action on one integration. */
export const renderIntegrations: Screen = (main) => {
  const list = h('div', { 'aria-busy': 'true' }, 'Loading…');
  const panel = h('section', { class: 'panel', 'aria-live': 'polite' });
  const addButton = adminOnly(() =>
    button('Add an organization', () => showCreate(panel, reload, destinations), {
      class: 'primary',
      id: 'add-integration',
    }),
  );
  // Outside the table, so the answer of an action stays when the list is drawn again.
  const status = notice();
  replace(main, h('h1', null, 'Integrations'), addButton, panel, status.el, list);
  let destinations: Destination[] = [];
  const reload = async (): Promise<void> => {
    try {
      const [page, dests] = await Promise.all([
        getJson<Page<Integration>>(`/integrations${query({ limit: 500 })}`),
        getJson<Page<Destination>>(`/destinations${query({ limit: 500 })}`),
      ]);
      destinations = dests.items;
      list.setAttribute('aria-busy', 'false');
      if (page.items.length === 0) {
        replace(
          list,
          emptyState(
            session.isAdmin()
              ? 'No organization yet — add one with its API key file.'
              : 'No organization yet — an admin adds one with its API key file.',
          ),
        );
        return;
      }
      const names = new Map(destinations.map((d) => [d.id, d.name]));
      replace(
        list,
        table(
          'Integrations',
          ['Name', 'Organization', 'API key', 'State', 'Poll every', 'Destinations', 'Actions'],
          page.items.map((i) => {
            const tr = row(
              h('a', { href: `#/sync-history/${encodeURIComponent(i.id)}` }, i.name),
              [
                i.organizationUrl,
                i.subAccount === null ? null : h('div', { class: 'muted' }, `sub-account ${i.subAccount}`),
              ],
              [
                i.keyId,
                h('div', { class: 'muted' }, i.secretHint === '' ? 'secret set' : `secret …${i.secretHint}`),
              ],
              badge(i.enabled ? 'ok' : 'paused', i.enabled ? 'active' : 'paused'),
              `${Math.round(i.pollIntervalSeconds / 60)} min`,
              idsOf(i).length === 0
                ? 'none'
                : idsOf(i)
                    .map((id) => names.get(id) ?? id)
                    .join(', '),
              adminOnly(() => actions(i, panel, reload, () => destinations, status)) ??
                h('span', { class: 'muted' }, 'read only'),
            );
            tr.dataset.integration = i.name;
            return tr;
          }),
        ),
      );
    } catch (error) {
      list.setAttribute('aria-busy', 'false');
      replace(list, errorBox(error));
    }
  };
  void reload();
};

function actions(
  i: Integration,
  panel: HTMLElement,
  reload: () => Promise<void>,
  destinations: () => Destination[],
  status: ReturnType<typeof notice>,
): HTMLElement {
  const act = (label: string, run: () => Promise<string>): HTMLButtonElement =>
    button(
      label,
      async () => {
        status.clear();
        try {
          status.ok(await run());
          await reload();
        } catch (error) {
          status.fail(error);
        }
      },
      { 'aria-label': `${label}: ${i.name}` },
    );
  return h(
    'div',
    { class: 'actions' },
    button('Edit', () => showEdit(panel, i, reload, destinations()), { 'aria-label': `Edit ${i.name}` }),
    button('Rotate key', () => showRotate(panel, i, reload), { 'aria-label': `Rotate key: ${i.name}` }),
    act(i.enabled ? 'Pause' : 'Resume', async () => {
      await sendJson('PATCH', `/integrations/${i.id}`, { enabled: !i.enabled });
      return `${i.name} ${i.enabled ? 'paused' : 'resumed'}.`;
    }),
    act('Sync now', async () => {
      const run = await sendJson<{ runId: string }>('POST', `/integrations/${i.id}/sync`);
      return `Sync started (run ${run?.runId ?? ''}).`;
    }),
    button('Backfill', () => showBackfill(panel, i), { 'aria-label': `Backfill ${i.name}` }),
    button('Delete', () => showDelete(panel, i, reload), {
      class: 'danger',
      'aria-label': `Delete ${i.name}`,
    }),
  );
}

/** Every destination the integration's alerts go to. */
function idsOf(i: Integration): string[] {
  return i.destinationIds ?? (i.destinationId === null ? [] : [i.destinationId]);
}

/** A checkbox per destination: alerts go to each one checked (`destinationIds`). */
function destinationChecks(
  destinations: Destination[],
  selected: string[],
): { el: HTMLElement; value(): string[] } {
  const boxes = destinations.map((d) => {
    const box = h('input', { type: 'checkbox', value: d.id, checked: selected.includes(d.id) });
    box.id = uid('dest');
    return {
      box,
      el: h('div', { class: 'check' }, box, h('label', { for: box.id }, `${d.name} (${kindLabel(d.kind)})`)),
    };
  });
  return {
    el: h(
      'fieldset',
      { class: 'choices' },
      h('legend', null, 'Destinations'),
      boxes.length === 0
        ? h('p', { class: 'muted' }, 'No destination yet — add one on the Destinations screen.')
        : boxes.map((b) => b.el),
      h('span', { class: 'hint' }, 'Each alert version is delivered to every destination checked.'),
    ),
    value: () => boxes.filter((b) => b.box.checked).map((b) => b.box.value),
  };
}

function showPanel(panel: HTMLElement, title: string, ...content: (Node | null)[]): void {
  const heading = h('h2', { tabindex: '-1' }, title);
  replace(
    panel,
    heading,
    ...content,
    button('Close', () => panel.replaceChildren()),
  );
  heading.focus();
}

/** The key-file part of the form: drop or choose the file; shows key id and the secret's hint only. */
function keyFileInput(onKey: (key: KeyFile) => void): HTMLElement {
  const shown = h('div', { 'aria-live': 'polite' });
  const zone = dropZone('API key file (JSON, or FortiCloud credentials .txt)', (file) => {
    void readKeyFile(file).then(
      (key) => {
        replace(
          shown,
          facts([
            ['Key id', key.keyId],
            [
              'Secret',
              key.secretHint === '' ? 'read from the file (not shown)' : `…${key.secretHint} (not shown)`,
            ],
            ['Sub-account', key.subAccount ?? '—'],
          ]),
        );
        onKey(key);
      },
      (error: unknown) => replace(shown, errorBox(error)),
    );
  });
  return h('div', null, zone, shown);
}

function testVerdict(test: ConnectionTest): HTMLElement {
  return test.ok
    ? h(
        'p',
        { class: 'ok', role: 'status' },
        `Connection ok in ${test.latencyMs ?? '?'} ms; ${test.alertsLastHour ?? 0} alerts in the last hour.`,
      )
    : h(
        'p',
        { class: 'error', role: 'alert' },
        `Connection failed (${test.error?.code ?? 'error'}): ${test.error?.message ?? 'no message'}`,
      );
}

function showCreate(panel: HTMLElement, reload: () => Promise<void>, destinations: Destination[]): void {
  let key: KeyFile | null = null;
  const targets = destinationChecks(destinations, []);
  const name = h('input', { type: 'text', required: true, maxlength: 100, name: 'name' });
  const url = h('input', {
    type: 'text',
    inputmode: 'url',
    spellcheck: 'false',
    required: true,
    name: 'organizationUrl',
    placeholder: 'https://acme.lacework.net or acme.fra.lacework.net',
  });
  const verdict = h('div', { 'aria-live': 'polite' });
  const status = notice();
  const body = (): Record<string, unknown> => {
    if (key === null) {
      throw new Error('Choose the API key file first.');
    }
    return { name: name.value.trim(), organizationUrl: url.value.trim(), apiKeyFile: key.raw };
  };
  const form = h(
    'form',
    { class: 'form', 'aria-label': 'Add an organization' },
    keyFileInput((k) => {
      key = k;
      if (k.organizationUrl !== null) {
        url.value = k.organizationUrl;
      }
      if (name.value === '') {
        name.value =
          k.subAccount ?? new URL(k.organizationUrl ?? 'https://organization').hostname.split('.')[0];
      }
    }),
    field('Name', name),
    field('Organization URL', url, "Filled in from the key file's account; change it for another cluster."),
    targets.el,
    h(
      'div',
      { class: 'actions' },
      button('Test connection', async () => {
        verdict.replaceChildren(h('p', null, 'Testing…'));
        try {
          const test = await sendJson<ConnectionTest>('POST', '/integrations/test', body());
          replace(verdict, test === null ? null : testVerdict(test));
        } catch (error) {
          replace(verdict, errorBox(error));
        }
      }),
      h('button', { type: 'submit', class: 'primary' }, 'Save'),
    ),
    verdict,
    status.el,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      try {
        const ids = targets.value();
        const created = await sendJson<Integration>('POST', '/integrations', {
          ...body(),
          ...(ids.length > 0 ? { destinationIds: ids } : {}),
        });
        status.ok(`Saved ${created?.name ?? ''}. It syncs on its schedule, or use "Sync now".`);
        await reload();
      } catch (error) {
        status.fail(error);
      }
    })();
  });
  showPanel(panel, 'Add an organization', form);
}

function showEdit(
  panel: HTMLElement,
  i: Integration,
  reload: () => Promise<void>,
  destinations: Destination[],
): void {
  const name = h('input', { type: 'text', value: i.name, required: true, maxlength: 100 });
  const interval = h('input', {
    type: 'number',
    min: 1,
    max: 1440,
    value: Math.round(i.pollIntervalSeconds / 60),
  });
  const rate = h('input', { type: 'number', min: 1, max: 100000, value: i.requestsPerHour });
  const severity = h(
    'select',
    null,
    h('option', { value: '' }, 'every severity'),
    ['Critical', 'High', 'Medium', 'Low', 'Info'].map((s) =>
      h('option', { value: s, selected: i.minSeverity === s }, s),
    ),
  );
  const targets = destinationChecks(destinations, idsOf(i));
  const status = notice();
  const form = h(
    'form',
    { class: 'form', 'aria-label': `Edit ${i.name}` },
    field('Name', name),
    field('Poll every (minutes)', interval),
    field('Lacework requests per hour', rate),
    field('Enrich alerts from severity', severity),
    targets.el,
    h('button', { type: 'submit', class: 'primary' }, 'Save changes'),
    status.el,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void sendJson('PATCH', `/integrations/${i.id}`, {
      name: name.value.trim(),
      pollIntervalSeconds: Number(interval.value) * 60,
      requestsPerHour: Number(rate.value),
      minSeverity: severity.value === '' ? null : severity.value,
      destinationIds: targets.value(),
    }).then(
      async () => {
        status.ok('Saved.');
        await reload();
      },
      (error: unknown) => status.fail(error),
    );
  });
  showPanel(panel, `Edit ${i.name}`, form);
}

function showRotate(panel: HTMLElement, i: Integration, reload: () => Promise<void>): void {
  let key: KeyFile | null = null;
  const status = notice();
  const save = button(
    'Save the new key',
    async () => {
      if (key === null) {
        status.fail(new Error('Choose the new API key file first.'));
        return;
      }
      try {
        await sendJson('PATCH', `/integrations/${i.id}`, { apiKeyFile: key.raw });
        status.ok('Key rotated. The next sync uses it.');
        await reload();
      } catch (error) {
        status.fail(error);
      }
    },
    { class: 'primary' },
  );
  showPanel(
    panel,
    `Rotate the key of ${i.name}`,
    h('p', null, `Current key ${i.keyId}${i.secretHint === '' ? '' : `, secret …${i.secretHint}`}.`),
    keyFileInput((k) => (key = k)),
    save,
    status.el,
  );
}

function showBackfill(panel: HTMLElement, i: Integration): void {
  const since = h('input', { type: 'datetime-local', required: true });
  const until = h('input', { type: 'datetime-local', required: true });
  const progress = h('div', { 'aria-live': 'polite' });
  const status = notice();
  let timer: number | undefined;
  const follow = async (runId: string): Promise<void> => {
    try {
      const run = await getJson<SyncRun>(`/sync-runs/${runId}`);
      const p = run.progress;
      replace(
        progress,
        h(
          'p',
          null,
          `Backfill ${run.status}: ${p.chunksDone} of ${p.chunksTotal} chunks, ${p.pagesListed} pages, ` +
            `${run.alertsNew} new alerts; listed up to ${localTime(p.listedUntil)}` +
            (p.enrichmentPending === null
              ? ''
              : `; enrichment ${p.enrichmentDone ?? 0} done, ${p.enrichmentPending} pending`),
        ),
        h('progress', {
          max: Math.max(1, p.chunksTotal),
          value: p.chunksDone,
          'aria-label': 'Backfill progress',
        }),
      );
      if (run.status === 'running' || (p.enrichmentPending ?? 0) > 0) {
        timer = window.setTimeout(() => void follow(runId), 2000);
      }
    } catch (error) {
      replace(progress, errorBox(error));
    }
  };
  const form = h(
    'form',
    { class: 'form', 'aria-label': `Backfill ${i.name}` },
    field('From (local time)', since),
    field('Until (local time)', until, "Within Lacework's last 90 days."),
    h('button', { type: 'submit', class: 'primary' }, 'Start backfill'),
    status.el,
    progress,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    window.clearTimeout(timer);
    void sendJson<{ runId: string }>('POST', `/integrations/${i.id}/backfill`, {
      since: fromLocalInput(since.value),
      until: fromLocalInput(until.value),
    }).then(
      (run) => {
        status.ok('Backfill started.');
        if (run !== null) {
          void follow(run.runId);
        }
      },
      (error: unknown) => status.fail(error),
    );
  });
  showPanel(panel, `Backfill ${i.name}`, form);
}

function showDelete(panel: HTMLElement, i: Integration, reload: () => Promise<void>): void {
  const purge = h('input', { type: 'checkbox' });
  const status = notice();
  const remove = button(
    `Delete ${i.name}`,
    async () => {
      const what = purge.checked
        ? `Delete ${i.name} and purge its alerts, alert versions, deliveries and sync history? This cannot be undone.`
        : `Delete ${i.name}? Polling stops; its alerts and history stay until purged.`;
      if (!confirmAction(what)) {
        return;
      }
      try {
        await sendJson('DELETE', `/integrations/${i.id}${purge.checked ? '?purge=true' : ''}`);
        status.ok(`${i.name} deleted${purge.checked ? ' and purged' : ''}.`);
        await reload();
      } catch (error) {
        status.fail(error);
      }
    },
    { class: 'danger' },
  );
  showPanel(
    panel,
    `Delete ${i.name}`,
    h('p', null, `Deleting stops polling ${i.organizationUrl}. Created ${timeAndAge(i.createdAt)}.`),
    h(
      'div',
      { class: 'check' },
      purge,
      h(
        'label',
        { for: (purge.id = `purge-${i.id}`) },
        'Also purge its alerts, versions, deliveries and sync history',
      ),
    ),
    remove,
    status.el,
  );
}
