import { existsSync } from 'node:fs';
import { Client } from 'pg';
import { FakeDownstream } from '../test/fakes/fake-downstream';
import { startFakeElasticsearch } from '../test/fakes/fake-elasticsearch';
import { FakeLacework, generateAlerts } from '../test/fakes/fake-lacework';
import { FakeSecOps } from '../test/fakes/fake-secops';
import { FakeSentinel } from '../test/fakes/fake-sentinel';
import { startFakeSplunkHec } from '../test/fakes/fake-splunk-hec';
import { api, Cluster } from '../test/setup/cluster';
import { Rsyslog, RSYSLOGD_PATH } from '../test/setup/rsyslog';
import { hourStart, sleep } from '../test/setup/wait';
import { freshDatabase, HOUR, KEY } from './pipeline-bench';

const SECRET = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
const HEC_TOKEN = '5c2d3a1e-7f4b-4e0a-9a55-1b2c3d4e5f60';
const ES_API_KEY = Buffer.from('bench-key-id:bench-key-secret').toString('base64');
const SENTINEL = {
  tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  clientId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  clientSecret: 'bench-client-secret',
  dcrImmutableId: 'dcr-0123456789abcdef0123456789abcdef',
  streamName: 'Custom-LaceworkAlerts_CL',
};
const SECOPS = { apiKey: 'bench-api-key', secret: 'bench-feed-secret' };
/** The webhook is also measured behind a backlog of this many times the assembled versions (50,000 at n = 2,000). */
const WEBHOOK_BACKLOG_COPIES = 25;
// The worker keeps the enabled destinations for 1 s: a new one is seen after that.
const DESTINATION_CACHE_MS = 1_000;

/** One measured configuration: a destination kind with one batch size. */
export interface DestinationRate {
  kind: string;
  maxEvents: number;
  /** Delivered in `seconds`: all of the backlog, or what the cap allowed. */
  delivered: number;
  perSecond: number;
  seconds: number;
  /** For the webhook, measured twice: the first or the last run. */
  run?: 'first' | 'last';
  /** Deliveries due to the destination at the start, when more than the measured `n` (a receiver back after an outage). */
  backlog?: number;
  /** Requests (or, for syslog, TLS writes counted by the receiver as messages) the fake saw. */
  requests: number | null;
}

export interface DestinationsResult {
  deliveries: number;
  capMs: number;
  meanDocumentBytes: number;
  rates: DestinationRate[];
  skipped: string[];
}

interface Target {
  kind: string;
  maxEvents: number;
  /** Queue the assembled versions this many times over (default once): a deep backlog the claim has to walk. */
  copies?: number;
  body(): Record<string, unknown>;
  /** What the fake took since `reset`; checks the deliveries arrived and counts the requests. */
  received(): { events: number; requests: number | null };
  reset(): void;
}

/**
 * Deliveries per second of each destination kind against its fake, with batching off (1 event per request) and on,
 * measured through the real delivery worker and PostgreSQL: `n` assembled alert versions (assembled once by the
 * real pipeline from the fake Lacework) get one pending delivery each to a fresh destination, and the time runs from
 * that insert to the last `delivered_at`, over the whole backlog or over the first `capMs` when draining it would
 * take longer. The service runs with its default delivery concurrency.
 */
