import { readFileSync } from 'node:fs';
import { hourStart, sleep } from '../test/setup/wait';
import { Client } from 'pg';
import { FakeDownstream } from '../test/fakes/fake-downstream';
import { FakeLacework, generateAlerts, SCOPE_NAMES } from '../test/fakes/fake-lacework';
import { api, Cluster } from '../test/setup/cluster';
import { EmbeddedDatabase } from '../src/database/embedded-database';
import { LaceworkClient } from '../src/lacework/lacework.client';
import { InMemoryRequestBudget } from '../src/lacework/in-memory-request-budget';

const SECRET = 'whsec_' + Buffer.alloc(32, 5).toString('base64');
export const KEY = {
  keyId: 'BENCH_KEY_000000000000000000000000',
  secret: '_bench_secret_0123456789abcdefghij',
};
export const HOUR = 3_600_000;

export interface BenchRow {
  measure: string;
  value: string;
  bound: string;
  ratio: string;
}

/** Stands for "no PostgreSQL answered": each rig then gets an in-memory embedded database of its own. */
export const EMBEDDED_DATABASE = 'embedded';
const embeddedDatabases: EmbeddedDatabase[] = [];

/** Stops the embedded databases the rigs started (none on PostgreSQL). */
export async function stopEmbeddedDatabases(): Promise<void> {
  for (const db of embeddedDatabases.splice(0)) {
    await db.stop();
  }
}

export async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  if (adminUrl === EMBEDDED_DATABASE) {
    const db = await EmbeddedDatabase.start(null);
    embeddedDatabases.push(db);
    return db.url;
  }
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function count(db: Client, sql: string): Promise<number> {
  return Number((await db.query<{ n: string }>(sql)).rows[0].n);
}

export function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) {
    return NaN;
  }
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

export interface Rig {
  db: Client;
  lacework: FakeLacework;
  downstream: FakeDownstream;
  cluster: Cluster;
  integrationId: string;
  close(): Promise<void>;
}

export async function rig(
  adminUrl: string,
  name: string,
  env: Record<string, string>,
  laceworkOptions: Parameters<typeof FakeLacework.start>[0],
  integration: Record<string, unknown>,
): Promise<Rig> {
  const url = await freshDatabase(adminUrl, name);
  const db = new Client({ connectionString: url });
  const lacework = await FakeLacework.start({ recordRequests: false, ...laceworkOptions });
  lacework.addKey(KEY);
  const downstream = await FakeDownstream.start({ secrets: [SECRET] });
  const cluster = new Cluster(Cluster.env(url, { LOG_LEVEL: 'info', ...env }));
  await cluster.start(0);
  await db.connect();
  const base = cluster.anyUrl();
  const destination = await api(base, 'POST', '/api/v1/destinations', {
    name: 'sink',
    url: downstream.url,
    signingSecret: SECRET,
  });
  const created = await api(base, 'POST', '/api/v1/integrations', {
    name: 'bench',
    organizationUrl: lacework.url,
    ...KEY,
    destinationId: destination.json.id,
    ...integration,
  });
  if (created.status !== 201) {
    throw new Error(`integration: ${created.text}`);
  }
  return {
    db,
    lacework,
    downstream,
    cluster,
    integrationId: created.json.id as string,
    close: async () => {
      await cluster.stopAll();
      await db.end();
      await lacework.close();
      await downstream.close();
    },
  };
}

/** Throughput: `n` alerts from listing to a 2xx at the downstream, with the fake answering after `latencyMs`. */
export async function throughput(
  adminUrl: string,
  n: number,
  latencyMs: number,
  concurrency: number,
): Promise<{ alertsPerSecond: number; seconds: number; peakRssMb: number; callsPerAlert: number }> {
  const r = await rig(
    adminUrl,
    `lc_bench_tp_${latencyMs}`,
    {
      ENRICHMENT_CONCURRENCY: String(concurrency),
      DELIVERY_CONCURRENCY: String(Math.max(8, concurrency)),
      // 100,000 requests a second: the budget never limits a throughput measurement.
      LACEWORK_BUDGET_WINDOW_MS: '1000',
    },
    { pageSize: 1000, latencyMs },
    { requestsPerHour: 100000 },
  );
  try {
    r.lacework.addAlerts(generateAlerts(n, { start: hourStart(23 * HOUR), hours: 22, firstId: 1_000_000 }));
    const started = Date.now();
    await api(r.cluster.anyUrl(), 'POST', `/api/v1/integrations/${r.integrationId}/sync`);
    for (;;) {
      const delivered = await count(r.db, `SELECT count(*) AS n FROM deliveries WHERE state = 'delivered'`);
      if (delivered >= n) {
        break;
      }
      await sleep(100);
    }
    const seconds = (Date.now() - started) / 1000;
    const calls = r.lacework.count('token') + r.lacework.count('list') + r.lacework.count('scope');
    return {
      alertsPerSecond: n / seconds,
      seconds,
      peakRssMb: peakRssMb(r.cluster.pid(0)),
      callsPerAlert: calls / n,
    };
  } finally {
    await r.close();
  }
}

