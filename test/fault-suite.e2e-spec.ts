import { FakeDownstream } from './fakes/fake-downstream';
import { FakeAlertSeed, FakeLacework, generateAlerts } from './fakes/fake-lacework';
import { api, Cluster, statusOnNewConnection } from './setup/cluster';
import { verifyExactCounts } from './setup/exact-counts';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { TcpProxy, viaProxy } from './setup/tcp-proxy';
import { hourStart, sleep, waitFor } from './setup/wait';

const SECRET = 'whsec_' + Buffer.alloc(32, 5).toString('base64');
const HOUR = 3_600_000;
/** `npm run soak` runs the same scenarios with FAULT_SCALE times more alerts and time. */
const SCALE = Math.max(1, Number(process.env.FAULT_SCALE ?? '1'));
const T = (ms: number) => ms * SCALE;

interface Scenario {
  db: TestDatabase;
  lacework: FakeLacework;
  downstream: FakeDownstream;
  cluster: Cluster;
  integrations: { id: string; alertIds: string[] }[];
  stopPolling: () => Promise<void>;
}

/** Stops of the pollers still asking for syncs: afterEach ends them, so a scenario that failed leaves no loop behind. */
const runningPollers = new Set<() => Promise<void>>();

/** Creates a destination and `count` integrations (one sub-account each), and keeps asking for syncs. */
async function setUp(
  db: TestDatabase,
  lacework: FakeLacework,
  downstream: FakeDownstream,
  cluster: Cluster,
  seeds: FakeAlertSeed[][],
): Promise<Scenario> {
  const url = cluster.anyUrl();
  const destination = await api(url, 'POST', '/api/v1/destinations', {
    name: 'pipeline',
    url: `${downstream.url}/ingest`,
    signingSecret: SECRET,
  });
  expect(destination.status).toBe(201);
  const integrations: Scenario['integrations'] = [];
  for (let i = 0; i < seeds.length; i++) {
    const key = { keyId: `FAULT_KEY_${i}_000000000000000000`, secret: `_fault_secret_${i}_abcdefghijklmnop` };
    lacework.addKey({ ...key, subAccount: `sub-${i}` });
    lacework.addAlerts(seeds[i].map((s) => ({ ...s, subAccount: `sub-${i}` })));
    const created = await api(url, 'POST', '/api/v1/integrations', {
      name: `org-${i}`,
      organizationUrl: lacework.url,
      ...key,
      subAccount: `sub-${i}`,
      requestsPerHour: 100000,
      destinationId: destination.json.id,
    });
    expect(created.status).toBe(201);
    integrations.push({ id: created.json.id, alertIds: seeds[i].map((s) => s.alertId) });
  }
  let polling = true;
  const poller = (async () => {
    while (polling) {
      for (const integration of integrations) {
        const live = cluster.urls.filter((u): u is string => u !== null);
        const target = live[Math.floor(Math.random() * live.length)];
        if (target) {
          await api(target, 'POST', `/api/v1/integrations/${integration.id}/sync`).catch(() => undefined);
        }
      }
      await sleep(300);
    }
  })();
  const stopPolling = async (): Promise<void> => {
    polling = false;
    await poller;
    runningPollers.delete(stopPolling);
  };
  runningPollers.add(stopPolling);
  return { db, lacework, downstream, cluster, integrations, stopPolling };
}

/** Waits until every served alert's newest version is stored and delivered and nothing is in flight. */
async function settle(s: Scenario, timeoutMs = 120_000): Promise<void> {
  const served = s.integrations.reduce((n, i) => n + i.alertIds.length, 0);
  await waitFor(
    async () => {
      const [row] = await s.db.query<{ alerts: number; open: number; undelivered: number; running: number }>(
        `SELECT (SELECT count(*)::int FROM alerts) AS alerts,
                (SELECT count(*)::int FROM alert_versions WHERE state = 'pending') AS open,
                (SELECT count(*)::int FROM alerts a JOIN alert_versions v ON v.alert_row_id = a.id AND v.version = a.current_version
                   LEFT JOIN deliveries d ON d.alert_version_id = v.id
                  WHERE d.state IS DISTINCT FROM 'delivered') AS undelivered,
                (SELECT count(*)::int FROM sync_runs WHERE status = 'running') AS running`,
      );
      return row.alerts === served && row.open === 0 && row.undelivered === 0 ? row : undefined;
    },
    timeoutMs,
    'every alert stored and delivered',
  );
  await s.stopPolling();
  await waitFor(async () => {
    const [row] = await s.db.query<{ running: number }>(
      `SELECT count(*)::int AS running FROM sync_runs WHERE status = 'running'`,
    );
    return row.running === 0;
  });
}

