import { FakeDownstream } from './fakes/fake-downstream';
import { FakeLacework, generateAlerts } from './fakes/fake-lacework';
import { createIntegration, KEY, syncAndSettle } from './setup/sync-helpers';
import { asAdmin, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { hourStart, waitFor } from './setup/wait';

const SECRET = 'whsec_' + Buffer.alloc(32, 3).toString('base64');
const HOUR = 3_600_000;
const DEADLINE_MS = 2_000;

/** The most requests the receiver had open at the same time. */
function mostAtOnce(receiver: FakeDownstream): number {
  const requests = receiver.received;
  return Math.max(
    ...requests.map(
      (r) => requests.filter((o) => o.at <= r.at && (o.endedAt ?? Number.POSITIVE_INFINITY) > r.at).length,
    ),
  );
}

describe('delivery: a slow destination neither stretches its deadline nor starves the others', () => {
  let db: TestDatabase;
  let app: TestApp;
  let lacework: FakeLacework;
  let slow: FakeDownstream;
  let fast: FakeDownstream;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url, {
      SCHEDULER_ENABLED: 'true',
      POLLING_ENABLED: 'false',
      SCHEDULER_TICK_MS: '50',
      LACEWORK_RETRY_BASE_MS: '5',
      DELIVERY_TIMEOUT_MS: String(DEADLINE_MS),
      DELIVERY_CONCURRENCY: '4',
      DELIVERY_RETRY_SCALE: '0.0001',
      CIRCUIT_MIN_REQUESTS: '1000',
      LEASE_SECONDS: '30',
      // Paced as in production, with the window scaled: 480 requests per 10 s.
      LACEWORK_BUDGET_WINDOW_MS: '10000',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    });
    lacework = await FakeLacework.start();
    lacework.addKey(KEY);
    slow = await FakeDownstream.start({ secrets: [SECRET] });
    fast = await FakeDownstream.start({ secrets: [SECRET] });
  });

  afterAll(async () => {
    await app?.close();
    await lacework?.close();
    await slow?.close();
    await fast?.close();
    await db?.drop();
  });

  const createDestination = async (url: string): Promise<string> => {
    const res = await app.http
      .post('/api/v1/destinations')
      .set(asAdmin)
      .send({ name: `dest-${Math.random().toString(36).slice(2)}`, url, signingSecret: SECRET });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  it('ends drip-fed attempts near DELIVERY_TIMEOUT_MS and keeps delivering to another destination meanwhile', async () => {
    // Headers at once, then one byte every 300 ms for a minute, on every request.
    slow.respondWith(Array.from({ length: 200 }, () => ({ status: 200, dripBytes: 200, dripEveryMs: 300 })));
    lacework.addAlerts(generateAlerts(6, { start: hourStart(2 * HOUR), hours: 1, firstId: 70_000 }));
    const slowDestination = await createDestination(`${slow.url}/in`);
    const slowIntegration = await createIntegration(app, lacework, { destinationId: slowDestination });
    await syncAndSettle(app, db, slowIntegration);
    // Every slot the slow destination may hold is taken before the other destination has anything to send.
    await slow.waitFor(() => slow.received.length >= 2, 10_000);

    lacework.addAlerts(generateAlerts(6, { start: hourStart(2 * HOUR), hours: 1, firstId: 71_000 }));
    const fastDestination = await createDestination(`${fast.url}/in`);
    const fastIntegration = await createIntegration(app, lacework, { destinationId: fastDestination });
    await syncAndSettle(app, db, fastIntegration);
    const fastStarted = Date.now();
    await waitFor(
      async () => {
        const [row] = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM deliveries WHERE destination_id = $1 AND state = 'delivered'`,
          [fastDestination],
        );
        return row.n >= 6;
      },
      10_000,
      'the fast destination to receive its alerts',
    );
    const fastTookMs = Date.now() - fastStarted;
    // The first drip-fed attempts end at their deadline (a few seconds in), not when the slow server is done.
    await waitFor(
      async () =>
        (
          await db.query(
            `SELECT 1 FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.destination_id = $1`,
            [slowDestination],
          )
        ).length > 0,
      3 * DEADLINE_MS + 5_000,
      'a drip-fed attempt to end',
    );

    const attempts = await db.query<{ error: string | null; latency_ms: number }>(
      `SELECT a.error, a.latency_ms FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
        WHERE d.destination_id = $1`,
      [slowDestination],
    );
    expect(attempts.length).toBeGreaterThan(0);
    for (const attempt of attempts) {
      expect(attempt.error).toMatch(/timed out/);
      // Generous upper bound for a loaded machine; without a total deadline each attempt lasts a minute.
      expect(attempt.latency_ms).toBeLessThan(3 * DEADLINE_MS);
    }
    const [held] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM deliveries WHERE destination_id = $1 AND state IN ('pending', 'failed')`,
      [slowDestination],
    );
    expect(held.n).toBeGreaterThan(0);
    expect(fast.received.every((r) => r.signatureValid)).toBe(true);
    // DELIVERY_CONCURRENCY_PER_DESTINATION defaults to half of DELIVERY_CONCURRENCY (4).
    expect(mostAtOnce(slow)).toBe(2);
    expect(fastTookMs).toBeLessThan(10_000);
  });
});
