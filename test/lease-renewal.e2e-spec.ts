import { FakeLacework, generateAlerts } from './fakes/fake-lacework';
import { createIntegration, KEY, settle } from './setup/sync-helpers';
import { asAdmin, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { hourStart, waitFor } from './setup/wait';

const METRICS_TOKEN = 'test-metrics-token-0123456789abcdef';

describe('lease renewal failures', () => {
  let db: TestDatabase;
  let app: TestApp;
  let fake: FakeLacework;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url, {
      METRICS_TOKEN,
      SCHEDULER_ENABLED: 'true',
      POLLING_ENABLED: 'false',
      SCHEDULER_TICK_MS: '50',
      LEASE_SECONDS: '3',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    });
    fake = await FakeLacework.start({ latencyMs: 400 });
    fake.addKey(KEY);
  });

  afterAll(async () => {
    await app?.close();
    await fake?.close();
    await db?.drop();
  });

  async function renewalFailures(worker: string): Promise<number> {
    const res = await app.http.get('/metrics').set({ Authorization: `Bearer ${METRICS_TOKEN}` });
    expect(res.status).toBe(200);
    const match = new RegExp(
      `^connector_lease_renewal_failures_total\\{worker="${worker}"\\} (\\d+)$`,
      'm',
    ).exec(res.text);
    expect(match).not.toBeNull();
    return Number(match?.[1]);
  }

  it('counts failed lease extensions in the metrics, by worker, instead of swallowing them', async () => {
    expect(await renewalFailures('enrichment')).toBe(0);
    expect(await renewalFailures('sync')).toBe(0);
    expect(await renewalFailures('delivery')).toBe(0);
    // The database refuses to extend a held lease (the same owner, a later expiry); claims and completions pass.
    await db.query(`CREATE FUNCTION refuse_extension() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN RAISE EXCEPTION 'lease extension refused by the test'; END $$`);
    await db.query(`CREATE TRIGGER refuse_extension BEFORE UPDATE ON alert_versions FOR EACH ROW
                    WHEN (NEW.state = 'pending' AND NEW.lease_owner IS NOT NULL
                          AND OLD.lease_owner IS NOT DISTINCT FROM NEW.lease_owner
                          AND OLD.lease_until IS DISTINCT FROM NEW.lease_until)
                    EXECUTE FUNCTION refuse_extension()`);
    fake.addAlerts(generateAlerts(2, { start: hourStart(3 * 3_600_000), hours: 1, firstId: 6_100_000 }));
    const id = await createIntegration(app, fake, { requestsPerHour: 100000 });
    expect((await app.http.post(`/api/v1/integrations/${id}/sync`).set(asAdmin)).status).toBe(202);

    await waitFor(async () => (await renewalFailures('enrichment')) > 0, 30_000, 'a failed lease extension');
    await db.query(`DROP TRIGGER refuse_extension ON alert_versions`);
    await settle(db, id, 60_000);
    expect(await renewalFailures('sync')).toBe(0);
  });
});
