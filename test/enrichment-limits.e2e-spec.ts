import { EnrichmentWorker } from '../src/enrichment/enrichment.worker';
import { FakeLacework, generateAlerts } from './fakes/fake-lacework';
import { createIntegration, KEY } from './setup/sync-helpers';
import { asAdmin, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { hourStart, sleep, waitFor } from './setup/wait';

const HOUR = 3_600_000;

describe('enrichment limits: process-wide cap, refilled slots, pages per listing', () => {
  let db: TestDatabase;
  let app: TestApp;
  let fake: FakeLacework;

  beforeAll(async () => {
    db = await createTestDatabase();
    // No clock: after one kick, only the worker itself may start more work.
    app = await startTestApp(db.url, {
      SCHEDULER_ENABLED: 'false',
      ENRICHMENT_CONCURRENCY: '4',
      ENRICHMENT_MAX_IN_FLIGHT: '2',
      LACEWORK_MAX_PAGES: '3',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    });
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  afterEach(async () => {
    await fake?.close();
  });

  async function runToEnd(integrationId: string): Promise<Record<string, any>> {
    const started = await app.http.post(`/api/v1/integrations/${integrationId}/sync`).set(asAdmin);
    expect(started.status).toBe(202);
    return waitFor(
      async () => {
        const res = await app.http.get(`/api/v1/sync-runs/${started.body.runId}`).set(asAdmin);
        return res.body.status !== 'running' ? res.body : undefined;
      },
      30_000,
      'the run to end',
    );
  }

  it('keeps at most ENRICHMENT_MAX_IN_FLIGHT alerts in flight across integrations and refills freed slots at once', async () => {
    fake = await FakeLacework.start({ latencyMs: 40 });
    fake.addKey(KEY);
    const integrations: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const alerts = generateAlerts(4, {
        start: hourStart(5 * HOUR),
        hours: 2,
        firstId: 5_200_000 + i * 100,
      });
      fake.addAlerts(alerts);
      const id = await createIntegration(app, fake, { requestsPerHour: 100000 });
      integrations.push(id);
    }
    for (const id of integrations) {
      expect((await runToEnd(id)).status).toBe('succeeded');
    }
    const [queued] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM alert_versions WHERE state = 'pending'`,
    );
    // One fake serves all three integrations: each lists all 12 alerts.
    expect(queued.n).toBe(3 * 12);

    const worker = app.app.get(EnrichmentWorker, { strict: false });
    let maxLeased = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [row] = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM alert_versions WHERE state = 'pending' AND lease_until > now()`,
        );
        maxLeased = Math.max(maxLeased, row.n);
        await sleep(20);
      }
    })();
    try {
      // One kick; every later start comes from a slot being freed.
      await worker.pumpAll();
      await waitFor(
        async () => {
          const [row] = await db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM alert_versions WHERE state = 'pending'`,
          );
          return row.n === 0;
        },
        60_000,
        'every version to be enriched without a tick',
      );
    } finally {
      sampling = false;
      await sampler;
    }
    expect(maxLeased).toBeGreaterThanOrEqual(1);
    expect(maxLeased).toBeLessThanOrEqual(2);
    const byIntegration = await db.query<{ integration_id: string; n: number }>(
      `SELECT integration_id, count(*)::int AS n FROM alert_versions WHERE state = 'complete' GROUP BY 1`,
    );
    expect(byIntegration.map((r) => r.n)).toEqual([12, 12, 12]);
  });

  it('fails a listing that still offers a next page after LACEWORK_MAX_PAGES pages, saying so', async () => {
    fake = await FakeLacework.start({ pageSize: 1 });
    fake.addKey(KEY);
    fake.addAlerts(generateAlerts(6, { start: hourStart(5 * HOUR), hours: 2, firstId: 5_300_000 }));
    const id = await createIntegration(app, fake, { requestsPerHour: 100000 });
    const run = await runToEnd(id);
    expect(run.status).toBe('failed');
    expect(run.error.class).toBe('bad_response');
    expect(run.error.message).toContain('LACEWORK_MAX_PAGES');
    expect(fake.count('list')).toBe(3);
  });
});
