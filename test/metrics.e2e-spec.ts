import { FakeLacework } from './fakes/fake-lacework';
import { MetricsService } from '../src/metrics/metrics.service';
import { asAdmin, asViewer, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { KEY } from './setup/sync-helpers';

const METRICS_TOKEN = 'test-metrics-token-0123456789abcdef';
const asMetrics = { Authorization: `Bearer ${METRICS_TOKEN}` };

/** The value of one sample line, e.g. `name{a="1",b="2"} 3`; labels are matched whatever their order. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) {
      continue;
    }
    const found = Object.fromEntries(
      [...(match[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) {
      return Number(match[4]);
    }
  }
  return undefined;
}

/** Sum of every sample of `name` whose labels include `labels`. */
function sumOf(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    if (match === null || match[1] !== name) {
      continue;
    }
    const found = Object.fromEntries([...match[2].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) {
      total += Number(match[3]);
    }
  }
  return total;
}

describe('GET /metrics', () => {
  let db: TestDatabase;
  let app: TestApp;
  let fake: FakeLacework;

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await FakeLacework.start();
    fake.addKey(KEY);
    app = await startTestApp(db.url, { METRICS_TOKEN });
  });

  afterAll(async () => {
    await app?.close();
    await fake?.close();
    await db?.drop();
  });

  const scrape = async (headers: Record<string, string> = asMetrics): Promise<string> => {
    const res = await app.http.get('/metrics').set(headers);
    expect(res.status).toBe(200);
    return res.text;
  };

  async function insertIntegration(name: string): Promise<string> {
    const [row] = await db.query<{ id: string }>(
      `INSERT INTO integrations (name, organization_url, account, key_id, secret_sealed, secret_hint, requests_per_hour)
       VALUES ($1, 'https://acme.lacework.net', 'acme', 'ACME_KEY', 'not-a-real-sealed-secret', 'cdef', 120)
       RETURNING id`,
      [name],
    );
    return row.id;
  }

  it('answers in the Prometheus text format with every metric family', async () => {
    const res = await app.http.get('/metrics').set(asMetrics);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain;/);
    expect(res.headers['content-type']).toContain('version=0.0.4');
    const families: [string, string][] = [
      ['connector_lacework_requests_total', 'counter'],
      ['connector_lacework_request_duration_seconds', 'histogram'],
      ['connector_lacework_rate_limited_total', 'counter'],
      ['connector_lacework_budget_waits_total', 'counter'],
      ['connector_lacework_budget_used', 'gauge'],
      ['connector_lacework_budget_limit', 'gauge'],
      ['connector_lacework_budget_learned_rate', 'gauge'],
      ['connector_alerts_synced_total', 'counter'],
      ['connector_alerts_last_24h', 'gauge'],
      ['connector_sync_run_duration_seconds', 'histogram'],
      ['connector_enrichment_backlog', 'gauge'],
      ['connector_delivery_backlog', 'gauge'],
      ['connector_deliveries_total', 'counter'],
      ['connector_delivery_latency_seconds', 'histogram'],
      ['connector_metrics_database_up', 'gauge'],
      ['process_cpu_user_seconds_total', 'counter'],
      ['nodejs_eventloop_lag_seconds', 'gauge'],
    ];
    for (const [name, type] of families) {
      expect(res.text).toContain(`# HELP ${name} `);
      expect(res.text).toContain(`# TYPE ${name} ${type}`);
    }
    expect(sample(res.text, 'connector_metrics_database_up')).toBe(1);
  });

  it('lets the metrics token read /metrics only, and the viewer read it too', async () => {
    expect((await app.http.get('/metrics')).status).toBe(401);
    expect((await app.http.get('/api/v1/status').set(asMetrics)).status).toBe(403);
    expect((await app.http.get('/api/v1/integrations').set(asMetrics)).status).toBe(403);
    expect(await scrape(asViewer)).toContain('connector_lacework_requests_total');
  });

  it('counts Lacework requests by kind and outcome as they happen', async () => {
    const before = await scrape();
    const tokenOk = (text: string) =>
      sumOf(text, 'connector_lacework_requests_total', { kind: 'token', outcome: 'ok' });
    const listOk = (text: string) =>
      sumOf(text, 'connector_lacework_requests_total', { kind: 'list', outcome: 'ok' });
    const tested = await app.http
      .post('/api/v1/integrations/test')
      .set(asAdmin)
      .send({ name: 'probe', organizationUrl: fake.url, ...KEY });
    expect(tested.body).toMatchObject({ ok: true });
    const after = await scrape();
    expect(tokenOk(after) - tokenOk(before)).toBe(fake.count('token'));
    expect(listOk(after) - listOk(before)).toBe(fake.count('list'));
    expect(fake.count('token')).toBeGreaterThan(0);
    const wrong = await app.http.post('/api/v1/integrations/test').set(asAdmin).send({
      name: 'probe',
      organizationUrl: fake.url,
      keyId: KEY.keyId,
      secret: 'not-the-right-secret-000',
    });
    expect(wrong.body).toMatchObject({ ok: false });
    const failed = await scrape();
    expect(sumOf(failed, 'connector_lacework_requests_total', { kind: 'token', outcome: 'auth_error' })).toBe(
      sumOf(after, 'connector_lacework_requests_total', { kind: 'token', outcome: 'auth_error' }) + 1,
    );
    expect(
      sumOf(failed, 'connector_lacework_request_duration_seconds_count', { kind: 'token' }),
    ).toBeGreaterThan(sumOf(before, 'connector_lacework_request_duration_seconds_count', { kind: 'token' }));
  });

  it('reads budgets and backlogs from the database at scrape time', async () => {
    const id = await insertIntegration('gauges');
    await db.query(
      `INSERT INTO lacework_requests (integration_id, sent_at)
       SELECT $1::uuid, now() - g * interval '1 minute' FROM generate_series(1, 7) g
       UNION ALL SELECT $1::uuid, now() - interval '2 hours'`,
      [id],
    );
    const [alert] = await db.query<{ id: string }>(
      `INSERT INTO alerts (integration_id, alert_id, current_version, list_hash, severity, severity_rank, status,
                           alert_type, alert_name, start_time, state, first_seen_at)
       SELECT $1, 'a' || g, 1, repeat('a', 64), 'Critical', 1, 'Open', 'T', 'n', now() - interval '1 hour',
              'pending', now() - interval '1 minute'
         FROM generate_series(1, 3) g RETURNING id`,
      [id],
    );
    await db.query(
      `INSERT INTO alert_versions (alert_row_id, integration_id, alert_id, version, list_record, list_hash,
                                   severity_rank, start_time, state)
       SELECT a.id, a.integration_id, a.alert_id, 1, '{}', a.list_hash, 1, a.start_time, 'pending'
         FROM alerts a WHERE a.integration_id = $1`,
      [id],
    );
    await db.query(
      `INSERT INTO deliveries (alert_version_id, alert_row_id, integration_id, alert_id, version, severity_rank,
                               webhook_id, state)
       SELECT v.id, v.alert_row_id, v.integration_id, v.alert_id, 1, 1, 'msg_' || v.id,
              CASE WHEN v.alert_row_id = $2 THEN 'dead' ELSE 'failed' END
         FROM alert_versions v WHERE v.integration_id = $1`,
      [id, alert.id],
    );
    await db.query(
      `INSERT INTO lacework_budget_members (integration_id, budget_key, requests_per_window)
       VALUES ($1, 'acme.lacework.net|ACME_KEY', 120)`,
      [id],
    );
    await db.query(
      `INSERT INTO lacework_key_budgets (budget_key, next_at, learned_per_window, adjusted_at)
       VALUES ('acme.lacework.net|ACME_KEY', now(), 60, now())`,
    );
    const text = await scrape();
    const labels = { integration_id: id };
    expect(sample(text, 'connector_lacework_budget_used', labels)).toBe(7);
    expect(sample(text, 'connector_lacework_budget_learned_rate', labels)).toBe(60);
    expect(sample(text, 'connector_lacework_budget_limit', labels)).toBe(120);
    expect(sample(text, 'connector_enrichment_backlog', labels)).toBe(3);
    expect(sample(text, 'connector_delivery_backlog', { ...labels, state: 'open' })).toBe(2);
    expect(sample(text, 'connector_delivery_backlog', { ...labels, state: 'dead' })).toBe(1);
    expect(sample(text, 'connector_alerts_last_24h', { severity: 'Critical' })).toBe(3);
    // Stored after the service started and old enough to be surely committed: counted once, not again.
    expect(sample(text, 'connector_alerts_synced_total', { severity: 'Critical' })).toBe(3);
    expect(sample(await scrape(), 'connector_alerts_synced_total', { severity: 'Critical' })).toBe(3);
    expect(sample(text, 'connector_alerts_synced_total', { severity: 'Low' })).toBe(0);

    await db.query(`UPDATE integrations SET deleted_at = now() WHERE id = $1`, [id]);
    expect(sample(await scrape(), 'connector_enrichment_backlog', labels)).toBeUndefined();
  });

  it('counts the delivery attempts the delivery worker reports, with their latency', async () => {
    const metrics = app.app.get(MetricsService);
    const before = await scrape();
    const destination = '6f1c4f0e-2f47-4b53-9d0e-000000000001';
    metrics.recordDeliveryAttempt(destination, 'failed', 1200);
    metrics.recordDeliveryAttempt(destination, 'delivered', 40);
    metrics.recordDeliveryAttempt(destination, 'delivered', 60);
    const text = await scrape();
    expect(
      sample(text, 'connector_deliveries_total', { destination_id: destination, outcome: 'delivered' }),
    ).toBe(2);
    expect(
      sample(text, 'connector_deliveries_total', { destination_id: destination, outcome: 'failed' }),
    ).toBe(1);
    const count = (t: string) =>
      sumOf(t, 'connector_delivery_latency_seconds_count', { outcome: 'delivered' });
    expect(count(text) - count(before)).toBe(2);
    expect(
      sample(text, 'connector_delivery_latency_seconds_bucket', { outcome: 'delivered', le: '0.05' }),
    ).toBe(1);
    expect(sample(text, 'connector_delivery_latency_seconds_bucket', { outcome: 'failed', le: '1' })).toBe(0);
  });
});