export async function destinationRates(
  adminUrl: string,
  n: number,
  capMs: number,
  log: (line: string) => void,
): Promise<DestinationsResult> {
  const url = await freshDatabase(adminUrl, 'lc_bench_destinations');
  const db = new Client({ connectionString: url });
  const closers: (() => Promise<unknown>)[] = [];
  const skipped: string[] = [];
  try {
    const lacework = await FakeLacework.start({ recordRequests: false, pageSize: 1000 });
    closers.push(() => lacework.close());
    lacework.addKey(KEY);
    const downstream = await FakeDownstream.start({ secrets: [SECRET] });
    closers.push(() => downstream.close());
    const splunk = await startFakeSplunkHec({ tokens: [{ token: HEC_TOKEN }] });
    closers.push(() => splunk.close());
    const elastic = await startFakeElasticsearch({ apiKeys: [ES_API_KEY] });
    closers.push(() => elastic.close());
    const sentinel = await FakeSentinel.start(SENTINEL);
    closers.push(() => sentinel.close());
    const secops = await FakeSecOps.start(SECOPS);
    closers.push(() => secops.close());
    let rsyslog: Rsyslog | null = null;
    if (existsSync(RSYSLOGD_PATH)) {
      rsyslog = await Rsyslog.start();
      const started = rsyslog;
      closers.push(() => started.stop());
    } else {
      skipped.push(`syslog: rsyslogd not installed at ${RSYSLOGD_PATH}`);
    }

    // Production settings except: the scheduler ticks every 50 ms (so a backlog is picked up at once), and the
    // Lacework budget and enrichment are opened up so the one-off assembly of the alerts is quick.
    const cluster = new Cluster(
      Cluster.env(url, {
        LEASE_SECONDS: '120',
        DELIVERY_RETRY_SCALE: '1',
        CIRCUIT_PROBE_AFTER_MS: '60000',
        LACEWORK_BUDGET_WINDOW_MS: '1000',
        ENRICHMENT_CONCURRENCY: '32',
      }),
    );
    closers.unshift(() => cluster.stopAll());
    await cluster.start(0);
    await db.connect();
    const base = cluster.anyUrl();

    log(`assembling ${n} alerts through the pipeline (fake Lacework) ...`);
    const seed = await api(base, 'POST', '/api/v1/destinations', {
      name: 'seed',
      url: downstream.url,
      signingSecret: SECRET,
      enabled: false,
    });
    if (seed.status !== 201) {
      throw new Error(`seed destination: ${seed.text}`);
    }
    const integration = await api(base, 'POST', '/api/v1/integrations', {
      name: 'bench',
      organizationUrl: lacework.url,
      ...KEY,
      destinationId: seed.json.id,
      requestsPerHour: 100_000,
    });
    if (integration.status !== 201) {
      throw new Error(`integration: ${integration.text}`);
    }
    lacework.addAlerts(generateAlerts(n, { start: hourStart(23 * HOUR), hours: 22, firstId: 6_000_000 }));
    await api(base, 'POST', `/api/v1/integrations/${integration.json.id}/sync`);
    const deadline = Date.now() + 120_000;
    while ((await count(db, `SELECT count(*) AS n FROM deliveries WHERE state = 'pending'`)) < n) {
      if (Date.now() > deadline) {
        throw new Error(`the pipeline did not assemble ${n} alerts within 120 s`);
      }
      await sleep(200);
    }
    // The assembled versions' outbox rows become the template each measured destination gets a copy of.
    await db.query(
      `CREATE TABLE bench_template AS
         SELECT alert_version_id, alert_row_id, integration_id, alert_id, version, severity_rank, webhook_id
           FROM deliveries`,
    );
    await db.query(`DELETE FROM deliveries`);
    const meanDocumentBytes = Number(
      (
        await db.query<{ n: string }>(
          `SELECT avg(octet_length(document))::int AS n FROM alert_versions WHERE document IS NOT NULL`,
        )
      ).rows[0].n,
    );

    const targets: Target[] = [
      {
        kind: 'webhook',
        maxEvents: 1,
        body: () => ({ url: downstream.url, signingSecret: SECRET }),
        received: () => {
          const ok = downstream.received.filter((r) => r.status === 200).length;
          return { events: ok, requests: downstream.received.length };
        },
        reset: () => downstream.received.splice(0),
      },
      {
        kind: 'webhook',
        maxEvents: 1,
        copies: WEBHOOK_BACKLOG_COPIES,
        body: () => ({ url: downstream.url, signingSecret: SECRET }),
        received: () => {
          const ok = downstream.received.filter((r) => r.status === 200).length;
          return { events: ok, requests: downstream.received.length };
        },
        reset: () => downstream.received.splice(0),
      },
      ...[1, 100].map((maxEvents): Target => ({
        kind: 'splunk_hec',
        maxEvents,
        body: () => ({ url: splunk.eventUrl, settings: { token: HEC_TOKEN } }),
        received: () => ({ events: splunk.received.length, requests: splunk.eventRequests().length }),
        reset: () => {
          splunk.received.splice(0);
          splunk.requests.splice(0);
        },
      })),
      ...[1, 500].map((maxEvents): Target => ({
        kind: 'elasticsearch',
        maxEvents,
        body: () => ({
          url: elastic.url,
          settings: { index: `lacework-bench-${maxEvents}`, auth: 'api_key', apiKey: ES_API_KEY },
        }),
        received: () => ({
          events: elastic.documents(`lacework-bench-${maxEvents}`).size,
          requests: elastic.requests.filter((r) => r.url.includes('_bulk')).length,
        }),
        reset: () => elastic.requests.splice(0),
      })),
      ...[1, 500].map((maxEvents): Target => ({
        kind: 'sentinel',
        maxEvents,
        body: () => ({ url: sentinel.url, settings: { ...SENTINEL, authorityHost: sentinel.authorityHost } }),
        received: () => ({ events: sentinel.rows.length, requests: sentinel.calls.length }),
        reset: () => {
          sentinel.rows.splice(0);
          sentinel.calls.splice(0);
        },
      })),
      ...[1, 500].map((maxEvents): Target => ({
        kind: 'secops',
        maxEvents,
        body: () => ({ url: secops.url, settings: { ...SECOPS } }),
        received: () => ({ events: secops.lines.length, requests: secops.requests.length }),
        reset: () => {
          secops.lines.splice(0);
          secops.requests.splice(0);
        },
      })),
    ];
    if (rsyslog !== null) {
      const receiver = rsyslog;
      let before = 0;
      for (const maxEvents of [1, 100]) {
        targets.push({
          kind: 'syslog',
          maxEvents,
          body: () => ({ url: receiver.url, settings: { caCertificate: receiver.serverCertificate } }),
          // rsyslog writes what it took to a file: counted there, after it flushed (no request count over TCP).
          received: () => ({ events: receiver.messages().length - before, requests: null }),
          reset: () => (before = receiver.messages().length),
        });
      }
    }

    // Every unbatched run first, then the batched ones: two runs against the same fake are never next to each other,
    // so no keep-alive connection left idle by one run is reused by the next just as the fake's server closes it
    // (Node's 5 s keep-alive timeout; that race costs a retry, here an aborted measurement).
    // The webhook again at the end: load on a shared machine drifts, and the faster of the two is the reference.
    const webhook = targets[0];
    const order = [
      ...targets.filter((t) => t.maxEvents === 1),
      ...targets.filter((t) => t.maxEvents > 1),
      webhook,
    ];
    const measured = new Map<Target, DestinationRate>();
    let webhookFirst: DestinationRate | null = null;
    for (const target of order) {
      const rate = await measure(db, base, target, n, capMs);
      log(
        `  ${target.kind} (maxEvents ${target.maxEvents}): ${rate.perSecond.toFixed(0)} deliveries/s ` +
          `(${rate.delivered} in ${rate.seconds.toFixed(2)} s, ${rate.requests ?? 'n/a'} requests)`,
      );
      if (target === webhook && webhookFirst === null) {
        webhookFirst = { ...rate, run: 'first' };
      } else {
        measured.set(target, target === webhook ? { ...rate, run: 'last' } : rate);
      }
    }
    const rates = [webhookFirst!, ...targets.map((t) => measured.get(t)!)];
    return { deliveries: n, capMs, meanDocumentBytes, rates, skipped };
  } finally {
    await db.end().catch(() => undefined);
    for (const close of closers) {
      await close().catch(() => undefined);
    }
  }
}

