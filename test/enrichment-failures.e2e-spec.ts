import { FakeLacework, generateAlerts } from './fakes/fake-lacework';
import { createIntegration, KEY, syncAndSettle } from './setup/sync-helpers';
import { asAdmin, asViewer, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { hourStart, sleep, waitFor } from './setup/wait';

const HOUR = 3_600_000;
const MAX_ATTEMPTS = 3;

describe('enrichment: a version that cannot be completed', () => {
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
      SCOPE_MAX_ATTEMPTS: '2',
      LACEWORK_MAX_ATTEMPTS: '1',
      LACEWORK_RETRY_BASE_MS: '5',
      ENRICHMENT_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    });
    fake = await FakeLacework.start({ pageSize: 500 });
    fake.addKey(KEY);
  });

  afterAll(async () => {
    await app?.close();
    await fake?.close();
    await db?.drop();
  });

  const scopeCallsOf = (alertId: string): number =>
    fake.requests.filter((r) => r.kind === 'scope' && r.alertId === alertId).length;

  it('stops after a bounded number of attempts, shows `failed`, and a replay fetches only what is missing', async () => {
    const alerts = generateAlerts(3, { start: hourStart(5 * HOUR), hours: 2, firstId: 4_100_000 });
    fake.addAlerts(alerts);
    const poison = alerts[0].alertId;
    // One scope gives up for good: it is kept like any other answer, never fetched again.
    fake.failScope(poison, 'Timeline', 500);
    // The database refuses to store this alert's document: a failure outside the scopes, on every attempt.
    await db.query(`CREATE FUNCTION refuse_document() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN RAISE EXCEPTION 'document refused by the test'; END $$`);
    await db.query(`CREATE TRIGGER refuse_document BEFORE UPDATE ON alert_versions FOR EACH ROW
                    WHEN (NEW.alert_id = '${poison}' AND NEW.state IN ('complete', 'incomplete'))
                    EXECUTE FUNCTION refuse_document()`);

    const id = await createIntegration(app, fake, { requestsPerHour: 100000 });
    const run = await syncAndSettle(app, db, id, 60_000);
    expect(run.status).toBe('succeeded');

    const [version] = await db.query<{ state: string; failed_attempts: number; last_error: string }>(
      `SELECT state, failed_attempts, last_error FROM alert_versions WHERE alert_id = $1`,
      [poison],
    );
    expect(version).toMatchObject({ state: 'failed', failed_attempts: MAX_ATTEMPTS });
    expect(version.last_error).toContain('document refused by the test');
    // Five scopes answered once, Timeline twice (SCOPE_MAX_ATTEMPTS); the retries paid for nothing again.
    expect(scopeCallsOf(poison)).toBe(5 + 2);
    const others = await db.query<{ state: string }>(
      `SELECT state FROM alert_versions WHERE integration_id = $1 AND alert_id <> $2`,
      [id, poison],
    );
    expect(others.map((o) => o.state)).toEqual(['complete', 'complete']);

    // Nothing claims it again: the calls do not grow over many ticks.
    await sleep(1_000);
    expect(scopeCallsOf(poison)).toBe(7);

    const [alertRow] = await db.query<{ id: string }>(`SELECT id FROM alerts WHERE alert_id = $1`, [poison]);
    const detail = await app.http.get(`/api/v1/alerts/${alertRow.id}`).set(asViewer);
    expect(detail.status).toBe(200);
    expect(detail.body.state).toBe('failed');
    expect(detail.body.versions[0]).toMatchObject({
      version: 1,
      state: 'failed',
      failedAttempts: MAX_ATTEMPTS,
      lastError: expect.stringContaining('document refused by the test'),
    });
    expect(detail.body.versions[0].scopes.Timeline).toMatchObject({ outcome: 'failed', attempts: 2 });
    expect(detail.body.versions[0].scopes.Details).toMatchObject({ outcome: 'ok', attempts: 1 });
    const status = await app.http.get(`/api/v1/integrations/${id}/status`).set(asViewer);
    expect(status.body.backlog.enrichmentFailed).toBe(1);
    const failedList = await app.http.get(`/api/v1/alerts?state=failed`).set(asViewer);
    expect(failedList.body.items.map((a: { alertId: string }) => a.alertId)).toEqual([poison]);

    const retryUrl = `/api/v1/alerts/${alertRow.id}/versions/1/retry`;
    expect((await app.http.post(retryUrl).set(asViewer)).status).toBe(403);
    const badVersion = await app.http.post(`/api/v1/alerts/${alertRow.id}/versions/x/retry`).set(asAdmin);
    expect(badVersion.status).toBe(400);
    expect(JSON.stringify(badVersion.body)).toContain('version');
    expect((await app.http.post(`/api/v1/alerts/${alertRow.id}/versions/2/retry`).set(asAdmin)).status).toBe(
      404,
    );
    const [other] = await db.query<{ id: string }>(
      `SELECT id FROM alerts WHERE integration_id = $1 AND alert_id <> $2 LIMIT 1`,
      [id, poison],
    );
    expect((await app.http.post(`/api/v1/alerts/${other.id}/versions/1/retry`).set(asAdmin)).status).toBe(
      409,
    );

    await db.query(`DROP TRIGGER refuse_document ON alert_versions`);
    const replay = await app.http.post(retryUrl).set(asAdmin);
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual({ id: alertRow.id, version: 1, state: 'pending' });
    const done = await waitFor(
      async () => {
        const [row] = await db.query<{ state: string; failed_scopes: string[]; document: string | null }>(
          `SELECT state, failed_scopes, document FROM alert_versions WHERE alert_id = $1`,
          [poison],
        );
        return row.state !== 'pending' ? row : undefined;
      },
      30_000,
      'the replayed version to complete',
    );
    expect(done.state).toBe('incomplete');
    expect(done.failed_scopes).toEqual(['Timeline']);
    expect(done.document).toContain('"scopeDetails":');
    // Every answer was kept, the given-up scope included: the replay made no scope call.
    expect(scopeCallsOf(poison)).toBe(7);
    const after = await app.http.get(`/api/v1/integrations/${id}/status`).set(asViewer);
    expect(after.body.backlog.enrichmentFailed).toBe(0);
    const [alertAfter] = await db.query<{ state: string }>(`SELECT state FROM alerts WHERE id = $1`, [
      alertRow.id,
    ]);
    expect(alertAfter.state).toBe('incomplete');
  });
});