/**
 * Budget use: a backlog far larger than R requests per window, R scaled to a one-minute window. Reports the share of
 * R used once the first window is full, the 429s received, calls per assembled alert, and how long Critical alerts
 * that arrive during the backlog take to reach the downstream.
 */
export async function budgetUse(
  adminUrl: string,
  requestsPerWindow: number,
  windowMs: number,
  runMs: number,
  pollEveryMs: number,
): Promise<{
  share: number;
  busiestWindow: number;
  rateLimited: number;
  callsPerAlert: number;
  floor: number;
  criticalSeconds: number[];
  assembled: number;
  pages: number;
  tokens: number;
}> {
  const r = await rig(
    adminUrl,
    'lc_bench_budget',
    {
      LACEWORK_BUDGET_WINDOW_MS: String(windowMs),
      ENRICHMENT_CONCURRENCY: '8',
    },
    {
      pageSize: 500,
      recordRequests: true,
      rateLimit: { limit: requestsPerWindow, windowSeconds: windowMs / 1000 },
    },
    { requestsPerHour: requestsPerWindow, enabled: false },
  );
  try {
    const backlog = generateAlerts(3000, {
      start: hourStart(23 * HOUR),
      hours: 20,
      firstId: 2_000_000,
      severities: ['Medium', 'Low', 'Info'],
    });
    r.lacework.addAlerts(backlog);
    const base = r.cluster.anyUrl();
    await api(base, 'PATCH', `/api/v1/integrations/${r.integrationId}`, { enabled: true });
    const started = Date.now();
    let polling = true;
    const poller = (async () => {
      while (polling) {
        await api(base, 'POST', `/api/v1/integrations/${r.integrationId}/sync`).catch(() => undefined);
        await sleep(pollEveryMs);
      }
    })();
    const criticalAt = new Map<string, number>();
    const criticalIds: string[] = [];
    await sleep(windowMs * 0.75);
    for (let i = 0; i < 3; i++) {
      const [critical] = generateAlerts(1, {
        start: hourStart(0),
        hours: 1,
        firstId: 3_000_000 + i,
        severities: ['Critical'],
      });
      r.lacework.addAlerts([{ ...critical, startTime: new Date(Date.now() - 60_000) }]);
      criticalAt.set(critical.alertId, Date.now());
      criticalIds.push(critical.alertId);
      await sleep(windowMs / 4);
    }
    const measureFrom = started + windowMs;
    await sleep(Math.max(0, started + runMs - Date.now()));
    polling = false;
    await poller;
    // Whole windows after the first: the budget is a rolling window, so only whole windows compare with R.
    const windows = Math.max(1, Math.floor((Date.now() - measureFrom) / windowMs));
    const measureTo = measureFrom + windows * windowMs;
    const sent = r.lacework.requests.filter((q) => q.at >= measureFrom && q.at < measureTo).length;
    const share = sent / (requestsPerWindow * windows);
    const times = r.lacework.requests.map((q) => q.at).sort((x, y) => x - y);
    let busiestWindow = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i] - times[j] >= windowMs) {
        j++;
      }
      busiestWindow = Math.max(busiestWindow, i - j + 1);
    }
    const rateLimited = r.lacework.requests.filter((q) => q.status === 429).length;
    const assembled = await count(
      r.db,
      `SELECT count(*) AS n FROM alert_versions WHERE document IS NOT NULL`,
    );
    const calls = r.lacework.requests.length;
    const pages = r.lacework.count('list');
    const tokens = r.lacework.count('token');
    const criticalSeconds: number[] = [];
    const arrivals = new Map(
      r.downstream.received
        .filter((q) => q.status === 200)
        .map((q) => [q.headers['x-lacework-alert-id'], q.at]),
    );
    for (const id of criticalIds) {
      const arrived = arrivals.get(id);
      criticalSeconds.push(arrived === undefined ? NaN : (arrived - (criticalAt.get(id) ?? 0)) / 1000);
    }
    return {
      share,
      busiestWindow,
      rateLimited,
      callsPerAlert: calls / Math.max(1, assembled),
      floor: SCOPE_NAMES.length + (pages + tokens) / Math.max(1, assembled),
      criticalSeconds,
      assembled,
      pages,
      tokens,
    };
  } finally {
    await r.close();
  }
}