async function count(db: Client, sql: string, params: unknown[] = []): Promise<number> {
  return Number((await db.query<{ n: string }>(sql, params)).rows[0].n);
}

/** Creates the target's destination, queues `n` deliveries to it at once and times them to the last `delivered`. */
async function measure(
  db: Client,
  base: string,
  target: Target,
  n: number,
  capMs: number,
): Promise<DestinationRate> {
  const created = await api(base, 'POST', '/api/v1/destinations', {
    name: `${target.kind}-${target.maxEvents}`,
    kind: target.kind,
    format: 'document',
    batch: { maxEvents: target.maxEvents },
    ...target.body(),
  });
  if (created.status !== 201) {
    throw new Error(`${target.kind} destination: ${created.text}`);
  }
  const id = created.json.id as string;
  target.reset();
  const left = await count(db, `SELECT count(*) AS n FROM deliveries`);
  if (left !== 0) {
    throw new Error(`${left} deliveries left in the outbox before measuring ${target.kind}`);
  }
  await sleep(DESTINATION_CACHE_MS + 200);
  await db.query(
    `INSERT INTO deliveries (alert_version_id, alert_row_id, integration_id, destination_id, alert_id, version,
                             severity_rank, webhook_id, state, next_attempt_at, created_at)
     SELECT alert_version_id, alert_row_id, integration_id, $1, alert_id, version, severity_rank, webhook_id,
            'pending', now(), now()
       FROM bench_template CROSS JOIN generate_series(1, $2::int)`,
    [id, target.copies ?? 1],
  );
  // Until all are delivered, or for at most `capMs` where the drain takes longer (the unbatched kinds).
  const started = Date.now();
  let delivered = 0;
  for (;;) {
    const states = await db.query<{ state: string; n: string }>(
      `SELECT state, count(*) AS n FROM deliveries WHERE destination_id = $1 GROUP BY state`,
      [id],
    );
    const byState = new Map(states.rows.map((r) => [r.state, Number(r.n)]));
    delivered = byState.get('delivered') ?? 0;
    if (delivered >= n || Date.now() - started > capMs) {
      break;
    }
    if ((byState.get('dead') ?? 0) > 0 || (byState.get('failed') ?? 0) > 0) {
      const [sample] = (
        await db.query<{ last_error: string }>(
          `SELECT last_error FROM deliveries WHERE destination_id = $1 AND state IN ('dead', 'failed') LIMIT 1`,
          [id],
        )
      ).rows;
      throw new Error(
        `${target.kind} (maxEvents ${target.maxEvents}): a delivery failed: ${sample?.last_error}`,
      );
    }
    // Counting a deep backlog costs the database as much as a claim: asked less often there.
    await sleep(target.copies === undefined ? 20 : 250);
  }
  // Stops the worker claiming more (disabled, not deleted: deleting would hand the open deliveries on); what is in
  // flight finishes and is written back.
  await api(base, 'PATCH', `/api/v1/destinations/${id}`, { enabled: false });
  await sleep(500);
  // Database clocks on both ends: queued (the insert) to the last delivery written back.
  const [timing] = (
    await db.query<{ s: string; n: string }>(
      `SELECT extract(epoch FROM max(delivered_at) - min(created_at)) AS s, count(delivered_at) AS n
         FROM deliveries WHERE destination_id = $1`,
      [id],
    )
  ).rows;
  const seconds = Number(timing.s);
  delivered = Number(timing.n);
  const arrived = await waitForArrivals(target, delivered);
  // Each measurement starts from an empty outbox.
  await db.query(`DELETE FROM deliveries WHERE destination_id = $1`, [id]);
  await api(base, 'DELETE', `/api/v1/destinations/${id}`);
  await db.query(`VACUUM ANALYZE deliveries`);
  return {
    kind: target.kind,
    maxEvents: target.maxEvents,
    backlog: target.copies === undefined ? undefined : n * target.copies,
    delivered,
    perSecond: delivered / seconds,
    seconds,
    requests: arrived.requests,
  };
}

