import { FakeDownstream } from './fakes/fake-downstream';
import { FakeLacework, generateAlerts } from './fakes/fake-lacework';
import { createIntegration, KEY, settle, syncAndSettle } from './setup/sync-helpers';
import { asAdmin, asViewer, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { hourStart, waitFor } from './setup/wait';

const HOUR = 3_600_000;
const SECRET = 'whsec_' + Buffer.alloc(32, 5).toString('base64');

/** The alert id in a delivery's `webhook-id`: `lw_<integrationId>_<alertId>_v<version>`. */
const alertIdOf = (webhook: { id: string }): string => webhook.id.split('_')[2];

const appEnv = (overrides: Record<string, string>): Record<string, string> => ({
  SCHEDULER_ENABLED: 'true',
  SCHEDULER_TICK_MS: '50',
  LACEWORK_RETRY_BASE_MS: '5',
  ENRICHMENT_CONCURRENCY: '4',
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  ...overrides,
});

async function createDestination(app: TestApp, downstream: FakeDownstream): Promise<string> {
  const res = await app.http
    .post('/api/v1/destinations')
    .set(asAdmin)
    .send({
      name: `dest-${Math.random().toString(36).slice(2)}`,
      url: `${downstream.url}/ingest`,
      signingSecret: SECRET,
    });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

interface RunRow {
  id: string;
  trigger: string;
  status: string;
  started_at: Date;
  finished_at: Date | null;
}

/** Live polling beside backfills, and the start horizon that the re-list keeps. */
describe('sync lanes and the intake horizon', () => {
  let db: TestDatabase;
  let app: TestApp;
  let lacework: FakeLacework;
  let downstream: FakeDownstream;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url, appEnv({ POLLING_ENABLED: 'true' }));
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  beforeEach(async () => {
    lacework = await FakeLacework.start();
    lacework.addKey(KEY);
    downstream = await FakeDownstream.start({ secrets: [SECRET] });
  });

  afterEach(async () => {
    await db.query(`UPDATE integrations SET enabled = false`);
    await lacework.close();
    await downstream.close();
  });

  const runsOf = (integrationId: string): Promise<RunRow[]> =>
    db.query<RunRow>(
      `SELECT id, trigger, status, started_at, finished_at FROM sync_runs WHERE integration_id = $1
        ORDER BY started_at`,
      [integrationId],
    );

  const waitForRunsToEnd = (integrationId: string): Promise<unknown> =>
    waitFor(
      async () => (await runsOf(integrationId)).every((r) => r.status !== 'running'),
      30_000,
      'every run to end',
    );

  const deliveredAlertIds = (): Set<string> => new Set(downstream.received.map(alertIdOf));

  it('lists and delivers a new Critical alert on the next poll while a long backfill is still listing', async () => {
    // Two alerts a page, each answer a little slow: the backfill of 1,000 Low alerts lists for many seconds.
    lacework.setOptions({ pageSize: 2, latencyMs: 15 });
    lacework.addAlerts(
      generateAlerts(1000, {
        start: hourStart(9 * 24 * HOUR),
        hours: 6 * 24,
        firstId: 100_000,
        severities: ['Low'],
      }),
    );
    const destinationId = await createDestination(app, downstream);
    const id = await createIntegration(app, lacework, {
      requestsPerHour: 100000,
      minSeverity: 'Critical',
      destinationId,
    });
    await waitFor(
      async () => (await runsOf(id)).some((r) => r.trigger === 'schedule' && r.status === 'succeeded'),
      30_000,
      'the first scheduled run',
    );
    await db.query(`UPDATE integrations SET poll_interval_seconds = 1, next_poll_at = now() WHERE id = $1`, [
      id,
    ]);

    const backfill = await app.http
      .post(`/api/v1/integrations/${id}/backfill`)
      .set(asAdmin)
      .send({
        since: new Date(Date.now() - 10 * 24 * HOUR).toISOString(),
        until: new Date(Date.now() - 2 * 24 * HOUR).toISOString(),
      });
    expect(backfill.status).toBe(202);
    await waitFor(
      async () => {
        const run = await app.http.get(`/api/v1/sync-runs/${backfill.body.runId}`).set(asViewer);
        return run.body.status === 'running' && run.body.progress.pagesListed >= 3;
      },
      30_000,
      'the backfill to be listing',
    );

    const [critical] = generateAlerts(1, {
      start: hourStart(0),
      hours: 1,
      firstId: 900_000,
      severities: ['Critical'],
    });
    lacework.addAlerts([critical]);
    await waitFor(
      () => deliveredAlertIds().has(critical.alertId),
      60_000,
      'the Critical alert to be delivered',
    );

    const during = await app.http.get(`/api/v1/sync-runs/${backfill.body.runId}`).set(asViewer);
    expect(during.body).toMatchObject({ status: 'running', trigger: 'backfill', lane: 'backfill' });
    const runs = await runsOf(id);
    const backfillRun = runs.find((r) => r.id === backfill.body.runId)!;
    const liveDuringBackfill = runs.filter(
      (r) =>
        r.trigger !== 'backfill' &&
        r.status === 'succeeded' &&
        r.started_at.getTime() > backfillRun.started_at.getTime(),
    );
    expect(liveDuringBackfill.length).toBeGreaterThanOrEqual(1);
    const [stored] = await db.query<{ backfill: boolean; state: string }>(
      `SELECT backfill, state FROM alert_versions WHERE integration_id = $1 AND alert_id = $2`,
      [id, critical.alertId],
    );
    expect(stored).toEqual({ backfill: false, state: 'complete' });
    // Nor is a manual live run refused because of the backfill.
    const manual = await app.http.post(`/api/v1/integrations/${id}/sync`).set(asAdmin);
    expect([202, 409]).toContain(manual.status);
    if (manual.status === 409) {
      expect(manual.body.runId).not.toBe(backfill.body.runId);
    }
    // The backfill is left listing: closing the fake Lacework ends it.
  }, 120_000);

  it('starts the due poll as soon as a manual run frees the live lane, not a poll interval later', async () => {
    const id = await createIntegration(app, lacework);
    await waitFor(
      async () => (await runsOf(id)).some((r) => r.trigger === 'schedule' && r.status === 'succeeded'),
      30_000,
      'the first scheduled run',
    );
    lacework.setOptions({ latencyMs: 1_500 });
    const manual = await app.http.post(`/api/v1/integrations/${id}/sync`).set(asAdmin);
    expect(manual.status).toBe(202);
    // The poll falls due while the manual run holds the live lane.
    await db.query(`UPDATE integrations SET next_poll_at = now() WHERE id = $1`, [id]);
    const ended = await waitFor(
      async () => (await runsOf(id)).find((r) => r.id === manual.body.runId && r.finished_at !== null),
      30_000,
      'the manual run to end',
    );
    lacework.setOptions({ latencyMs: 0 });
    const next = await waitFor(
      async () =>
        (await runsOf(id)).find(
          (r) => r.trigger === 'schedule' && r.started_at.getTime() >= ended.finished_at!.getTime(),
        ),
      10_000,
      'a scheduled run after the manual one',
    );
    expect(next.started_at.getTime() - ended.finished_at!.getTime()).toBeLessThan(10_000);
    await db.query(`UPDATE integrations SET enabled = false WHERE id = $1`, [id]);
    await waitForRunsToEnd(id);
  }, 60_000);
});

/** The initial lookback is a horizon: the 7-day re-list catches changes of alerts taken in, and takes in nothing older. */
describe('initial lookback horizon', () => {
  let db: TestDatabase;
  let app: TestApp;
  let lacework: FakeLacework;
  let downstream: FakeDownstream;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url, appEnv({ POLLING_ENABLED: 'false' }));
    lacework = await FakeLacework.start();
    lacework.addKey(KEY);
    downstream = await FakeDownstream.start({ secrets: [SECRET] });
  });

  afterAll(async () => {
    await app?.close();
    await lacework?.close();
    await downstream?.close();
    await db?.drop();
  });

  it('never enriches or delivers alerts older than the lookback, through runs that re-list 7 days', async () => {
    const alerts = generateAlerts(120, { start: hourStart(96 * HOUR), hours: 96, firstId: 300_000 });
    lacework.addAlerts(alerts);
    const destinationId = await createDestination(app, downstream);
    const id = await createIntegration(app, lacework, {
      initialLookbackHours: 24,
      requestsPerHour: 100000,
      destinationId,
    });
    const [integration] = await db.query<{ created_at: Date }>(
      `SELECT created_at FROM integrations WHERE id = $1`,
      [id],
    );
    const horizon = integration.created_at.getTime() - 24 * HOUR;
    const recent = alerts.filter((a) => a.startTime.getTime() >= horizon).map((a) => a.alertId);
    const older = alerts.length - recent.length;
    expect(older).toBeGreaterThan(80);

    const runs = [];
    for (let i = 0; i < 3; i++) {
      runs.push(await syncAndSettle(app, db, id));
    }
    expect(runs.map((r) => r.relist)).toEqual([false, true, false]);
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);

    const stored = await db.query<{ alert_id: string; start_time: Date }>(
      `SELECT alert_id, start_time FROM alert_versions WHERE integration_id = $1`,
      [id],
    );
    expect(stored.filter((v) => v.start_time.getTime() < horizon)).toEqual([]);
    expect(stored.map((v) => v.alert_id).sort()).toEqual([...recent].sort());
    expect(lacework.count('scope')).toBe(recent.length * 6);
    await waitFor(() => downstream.received.length >= recent.length, 30_000, 'the recent alerts delivered');
    const delivered = downstream.received.map(alertIdOf);
    expect(delivered.sort()).toEqual([...recent].sort());
    expect(runs[1].alertsNew).toBe(0);
    expect(runs[1].alertsBeforeHorizon).toBe(older);

    // An older alert taken in by a backfill is still watched by the re-list: its change gets a new version.
    const oldest = alerts[0];
    const backfill = await app.http
      .post(`/api/v1/integrations/${id}/backfill`)
      .set(asAdmin)
      .send({
        since: new Date(oldest.startTime.getTime() - 60_000).toISOString(),
        until: new Date(oldest.startTime.getTime() + 60_000).toISOString(),
      });
    expect(backfill.status).toBe(202);
    await waitFor(
      async () =>
        (await app.http.get(`/api/v1/sync-runs/${backfill.body.runId}`).set(asViewer)).body.status ===
        'succeeded',
      30_000,
      'the backfill',
    );
    // Its version 1 is assembled before the change is listed, or the change would supersede it.
    await settle(db, id);
    lacework.updateAlert(oldest.alertId, { status: 'Closed' });
    await db.query(`UPDATE integrations SET last_relist_at = NULL WHERE id = $1`, [id]);
    const relist = await syncAndSettle(app, db, id);
    expect(relist).toMatchObject({ relist: true, alertsChanged: 1 });
    const versions = await db.query<{ version: number; state: string }>(
      `SELECT version, state FROM alert_versions WHERE integration_id = $1 AND alert_id = $2 ORDER BY version`,
      [id, oldest.alertId],
    );
    expect(versions).toEqual([
      { version: 1, state: 'complete' },
      { version: 2, state: 'complete' },
    ]);
  }, 120_000);
});
