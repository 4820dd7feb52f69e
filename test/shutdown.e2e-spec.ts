import { FakeLacework, generateAlerts } from './fakes/fake-lacework';
import { createIntegration, KEY } from './setup/sync-helpers';
import { asAdmin, startTestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { hourStart, sleep, waitFor } from './setup/wait';

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

/** A closed app leaves nothing behind that keeps the process (and Jest) alive. */
describe('shutdown', () => {
  let db: TestDatabase;
  let fake: FakeLacework;

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await FakeLacework.start();
    fake.addKey(KEY);
  });

  afterAll(async () => {
    await fake?.close();
    await db?.drop();
  });

  it('stops waiting for request budget when the app closes', async () => {
    const baseline = timers();
    const app = await startTestApp(db.url, {
      SCHEDULER_ENABLED: 'true',
      POLLING_ENABLED: 'false',
      SCHEDULER_TICK_MS: '50',
      LEASE_SECONDS: '1',
    });
    fake.addAlerts(generateAlerts(20, { start: hourStart(2 * 3_600_000), hours: 1, firstId: 1 }));
    const id = await createIntegration(app, fake);
    await db.query(`UPDATE integrations SET requests_per_hour = 10 WHERE id = $1`, [id]);
    let closed = false;
    try {
      expect((await app.http.post(`/api/v1/integrations/${id}/sync`).set(asAdmin)).status).toBe(202);
      // At ten an hour the next slot is six minutes away: the calls after the first wait for it.
      await waitFor(() => fake.requests.length >= 1, 20_000, 'the first request');
      await sleep(500);
      await app.close();
      closed = true;
      await waitFor(() => timers() <= baseline, 1_000, 'no timer left by the closed app');
    } finally {
      if (!closed) {
        await app.close();
      }
    }
  }, 60_000);
});