describe('fault suite: real processes, exact counts', () => {
  let db: TestDatabase;
  let lacework: FakeLacework;
  let downstream: FakeDownstream;
  let cluster: Cluster;

  beforeEach(async () => {
    db = await createTestDatabase();
    lacework = await FakeLacework.start({ pageSize: 100 });
    downstream = await FakeDownstream.start({ secrets: [SECRET] });
  });

  afterEach(async () => {
    for (const stopPolling of [...runningPollers]) {
      await stopPolling();
    }
    const died = cluster?.diedOnTheirOwn() ?? [];
    await cluster?.stopAll();
    await lacework.close();
    await downstream.close();
    await db.drop();
    // Faults are the scenario's to make: no instance may end by itself (a crash on a cut connection, say).
    expect(died).toEqual([]);
  });

  it(
    '1. survives SIGKILL at random moments (listing, enrichment, delivery), restarted each time',
    async () => {
      lacework.setOptions({ latencyMs: 4 });
      cluster = new Cluster(Cluster.env(db.url));
      await cluster.start(0);
      const s = await setUp(db, lacework, downstream, cluster, [
        generateAlerts(400 * SCALE, { start: hourStart(20 * HOUR), hours: 18, firstId: 1_000 }),
      ]);
      const moments = [
        () => lacework.count('list') >= 2,
        () => lacework.count('scope') >= 600,
        () => downstream.received.length >= 50,
        () => downstream.received.length >= 200,
      ];
      for (const moment of moments) {
        await waitFor(moment, 60_000, 'the next kill moment');
        await sleep(Math.floor(Math.random() * 100));
        await cluster.kill(0, 'SIGKILL');
        await cluster.start(0);
      }
      await settle(s);
      const report = await verifyExactCounts(db, lacework, downstream, s.integrations);
      expect(report).toMatchObject({
        alertsServed: 400,
        alertsStored: 400,
        versionsStored: 400,
        deliveredIds: 400,
        dead: 0,
      });
    },
    T(240_000),
  );

  it(
    '2. three instances over 2,000 alerts in 10 integrations, one killed midway',
    async () => {
      // A receiver taking a few ms per request keeps workers busy, so the instances share the deliveries.
      await downstream.close();
      downstream = await FakeDownstream.start({ secrets: [SECRET], latencyMs: 5 });
      cluster = new Cluster(Cluster.env(db.url, { ENRICHMENT_CONCURRENCY: '6' }));
      await Promise.all([cluster.start(0), cluster.start(1), cluster.start(2)]);
      const seeds = Array.from({ length: 10 }, (_, i) =>
        generateAlerts(200 * SCALE, {
          start: hourStart(12 * HOUR),
          hours: 10,
          firstId: 100_000 + i * 10_000,
        }),
      );
      const s = await setUp(db, lacework, downstream, cluster, seeds);
      await waitFor(() => downstream.received.length >= 700 * SCALE, T(120_000), 'a third of the deliveries');
      await cluster.kill(1, 'SIGKILL');
      await settle(s, 180_000);
      const report = await verifyExactCounts(db, lacework, downstream, s.integrations);
      expect(report).toMatchObject({
        alertsServed: 2000,
        alertsStored: 2000,
        versionsStored: 2000,
        deliveredIds: 2000,
        dead: 0,
      });
      const runners = await db.query<{ worker_id: string }>(`SELECT DISTINCT worker_id FROM sync_runs`);
      expect(runners.length).toBeGreaterThan(1);
      const senders = await db.query<{ worker_id: string }>(
        `SELECT DISTINCT worker_id FROM delivery_attempts`,
      );
      expect(senders.length).toBeGreaterThan(1);
      const [overlap] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM sync_runs a JOIN sync_runs b
          ON a.integration_id = b.integration_id AND a.id < b.id
         AND a.started_at < COALESCE(b.finished_at, now()) AND b.started_at < COALESCE(a.finished_at, now())
       WHERE a.status <> 'running' AND b.status <> 'running' AND a.worker_id = b.worker_id`,
      );
      expect(overlap.n).toBe(0);
    },
    T(300_000),
  );

  it(
    '3. carries on when the database connections are cut mid-run',
    async () => {
      const target = new URL(db.url);
      const proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
      try {
        lacework.setOptions({ latencyMs: 3 });
        cluster = new Cluster(Cluster.env(viaProxy(db.url, proxy)));
        await Promise.all([cluster.start(0), cluster.start(1)]);
        const s = await setUp(db, lacework, downstream, cluster, [
          generateAlerts(300 * SCALE, { start: hourStart(10 * HOUR), hours: 8, firstId: 5_000 }),
          generateAlerts(300 * SCALE, {
            start: hourStart(10 * HOUR),
            hours: 8,
            firstId: 5_000 + 300 * SCALE,
          }),
        ]);
        await waitFor(() => lacework.count('scope') >= 500, 60_000, 'enrichment to be under way');
        proxy.cut();
        const health = await statusOnNewConnection(`${cluster.anyUrl()}/health`);
        expect(health).toBe(503);
        await sleep(T(2_000));
        proxy.restore();
        await waitFor(
          async () => (await statusOnNewConnection(`${cluster.anyUrl()}/health`).catch(() => 0)) === 200,
          30_000,
          'health again',
        );
        await settle(s, T(120_000));
        const report = await verifyExactCounts(db, lacework, downstream, s.integrations);
        const n = 600 * SCALE;
        expect(report).toMatchObject({ alertsStored: n, versionsStored: n, deliveredIds: n, dead: 0 });
      } finally {
        await cluster.stopAll();
        await proxy.close();
      }
    },
    T(240_000),
  );

  it(
    '4. Lacework: 5xx, 429 storms, expiring tokens, timeouts, expiring page tokens, late and changing alerts',
    async () => {
      lacework.setOptions({ serverErrorRate: 0.2, seed: 11, tokenTtlSeconds: 3 });
      cluster = new Cluster(
        Cluster.env(db.url, {
          LACEWORK_TIMEOUT_MS: '400',
          LACEWORK_MAX_ATTEMPTS: '6',
          CHANGE_RELIST_MINUTES: '0.05',
        }),
      );
      await cluster.start(0);
      const start = hourStart(6 * HOUR);
      const alerts = generateAlerts(300 * SCALE, { start, hours: 4, firstId: 20_000 });
      const late = generateAlerts(20, { start: hourStart(2 * HOUR), hours: 1, firstId: 10_000 }).map((a) => ({
        ...a,
        visibleAt: new Date(Date.now() + 4_000),
      }));
      const s = await setUp(db, lacework, downstream, cluster, [[...alerts, ...late]]);
      await waitFor(() => lacework.count('scope') >= 100, 60_000);
      lacework.failNext(30, 429, {
        'RateLimit-Reset': '1',
        'RateLimit-Limit': '480',
        'RateLimit-Remaining': '0',
      });
      await waitFor(() => lacework.count('scope') >= 600, 60_000);
      lacework.setOptions({ latencyMs: 600 });
      await sleep(1_500);
      lacework.setOptions({ latencyMs: 0, pageTokenTtlSeconds: 0.001 });
      await sleep(1_000);
      lacework.setOptions({ pageTokenTtlSeconds: null });
      for (const alert of alerts.slice(0, 15)) {
        lacework.updateAlert(alert.alertId, { status: 'Closed' });
      }
      await waitFor(
        async () => {
          const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM alert_versions`);
          return row.n >= 300 * SCALE + 35;
        },
        60_000,
        'the 15 status changes to be versioned',
      );
      await settle(s, T(180_000));
      const report = await verifyExactCounts(db, lacework, downstream, s.integrations);
      const n = 300 * SCALE + 20;
      expect(report).toMatchObject({ alertsServed: n, alertsStored: n, versionsStored: n + 15, dead: 0 });
      expect(lacework.requests.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(30);
      expect(lacework.count('token')).toBeGreaterThan(1);
    },
    T(300_000),
  );

  it(
    '5. downstream: down for several retry steps, 410, slow answers',
    async () => {
      cluster = new Cluster(Cluster.env(db.url, { DELIVERY_TIMEOUT_MS: '300' }));
      await cluster.start(0);
      downstream.setDefault(503);
      const s = await setUp(db, lacework, downstream, cluster, [
        generateAlerts(120 * SCALE, { start: hourStart(6 * HOUR), hours: 4, firstId: 40_000 }),
      ]);
      await waitFor(
        async () => {
          const [row] = await db.query<{ n: number }>(`SELECT max(attempts)::int AS n FROM deliveries`);
          return row.n >= 4;
        },
        60_000,
        'deliveries to fail several times',
      );
      downstream.setDefault(410);
      const url = cluster.anyUrl();
      const [dest] = await db.query<{ id: string }>(`SELECT id FROM destinations`);
      await waitFor(
        async () => (await api(url, 'GET', `/api/v1/destinations/${dest.id}`)).json.state === 'paused',
        30_000,
      );
      downstream.setDefault(200);
      downstream.respondWith(Array.from({ length: 10 }, () => ({ status: 200, delayMs: 600 })));
      expect((await api(url, 'PATCH', `/api/v1/destinations/${dest.id}`, { enabled: true })).status).toBe(
        200,
      );
      await settle(s);
      const report = await verifyExactCounts(db, lacework, downstream, s.integrations);
      expect(report).toMatchObject({ alertsStored: 120 * SCALE, deliveredIds: 120 * SCALE, dead: 0 });
    },
    T(240_000),
  );

  it('6. bad input at every endpoint: 4xx naming the problem, never 500, nothing written', async () => {
    cluster = new Cluster(Cluster.env(db.url));
    const url = await cluster.start(0);
    const s = await setUp(db, lacework, downstream, cluster, [
      generateAlerts(1, { start: hourStart(2 * HOUR), hours: 1, firstId: 1 }),
    ]);
    await settle(s);
    const integrationId = s.integrations[0].id;
    const [{ id: destinationId }] = await db.query<{ id: string }>(`SELECT id FROM destinations`);
    const snapshot = async () =>
      (
        await db.query<{ t: string }>(
          `SELECT string_agg(x, '|' ORDER BY x) AS t FROM (
             SELECT 'i' || t::text AS x FROM integrations t UNION ALL SELECT 'd' || t::text FROM destinations t
             UNION ALL SELECT 'r' || count(*) FROM sync_runs UNION ALL SELECT 'v' || count(*) FROM alert_versions
             UNION ALL SELECT 'q' || t::text FROM deliveries t) s`,
        )
      )[0].t;
    const before = await snapshot();
    const long = 'x'.repeat(5000);
    const deep = '['.repeat(50_000) + ']'.repeat(50_000);
    const loneSurrogate =
      '{"name":"x","organizationUrl":"https://a.lacework.net","keyId":"k","secret":"\\ud800"}';
    const cursorOf = (key: unknown[]) => Buffer.from(JSON.stringify(key)).toString('base64url');
    const notUuid = cursorOf(['2024-01-01T00:00:00.000Z', 'not-a-uuid']);
    const notTime = cursorOf(['1', '3f0e6a1c-1d2b-4c3d-9e8f-0a1b2c3d4e5f']);
    const table: [string, string, unknown, number, RegExp][] = [
      ['POST', '/api/v1/integrations', '{"name":', 400, /^body/],
      ['POST', '/api/v1/integrations', [], 400, /./],
      ['POST', '/api/v1/integrations', deep, 400, /^body: nested deeper/],
      ['POST', '/api/v1/destinations', deep, 400, /^body: nested deeper/],
      ['POST', '/api/v1/integrations', loneSurrogate, 400, /^secret: not valid Unicode/],
      ['POST', '/api/v1/integrations/test', loneSurrogate, 400, /^secret: not valid Unicode/],
      ['GET', `/api/v1/integrations?cursor=${notUuid}`, undefined, 400, /^cursor/],
      ['GET', `/api/v1/integrations?cursor=${notTime}`, undefined, 400, /^cursor/],
      ['GET', `/api/v1/destinations?cursor=${notUuid}`, undefined, 400, /^cursor/],
      ['GET', `/api/v1/deliveries?cursor=${notUuid}`, undefined, 400, /^cursor/],
      ['GET', `/api/v1/integrations/${integrationId}/sync-runs?cursor=${notUuid}`, undefined, 400, /^cursor/],
      ['POST', '/api/v1/integrations', { name: 5 }, 400, /name/],
      [
        'POST',
        '/api/v1/integrations',
        { name: long, organizationUrl: 'https://a.lacework.net', keyId: 'k', secret: 's' },
        400,
        /name/,
      ],
      [
        'POST',
        '/api/v1/integrations',
        { name: 'x', organizationUrl: long, keyId: 'k', secret: 's' },
        400,
        /organizationUrl/,
      ],
      [
        'POST',
        '/api/v1/integrations',
        {
          name: 'x',
          organizationUrl: 'https://a.lacework.net',
          keyId: 'k',
          secret: 's',
          pollIntervalSeconds: '60',
        },
        400,
        /pollIntervalSeconds/,
      ],
      [
        'POST',
        '/api/v1/integrations',
        { name: 'x', organizationUrl: 'https://a.lacework.net', keyId: 'k', secret: 's', nope: true },
        400,
        /nope/,
      ],
      [
        'POST',
        '/api/v1/integrations',
        {
          name: 'x',
          organizationUrl: 'https://a.lacework.net',
          keyId: 'k',
          secret: 's',
          includeAlertTypes: [1],
        },
        400,
        /includeAlertTypes/,
      ],
      [
        'POST',
        '/api/v1/integrations',
        {
          name: 'x',
          organizationUrl: 'https://a.lacework.net',
          keyId: 'k',
          secret: 's',
          destinationId: 'nope',
        },
        400,
        /destinationId/,
      ],
      ['PATCH', `/api/v1/integrations/${integrationId}`, { requestsPerHour: 1.5 }, 400, /requestsPerHour/],
      ['PATCH', `/api/v1/integrations/${integrationId}`, { enabled: 'true' }, 400, /enabled/],
      ['PATCH', '/api/v1/integrations/not-a-uuid', { name: 'y' }, 400, /^id/],
      ['GET', '/api/v1/integrations/12', undefined, 400, /^id/],
      ['GET', '/api/v1/integrations?limit=0', undefined, 400, /limit/],
      ['GET', '/api/v1/integrations?cursor=%%%', undefined, 400, /cursor/],
      ['DELETE', `/api/v1/integrations/${integrationId}?purge=maybe`, undefined, 400, /purge/],
      ['POST', `/api/v1/integrations/${integrationId}/backfill`, { since: 'yesterday' }, 400, /since/],
      [
        'POST',
        `/api/v1/integrations/${integrationId}/backfill`,
        { since: '2020-01-01T00:00:00Z', until: '2020-01-02T00:00:00Z' },
        400,
        /since/,
      ],
      ['GET', `/api/v1/integrations/${integrationId}/sync-runs?cursor=abc`, undefined, 400, /cursor/],
      ['GET', '/api/v1/sync-runs/xyz', undefined, 400, /^id/],
      ['GET', '/api/v1/alerts?severity=Huge', undefined, 400, /severity/],
      ['GET', '/api/v1/alerts?since=tomorrow', undefined, 400, /since/],
      ['GET', '/api/v1/alerts?integrationId=1', undefined, 400, /integrationId/],
      ['GET', '/api/v1/alerts/abc', undefined, 400, /^id/],
      ['GET', '/api/v1/alerts/1/document?version=x', undefined, 400, /version/],
      ['POST', '/api/v1/destinations', { name: 'd', url: 'http://169.254.169.254/' }, 400, /^url/],
      ['POST', '/api/v1/destinations', { name: 'd', url: 'http://ok.example', headers: 'x' }, 400, /headers/],
      [
        'POST',
        '/api/v1/destinations',
        { name: 'd', url: 'http://ok.example', signingSecret: 'whsec_!!' },
        400,
        /signingSecret/,
      ],
      ['PATCH', `/api/v1/destinations/${destinationId}`, { url: 'gopher://x' }, 400, /^url/],
      ['PATCH', `/api/v1/destinations/${destinationId}`, { enabled: 1 }, 400, /enabled/],
      ['GET', '/api/v1/deliveries?state=lost', undefined, 400, /state/],
      ['GET', '/api/v1/deliveries?destinationId=7', undefined, 400, /destinationId/],
      ['POST', '/api/v1/deliveries/replay', { destinationId, state: 'dead' }, 400, /since/],
      [
        'POST',
        '/api/v1/deliveries/replay',
        { destinationId, state: 'dead', since: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:00Z' },
        400,
        /until/,
      ],
      ['POST', '/api/v1/deliveries/abc/retry', undefined, 400, /^id/],
      ['POST', '/api/v1/alerts/0/redeliver', undefined, 400, /^id/],
      [
        'POST',
        '/api/v1/integrations/test',
        { name: 'x', organizationUrl: 'http://10.0.0.1', keyId: 'k', secret: 's' },
        400,
        /organizationUrl/,
      ],
    ];
    for (const [method, path, body, status, message] of table) {
      const res = await api(url, method, path, body);
      expect({ method, path, status: res.status }).toEqual({ method, path, status });
      expect({ method, path, message: String(res.json?.message) }).toEqual({
        method,
        path,
        message: expect.stringMatching(message),
      });
    }
    expect(await snapshot()).toBe(before);
  }, 120_000);
});