/** The fake must hold every event: a delivery marked delivered that never arrived would flatter the rate. */
async function waitForArrivals(
  target: Target,
  n: number,
): Promise<{ events: number; requests: number | null }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const received = target.received();
    if (received.events >= n) {
      return received;
    }
    if (Date.now() > deadline) {
      throw new Error(`${target.kind}: the fake holds ${received.events} of ${n} events`);
    }
    await sleep(100);
  }
}

function fmt(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** The report table: each rate beside the webhook's, and each batching kind against the bound of 5x the webhook. */
export function destinationsTable(result: DestinationsResult): string {
  const webhook = Math.max(
    ...result.rates.filter((r) => r.kind === 'webhook' && r.backlog === undefined).map((r) => r.perSecond),
  );
  const bound = 5 * webhook;
  const rows = result.rates.map((r) => {
    const batching = r.maxEvents > 1;
    return [
      r.backlog !== undefined
        ? `${r.kind} (behind a backlog of ${r.backlog})`
        : r.run === undefined
          ? r.kind
          : `${r.kind} (measured ${r.run})`,
      batching
        ? `on (maxEvents ${r.maxEvents})`
        : r.kind === 'webhook'
          ? 'n/a (1 per request)'
          : 'off (maxEvents 1)',
      fmt(r.perSecond, 0),
      `${r.delivered} in ${fmt(r.seconds, 2)} s`,
      r.requests === null ? 'n/a' : String(r.requests),
      `x${fmt(r.perSecond / webhook, 2)}`,
      batching ? `${fmt(r.perSecond / bound, 2)} (>= 5x webhook = ${fmt(bound, 0)}/s)` : '',
    ];
  });
  return [
    '| kind | batching | deliveries/s | delivered in | requests | ratio to webhook | ratio to bound |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}
