import { SCOPE_NAMES } from '../src/lacework/lacework.types';
import { FakeLacework, generateAlerts, machineIdFor } from './fakes/fake-lacework';
import {
  canonical,
  createIntegration,
  KEY,
  scopesOfDocument,
  settle,
  syncAndSettle,
} from './setup/sync-helpers';
import { asAdmin, asViewer, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { hourStart, waitFor } from './setup/wait';

const HOUR = 3_600_000;

describe('sync engine: listing, enrichment, versions, history', () => {
  let db: TestDatabase;
  let app: TestApp;
  let fake: FakeLacework;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url, {
      SCHEDULER_ENABLED: 'true',
      POLLING_ENABLED: 'false',
      SCHEDULER_TICK_MS: '50',
      SCOPE_RETRY_BASE_MS: '20',
      LACEWORK_RETRY_BASE_MS: '5',
      ENRICHMENT_CONCURRENCY: '8',
      // requestsPerHour counts per 10 s here: the budget paces as in production, 360 times faster.
      LACEWORK_BUDGET_WINDOW_MS: '10000',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    });
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  beforeEach(async () => {
    fake = await FakeLacework.start({ pageSize: 500 });
    fake.addKey(KEY);
  });

  afterEach(async () => {
    await fake.close();
  });

  const scopeCalls = (): number => fake.count('scope');

  it('assembles 1,200 alerts over three pages into documents equal to what Lacework serves', async () => {
    const startedAt = Date.now();
    const alerts = generateAlerts(1200, { start: hourStart(20 * HOUR), hours: 18, firstId: 7_000_000 });
    fake.addAlerts(alerts);
    const id = await createIntegration(app, fake, { requestsPerHour: 100000 });
    const run = await syncAndSettle(app, db, id, 120_000);
    expect(run).toMatchObject({
      status: 'succeeded',
      trigger: 'manual',
      alertsListed: 1200,
      alertsNew: 1200,
      error: null,
    });
    expect(run.progress.pagesListed).toBe(3);
    expect(run.apiCalls.list.ok).toBe(3);

    const docs = await db.query<{ alert_id: string; document: string; state: string }>(
      `SELECT alert_id, document, state FROM alert_versions WHERE integration_id = $1`,
      [id],
    );
    expect(docs).toHaveLength(1200);
    let nulls = 0;
    let emptyArrays = 0;
    for (const doc of docs) {
      expect(doc.state).toBe('complete');
      const scopes = scopesOfDocument(doc.document);
      for (const scope of SCOPE_NAMES) {
        const expected = canonical(fake.expectedScopeData(doc.alert_id, scope));
        expect({ alert: doc.alert_id, scope, value: scopes[scope] }).toEqual({
          alert: doc.alert_id,
          scope,
          value: expected,
        });
        nulls += expected === null ? 1 : 0;
        emptyArrays += expected === '[]' ? 1 : 0;
      }
      expect(doc.document).toContain(`"mid":${machineIdFor(doc.alert_id)}`);
      expect(doc.document.startsWith(canonical(fake.listRecordText(doc.alert_id))!.slice(0, -1))).toBe(true);
    }
    expect(nulls).toBeGreaterThan(100);
    expect(emptyArrays).toBeGreaterThan(100);
    expect(scopeCalls()).toBe(1200 * 6);
    const tokens = fake.count('token');
    expect(tokens).toBe(1);
    process.stdout.write(`1,200 alerts synced and assembled in ${Date.now() - startedAt} ms\n`);
  }, 180_000);

  it('picks up a late alert, fetches nothing on quiet runs, and versions a status change', async () => {
    const id = await createIntegration(app, fake);
    const start = hourStart(2 * HOUR);
    const onTime = generateAlerts(3, { start, hours: 1, firstId: 100 });
    fake.addAlerts(onTime);
    const late = {
      ...generateAlerts(1, { start, hours: 1, firstId: 200 })[0],
      visibleAt: new Date(Date.now() + 24 * HOUR),
    };
    fake.addAlerts([late]);
    await syncAndSettle(app, db, id);
    expect(scopeCalls()).toBe(18);
    const [cursor] = await db.query<{ sync_cursor: Date }>(
      'SELECT sync_cursor FROM integrations WHERE id = $1',
      [id],
    );
    // The late alert started well before the cursor: a window starting at the last poll would miss it.
    expect(late.startTime.getTime()).toBeLessThan(cursor.sync_cursor.getTime() - HOUR);

    fake.removeAlert('200');
    fake.addAlerts([{ ...late, visibleAt: new Date(Date.now() - 1000) }]);
    const second = await syncAndSettle(app, db, id);
    expect(second).toMatchObject({ alertsNew: 1, alertsUnchanged: 3 });
    expect(scopeCalls()).toBe(24);

    fake.reset();
    for (let i = 0; i < 3; i++) {
      const quiet = await syncAndSettle(app, db, id);
      expect(quiet).toMatchObject({
        status: 'succeeded',
        alertsNew: 0,
        alertsChanged: 0,
        alertsUnchanged: 4,
      });
    }
    expect(scopeCalls()).toBe(0);
    const [versions] = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM alert_versions WHERE integration_id = $1',
      [id],
    );
    expect(versions.n).toBe(4);

    fake.updateAlert('100', { status: 'Closed' });
    const changed = await syncAndSettle(app, db, id);
    expect(changed).toMatchObject({ alertsChanged: 1, alertsNew: 0, alertsUnchanged: 3 });
    expect(scopeCalls()).toBe(6);
    const rows = await db.query<{ version: number; state: string; document: string }>(
      `SELECT version, state, document FROM alert_versions WHERE integration_id = $1 AND alert_id = '100' ORDER BY version`,
      [id],
    );
    expect(rows.map((r) => [r.version, r.state])).toEqual([
      [1, 'complete'],
      [2, 'complete'],
    ]);
    expect(rows[1].document).toContain('"status":"Closed"');
    const again = await syncAndSettle(app, db, id);
    expect(again.alertsChanged).toBe(0);
  });

  it('finishes every alert through 20% server errors and 429s without exceeding the budget or duplicating', async () => {
    const alerts = generateAlerts(60, { start: hourStart(3 * HOUR), hours: 2, firstId: 9000 });
    fake.addAlerts(alerts);
    fake.setOptions({ serverErrorRate: 0.2, seed: 7, rateLimit: { limit: 1000, windowSeconds: 3600 } });
    fake.failNext(3, 429, { 'RateLimit-Reset': '1', 'RateLimit-Limit': '480', 'RateLimit-Remaining': '0' });
    const id = await createIntegration(app, fake, { requestsPerHour: 1000 });
    // A listing that meets too many errors in a row fails and the next run lists again, as the scheduler would.
    const runs = [await syncAndSettle(app, db, id, 120_000)];
    while (runs[runs.length - 1].status !== 'succeeded' && runs.length < 4) {
      expect(runs[runs.length - 1].error.class).toMatch(/upstream|rate_limit/);
      runs.push(await syncAndSettle(app, db, id, 120_000));
    }
    expect(runs[runs.length - 1].status).toBe('succeeded');
    const states = await db.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM alert_versions WHERE integration_id = $1 GROUP BY state`,
      [id],
    );
    expect(states).toEqual([{ state: 'complete', n: 60 }]);
    const [dups] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT alert_id FROM alert_versions WHERE integration_id = $1
         GROUP BY alert_id HAVING count(*) > 1) d`,
      [id],
    );
    expect(dups.n).toBe(0);
    expect(fake.requests.filter((r) => r.status === 429 && r.kind !== 'token').length).toBe(3);
    expect(fake.requests.length).toBeLessThanOrEqual(1000);
    expect(fake.requests.filter((r) => r.status >= 500).length).toBeGreaterThan(10);
  });

  it('completes an alert whose scope keeps failing as incomplete, without holding up the others', async () => {
    const alerts = generateAlerts(5, { start: hourStart(2 * HOUR), hours: 1, firstId: 300 });
    fake.addAlerts(alerts);
    fake.failScope('302', 'Events', 500);
    const id = await createIntegration(app, fake);
    await syncAndSettle(app, db, id);
    const rows = await db.query<{
      alert_id: string;
      state: string;
      failed_scopes: string[];
      document: string;
    }>(
      `SELECT alert_id, state, failed_scopes, document FROM alert_versions WHERE integration_id = $1 ORDER BY alert_id`,
      [id],
    );
    expect(rows.map((r) => [r.alert_id, r.state])).toEqual([
      ['300', 'complete'],
      ['301', 'complete'],
      ['302', 'incomplete'],
      ['303', 'complete'],
      ['304', 'complete'],
    ]);
    expect(rows[2].failed_scopes).toEqual(['Events']);
    expect(scopesOfDocument(rows[2].document).Events).toBeNull();
    expect(scopesOfDocument(rows[2].document).Details).not.toBeNull();
    const [alert] = await db.query<{ state: string }>(
      `SELECT state FROM alerts WHERE alert_id = '302' AND integration_id = $1`,
      [id],
    );
    expect(alert.state).toBe('incomplete');
    const [scope] = await db.query<{ attempts: number; last_error: string }>(
      `SELECT s.attempts, s.last_error FROM alert_scopes s JOIN alert_versions v ON v.id = s.alert_version_id
        WHERE v.alert_id = '302' AND v.integration_id = $1 AND s.scope = 'Events'`,
      [id],
    );
    expect(scope.attempts).toBe(5);
    expect(scope.last_error).toMatch(/500/);
  });

  it('records an alert whose Details are gone and stores no document for it', async () => {
    fake.addAlerts(generateAlerts(2, { start: hourStart(2 * HOUR), hours: 1, firstId: 400 }));
    fake.failScope('401', 'Details', 404);
    const id = await createIntegration(app, fake);
    await syncAndSettle(app, db, id);
    const rows = await db.query<{ alert_id: string; state: string; document: string | null }>(
      `SELECT alert_id, state, document FROM alert_versions WHERE integration_id = $1 ORDER BY alert_id`,
      [id],
    );
    expect(rows.map((r) => [r.alert_id, r.state, r.document === null])).toEqual([
      ['400', 'complete', false],
      ['401', 'gone', true],
    ]);
  });

  it('applies filters before enrichment: filtered alerts cost no scope call and are counted', async () => {
    fake.addAlerts(generateAlerts(20, { start: hourStart(2 * HOUR), hours: 1, firstId: 500 }));
    const id = await createIntegration(app, fake, {
      minSeverity: 'High',
      excludeAlertTypes: ['NewExternalServerDNSConns'],
    });
    const run = await syncAndSettle(app, db, id);
    const kept = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM alert_versions WHERE integration_id = $1 AND state = 'complete'`,
      [id],
    );
    const filtered = await db.query<{ n: number; bad: number }>(
      `SELECT count(*)::int AS n,
              count(*) FILTER (WHERE severity IN ('Critical', 'High') AND alert_type <> 'NewExternalServerDNSConns')::int AS bad
         FROM alerts WHERE integration_id = $1 AND state = 'filtered'`,
      [id],
    );
    expect(run.alertsFiltered).toBe(filtered[0].n);
    expect(filtered[0].n).toBeGreaterThan(0);
    expect(filtered[0].bad).toBe(0);
    expect(kept[0].n + filtered[0].n).toBe(20);
    expect(scopeCalls()).toBe(kept[0].n * 6);
  });

  it('enriches every Critical alert before any Low one when the budget is short', async () => {
    const alerts = generateAlerts(40, {
      start: hourStart(3 * HOUR),
      hours: 2,
      firstId: 600,
      severities: ['Critical', 'Low'],
    });
    fake.addAlerts(alerts);
    const id = await createIntegration(app, fake, { requestsPerHour: 100000 });
    await db.query(`UPDATE integrations SET requests_per_hour = 30 WHERE id = $1`, [id]);
    // 30 requests per 10 s window: the token, one page and a few alerts before the check below.
    const started = await app.http.post(`/api/v1/integrations/${id}/sync`).set(asAdmin);
    await waitFor(
      async () =>
        (await app.http.get(`/api/v1/sync-runs/${started.body.runId}`).set(asAdmin)).body.status !==
        'running',
    );
    await waitFor(() => fake.count('scope') >= 24, 20_000, 'the budget to be spent');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const done = await db.query<{ severity: string; n: number }>(
      `SELECT a.severity, count(*)::int AS n FROM alert_versions v JOIN alerts a ON a.id = v.alert_row_id
        WHERE v.integration_id = $1 AND v.state = 'complete' GROUP BY a.severity`,
      [id],
    );
    const critical = alerts.filter((a) => a.severity === 'Critical').length;
    expect(critical).toBeGreaterThan(4);
    expect(done.find((d) => d.severity === 'Low')).toBeUndefined();
    expect(done.find((d) => d.severity === 'Critical')?.n).toBeGreaterThanOrEqual(3);
    const scoped = new Set(fake.requests.filter((r) => r.kind === 'scope').map((r) => r.alertId));
    const lows = new Set(alerts.filter((a) => a.severity === 'Low').map((a) => a.alertId));
    expect([...scoped].filter((a) => lows.has(a!))).toEqual([]);
    expect(fake.requests.length).toBeLessThanOrEqual(30);
    await db.query(`UPDATE integrations SET enabled = false WHERE id = $1`, [id]);
  });

  it('backfills a past range as a backfill run, behind live alerts, and shows its progress', async () => {
    const old = generateAlerts(10, { start: hourStart(10 * 24 * HOUR), hours: 48, firstId: 800 });
    fake.addAlerts(old);
    const id = await createIntegration(app, fake, { initialLookbackHours: 1 });
    const since = new Date(Date.now() - 11 * 24 * HOUR).toISOString();
    const until = new Date(Date.now() - 2 * 24 * HOUR).toISOString();
    const bad = await app.http
      .post(`/api/v1/integrations/${id}/backfill`)
      .set(asAdmin)
      .send({ since: until, until: since });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^since/);
    const tooOld = await app.http
      .post(`/api/v1/integrations/${id}/backfill`)
      .set(asAdmin)
      .send({ since: new Date(Date.now() - 100 * 24 * HOUR).toISOString(), until });
    expect(tooOld.status).toBe(400);
    const res = await app.http
      .post(`/api/v1/integrations/${id}/backfill`)
      .set(asAdmin)
      .send({ since, until });
    expect(res.status).toBe(202);
    const run = await waitFor(async () => {
      const r = await app.http.get(`/api/v1/sync-runs/${res.body.runId}`).set(asViewer);
      return r.body.status !== 'running' ? r.body : undefined;
    });
    expect(run).toMatchObject({ trigger: 'backfill', status: 'succeeded', alertsNew: 10 });
    expect(run.progress.chunksTotal).toBe(2);
    expect(run.progress.chunksDone).toBe(2);
    await settle(db, id);
    const after = await app.http.get(`/api/v1/sync-runs/${res.body.runId}`).set(asViewer);
    expect(after.body.progress).toMatchObject({ enrichmentPending: 0, enrichmentDone: 10 });
    const [backfilled] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM alert_versions WHERE integration_id = $1 AND backfill`,
      [id],
    );
    expect(backfilled.n).toBe(10);
    const [cursor] = await db.query<{ sync_cursor: Date | null }>(
      'SELECT sync_cursor FROM integrations WHERE id = $1',
      [id],
    );
    expect(cursor.sync_cursor).toBeNull();
  });

  it('allows one run per integration at a time (409 with the running id) and lists history newest first', async () => {
    fake.setOptions({ latencyMs: 300 });
    fake.addAlerts(generateAlerts(2, { start: hourStart(2 * HOUR), hours: 1, firstId: 900 }));
    const id = await createIntegration(app, fake);
    const first = await app.http.post(`/api/v1/integrations/${id}/sync`).set(asAdmin);
    const second = await app.http.post(`/api/v1/integrations/${id}/sync`).set(asAdmin);
    expect(first.status).toBe(202);
    expect(second.status).toBe(409);
    expect(second.body.runId).toBe(first.body.runId);
    await settle(db, id);
    await waitFor(
      async () =>
        (await app.http.get(`/api/v1/sync-runs/${first.body.runId}`).set(asAdmin)).body.status !== 'running',
    );
    fake.setOptions({ latencyMs: 0 });
    await syncAndSettle(app, db, id);
    const history = await app.http.get(`/api/v1/integrations/${id}/sync-runs`).set(asViewer);
    expect(history.status).toBe(200);
    expect(history.body.items).toHaveLength(2);
    expect(history.body.items[1].id).toBe(first.body.runId);
    expect(Date.parse(history.body.items[0].startedAt)).toBeGreaterThanOrEqual(
      Date.parse(history.body.items[1].startedAt),
    );
    const unknown = await app.http
      .get('/api/v1/sync-runs/3f0e6a1c-1d2b-4c3d-9e8f-0a1b2c3d4e5f')
      .set(asViewer);
    expect(unknown.status).toBe(404);
  });

  it('records an auth failure as such, without any secret in the message', async () => {
    const id = await createIntegration(app, fake, {
      keyId: 'UNKNOWN_KEY',
      secret: '_never_shown_secret_value',
    });
    const run = await syncAndSettle(app, db, id);
    expect(run.status).toBe('failed');
    expect(run.error.class).toBe('auth');
    expect(JSON.stringify(run)).not.toContain('_never_shown_secret_value');
    const [row] = await db.query<{ sync_cursor: Date | null }>(
      'SELECT sync_cursor FROM integrations WHERE id = $1',
      [id],
    );
    expect(row.sync_cursor).toBeNull();
  });

  it('pages sync-run history completely, including runs started within the same millisecond', async () => {
    const id = await createIntegration(app, fake);
    await db.query(
      `INSERT INTO sync_runs (integration_id, trigger, status, started_at, window_start, window_end)
       SELECT $1, 'schedule', 'succeeded', '2026-05-01T00:00:00.123Z'::timestamptz + (g % 3) * interval '1 microsecond'
                                          + (g / 3) * interval '1 second', now(), now()
         FROM generate_series(0, 10) g`,
      [id],
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: Record<string, string | number> = cursor === null ? { limit: 4 } : { limit: 4, cursor };
      const page = await app.http.get(`/api/v1/integrations/${id}/sync-runs`).query(query).set(asViewer);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((r: { id: string }) => r.id));
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    const all = await db.query<{ id: string }>(
      `SELECT id FROM sync_runs WHERE integration_id = $1 ORDER BY started_at DESC, id DESC`,
      [id],
    );
    expect(seen).toEqual(all.map((r) => r.id));
  });
});
