import { assembleDocument } from '../src/enrichment/document-assembler';
import { SCOPE_NAMES } from '../src/lacework/lacework.types';
import { FakeDownstream } from './fakes/fake-downstream';
import { FakeLacework, generateAlerts } from './fakes/fake-lacework';
import { spawnService, SpawnedService } from './setup/spawn-service';
import { canonical, KEY } from './setup/sync-helpers';
import { ADMIN_TOKEN, SECRETS_KEY } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { waitFor } from './setup/wait';

/** SIGKILL in the middle of a run: after a restart the run resumes and the documents are exactly as without it. */
describe('crash and resume', () => {
  let db: TestDatabase;
  let fake: FakeLacework;
  const services: SpawnedService[] = [];

  const env = (): Record<string, string> => ({
    DATABASE_URL: db.url,
    ADMIN_API_TOKEN: ADMIN_TOKEN,
    SECRETS_KEY,
    LOG_LEVEL: 'info',
    PORT: '0',
    HOST: '127.0.0.1',
    SCHEDULER_TICK_MS: '50',
    LEASE_SECONDS: '2',
    LACEWORK_EXTRA_ALLOWED_HOSTS: '127.0.0.1',
    LACEWORK_RETRY_BASE_MS: '5',
    // requestsPerHour counts per minute: the budget paces as in production, 60 times faster.
    LACEWORK_BUDGET_WINDOW_MS: '60000',
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await FakeLacework.start({ pageSize: 20, latencyMs: 10 });
    fake.addKey(KEY);
  });

  afterAll(async () => {
    for (const s of services) {
      await s.kill('SIGKILL');
    }
    await fake?.close();
    await db?.drop();
  });

  it('resumes listing and enrichment after SIGKILL with the same final documents', async () => {
    const start = new Date(Date.now() - 10 * 3_600_000);
    start.setUTCMinutes(0, 0, 0);
    const alerts = generateAlerts(400, { start, hours: 8, firstId: 50_000 });
    fake.addAlerts(alerts);

    const first = spawnService(env());
    services.push(first);
    const url = await first.ready();
    const created = await fetch(`${url}/api/v1/integrations`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'crash', organizationUrl: fake.url, ...KEY, requestsPerHour: 100000 }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    // Kill once while listing (after the first page), once during enrichment.
    await waitFor(() => fake.count('list') >= 2, 30_000, 'listing to start');
    first.child.kill('SIGKILL');
    await first.exited();
    const [midRun] = await db.query<{ status: string; chunks_done: number }>(
      `SELECT status, chunks_done FROM sync_runs WHERE integration_id = $1`,
      [id],
    );
    expect(midRun.status).toBe('running');

    const second = spawnService(env());
    services.push(second);
    await second.ready();
    await waitFor(() => fake.count('scope') >= 600, 60_000, 'enrichment to be under way');
    second.child.kill('SIGKILL');
    await second.exited();
    const [pending] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM alert_versions WHERE integration_id = $1 AND state = 'pending'`,
      [id],
    );
    expect(pending.n).toBeGreaterThan(0);

    const third = spawnService(env());
    services.push(third);
    await third.ready();
    await waitFor(
      async () => {
        const [row] = await db.query<{ pending: number; running: number; versions: number }>(
          `SELECT (SELECT count(*)::int FROM alert_versions WHERE integration_id = $1 AND state = 'pending') AS pending,
                  (SELECT count(*)::int FROM sync_runs WHERE integration_id = $1 AND status = 'running') AS running,
                  (SELECT count(*)::int FROM alert_versions WHERE integration_id = $1) AS versions`,
          [id],
        );
        return row.pending === 0 && row.running === 0 && row.versions === 400;
      },
      90_000,
      'every alert to be assembled',
    );
    await third.kill('SIGTERM');

    const docs = await db.query<{ alert_id: string; version: number; document: string; state: string }>(
      `SELECT alert_id, version, document, state FROM alert_versions WHERE integration_id = $1`,
      [id],
    );
    expect(docs).toHaveLength(400);
    for (const doc of docs) {
      expect([doc.version, doc.state]).toEqual([1, 'complete']);
      const expected = assembleDocument(
        canonical(fake.listRecordText(doc.alert_id))!,
        SCOPE_NAMES,
        Object.fromEntries(SCOPE_NAMES.map((s) => [s, canonical(fake.expectedScopeData(doc.alert_id, s))])),
      );
      expect(doc.document).toBe(expected);
    }
    const [firstRun] = await db.query<{ status: string; alerts_new: number }>(
      `SELECT status, alerts_new FROM sync_runs WHERE integration_id = $1 ORDER BY started_at LIMIT 1`,
      [id],
    );
    expect(firstRun.status).toBe('succeeded');
  }, 180_000);

  it('delivers every version after SIGKILL with deliveries in flight; duplicates share the webhook-id', async () => {
    const secret = 'whsec_' + Buffer.alloc(32, 3).toString('base64');
    const downstream = await FakeDownstream.start({ secrets: [secret], latencyMs: 40 });
    const lacework = await FakeLacework.start();
    lacework.addKey(KEY);
    try {
      const start = new Date(Date.now() - 5 * 3_600_000);
      start.setUTCMinutes(0, 0, 0);
      lacework.addAlerts(generateAlerts(150, { start, hours: 3, firstId: 80_000 }));
      const first = spawnService(env());
      services.push(first);
      const url = await first.ready();
      const call = (path: string, body: unknown) =>
        fetch(`${url}${path}`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then(async (r) => (await r.json()) as { id: string });
      const destination = await call('/api/v1/destinations', {
        name: 'sink',
        url: downstream.url,
        signingSecret: secret,
      });
      const integration = await call('/api/v1/integrations', {
        name: 'deliver-crash',
        organizationUrl: lacework.url,
        ...KEY,
        requestsPerHour: 100000,
        destinationId: destination.id,
      });
      await waitFor(() => downstream.received.length >= 30, 60_000, 'deliveries to be under way');
      first.child.kill('SIGKILL');
      await first.exited();
      const second = spawnService(env());
      services.push(second);
      await second.ready();
      await waitFor(
        async () => {
          const [row] = await db.query<{ delivered: number; versions: number }>(
            `SELECT (SELECT count(*)::int FROM deliveries WHERE integration_id = $1 AND state = 'delivered') AS delivered,
                    (SELECT count(*)::int FROM alert_versions WHERE integration_id = $1) AS versions`,
            [integration.id],
          );
          return row.versions === 150 && row.delivered === 150;
        },
        90_000,
        'all 150 deliveries',
      );
      await second.kill('SIGTERM');
      const accepted = downstream.deliveredBodies();
      expect(accepted.size).toBe(150);
      expect(downstream.received.every((r) => r.signatureValid)).toBe(true);
      const byId = new Map<string, Set<string>>();
      for (const r of downstream.received) {
        byId.set(r.id, (byId.get(r.id) ?? new Set()).add(r.body));
      }
      // A request cut by the kill may be sent again: same webhook-id, same body.
      expect([...byId.values()].every((bodies) => bodies.size === 1)).toBe(true);
      expect(byId.size).toBe(150);
    } finally {
      await downstream.close();
      await lacework.close();
    }
  }, 180_000);
});