/** The naive way, for comparison: list everything, then six sequential calls and one insert per alert. */
export async function naiveBaseline(
  adminUrl: string,
  n: number,
  latencyMs: number,
): Promise<{ alertsPerSecond: number }> {
  const url = await freshDatabase(adminUrl, 'lc_bench_naive');
  const db = new Client({ connectionString: url });
  await db.connect();
  await db.query(`CREATE TABLE naive (alert_id text PRIMARY KEY, document text NOT NULL)`);
  const lacework = await FakeLacework.start({ recordRequests: false, pageSize: 1000, latencyMs });
  lacework.addKey(KEY);
  lacework.addAlerts(generateAlerts(n, { start: hourStart(23 * HOUR), hours: 22, firstId: 1_000_000 }));
  const client = new LaceworkClient({
    budget: new InMemoryRequestBudget(),
    extraAllowedHosts: ['127.0.0.1'],
  });
  const conn = {
    integrationId: 'naive',
    organizationUrl: lacework.url,
    ...KEY,
    subAccount: null,
    requestsPerHour: 1_000_000,
  };
  const started = Date.now();
  const listed = [];
  for await (const page of client.listAlerts(conn, {
    start: new Date(Date.now() - 24 * HOUR),
    end: new Date(),
  })) {
    listed.push(...page.alerts);
  }
  for (const alert of listed) {
    const parts: string[] = [];
    for (const scope of SCOPE_NAMES) {
      const result = await client.fetchScope(conn, alert.alertId, scope);
      parts.push(result.kind === 'data' ? result.dataJson : 'null');
    }
    await db.query(`INSERT INTO naive VALUES ($1, $2)`, [
      alert.alertId,
      `[${alert.recordJson},${parts.join(',')}]`,
    ]);
  }
  const seconds = (Date.now() - started) / 1000;
  await db.end();
  await lacework.close();
  return { alertsPerSecond: listed.length / seconds };
}

/** Deliveries per second the worker sustains: `n` assembled alerts wait behind a disabled destination, then flow. */
export async function deliveryRate(adminUrl: string, n: number): Promise<{ perSecond: number }> {
  const r = await rig(
    adminUrl,
    'lc_bench_delivery',
    { DELIVERY_CONCURRENCY: '32', ENRICHMENT_CONCURRENCY: '32', LACEWORK_BUDGET_WINDOW_MS: '1000' },
    { pageSize: 1000 },
    { requestsPerHour: 100000 },
  );
  try {
    r.lacework.addAlerts(generateAlerts(n, { start: hourStart(23 * HOUR), hours: 22, firstId: 4_000_000 }));
    const base = r.cluster.anyUrl();
    const [destination] = (await r.db.query<{ id: string }>(`SELECT id FROM destinations`)).rows;
    await api(base, 'PATCH', `/api/v1/destinations/${destination.id}`, { enabled: false });
    await api(base, 'POST', `/api/v1/integrations/${r.integrationId}/sync`);
    while ((await count(r.db, `SELECT count(*) AS n FROM deliveries WHERE state = 'pending'`)) < n) {
      await sleep(200);
    }
    const started = Date.now();
    await api(base, 'PATCH', `/api/v1/destinations/${destination.id}`, { enabled: true });
    while ((await count(r.db, `SELECT count(*) AS n FROM deliveries WHERE state = 'delivered'`)) < n) {
      await sleep(50);
    }
    return { perSecond: n / ((Date.now() - started) / 1000) };
  } finally {
    await r.close();
  }
}

/** Time from an alert becoming visible in the fake Lacework to its 2xx at the fake downstream, sync triggered every second. */
export async function endToEndLatency(
  adminUrl: string,
  samples: number,
): Promise<{ medianMs: number; maxMs: number }> {
  const r = await rig(
    adminUrl,
    'lc_bench_e2e',
    { LACEWORK_BUDGET_WINDOW_MS: '1000' },
    { pageSize: 500 },
    { requestsPerHour: 100000, enabled: true },
  );
  try {
    const base = r.cluster.anyUrl();
    const timings: number[] = [];
    for (let i = 0; i < samples; i++) {
      const [alert] = generateAlerts(1, { start: hourStart(0), hours: 1, firstId: 5_000_000 + i });
      const visibleAt = Date.now();
      r.lacework.addAlerts([{ ...alert, startTime: new Date(visibleAt - 30_000) }]);
      let arrived: number | undefined;
      while (arrived === undefined) {
        await api(base, 'POST', `/api/v1/integrations/${r.integrationId}/sync`).catch(() => undefined);
        const deadline = Date.now() + 1000;
        while (arrived === undefined && Date.now() < deadline) {
          arrived = r.downstream.received.find(
            (q) => q.headers['x-lacework-alert-id'] === alert.alertId && q.status === 200,
          )?.at;
          await sleep(5);
        }
      }
      timings.push(arrived - visibleAt);
    }
    timings.sort((a, b) => a - b);
    return { medianMs: timings[Math.floor(timings.length / 2)], maxMs: timings[timings.length - 1] };
  } finally {
    await r.close();
  }
}
