import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/data-source';

/**
 * `npm run seed:scale`: fills a PostgreSQL database to the size the dashboard must stay fast at (by default 50
 * integrations, 1,000,000 alerts with one version each, 100,000 sync runs, 500,000 deliveries with an attempt each,
 * 1,000,000 Lacework call records) with set-based SQL, in a few minutes. Creates the database and applies the
 * migrations first; empties the tables it fills.
 */

const DEFAULT_BENCH_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/lc_bench';

interface SeedSize {
  integrations: number;
  destinations: number;
  alerts: number;
  syncRuns: number;
  deliveries: number;
  calls: number;
}

function sizeFromEnv(env: NodeJS.ProcessEnv): SeedSize {
  const int = (name: string, fallback: number): number => {
    const value = env[name] === undefined ? fallback : Number(env[name]);
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`${name}: must be a positive integer`);
    }
    return value;
  };
  return {
    integrations: int('SEED_INTEGRATIONS', 50),
    destinations: 5,
    alerts: int('SEED_ALERTS', 1_000_000),
    syncRuns: int('SEED_SYNC_RUNS', 100_000),
    deliveries: int('SEED_DELIVERIES', 500_000),
    calls: int('SEED_CALLS', 1_000_000),
  };
}

async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) {
    throw new Error(`database name "${name}": letters, digits and underscores only`);
  }
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${name}`);
      log(`created database ${name}`);
    }
  } finally {
    await client.end();
  }
}

async function migrate(url: string): Promise<void> {
  const dataSource = new DataSource(buildDataSourceOptions(url, 2));
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    log(`${applied.length} migration(s) applied`);
  } finally {
    await dataSource.destroy();
  }
}

/** The statements that fill the tables, in order; each is set-based over generate_series. */
function seedStatements(s: SeedSize): { what: string; sql: string }[] {
  const perIntegrationRuns = Math.ceil(s.syncRuns / s.integrations);
  return [
    {
      what: 'empty the tables',
      sql: `TRUNCATE integrations, destinations, lacework_calls, lacework_requests RESTART IDENTITY CASCADE`,
    },
    {
      what: `${s.destinations} destinations (one paused, one failing)`,
      sql: `INSERT INTO destinations (name, url, signing_secret_sealed, paused_reason, last_success_at, last_error, circuit)
            SELECT 'pipeline-' || g, 'https://pipeline-' || g || '.example.com/hook', 'not-a-real-sealed-secret',
                   CASE WHEN g = 3 THEN 'circuit open: 10 of the last 10 attempts failed' END,
                   now() - (g || ' minutes')::interval,
                   CASE WHEN g IN (3, 4) THEN 'HTTP 503 from the receiver' END,
                   CASE WHEN g = 3 THEN '{"state":"open","openedAtMs":0,"recent":[]}'::jsonb
                        ELSE '{"state":"closed","openedAtMs":null,"recent":[]}'::jsonb END
              FROM generate_series(0, ${s.destinations - 1}) g`,
    },
    {
      what: `${s.integrations} integrations`,
      sql: `INSERT INTO integrations (name, organization_url, account, key_id, secret_sealed, secret_hint, enabled,
                                      destination_id, sync_cursor, last_auth_error, created_at)
            SELECT 'scale-org-' || lpad(g::text, 3, '0'), 'https://scale-org-' || g || '.lacework.net',
                   'scale-org-' || g, 'SCALE_KEY_' || g, 'not-a-real-sealed-secret', 'abcd',
                   g % 25 <> 24,
                   (SELECT id FROM destinations ORDER BY name OFFSET g % ${s.destinations} LIMIT 1),
                   now() - ((g % 7) || ' minutes')::interval,
                   CASE WHEN g % 17 = 16 THEN 'Lacework refused the API key (401)' END,
                   now() - interval '100 days' + (g || ' seconds')::interval
              FROM generate_series(0, ${s.integrations - 1}) g`,
    },
    {
      what: 'the destination list of each integration',
      sql: `UPDATE integrations SET destination_ids = ARRAY[destination_id] WHERE destination_id IS NOT NULL`,
    },
    {
      what: `${s.syncRuns} sync runs (one every 5 minutes per integration)`,
      sql: `WITH ints AS (SELECT array_agg(id ORDER BY name) AS ids, array_agg(last_auth_error ORDER BY name) AS auth
                          FROM integrations),
                 runs AS (SELECT g, g % ${s.integrations} AS i, g / ${s.integrations} AS k,
                                 date_trunc('second', now()) - ((g / ${s.integrations}) * 5 + 1) * interval '1 minute'
                                   AS started
                            FROM generate_series(0, ${s.syncRuns - 1}) g)
            INSERT INTO sync_runs (integration_id, trigger, status, started_at, finished_at, window_start, window_end,
                                   alerts_listed, alerts_new, alerts_changed, alerts_unchanged, alerts_filtered,
                                   api_calls, rate_limited, error_class, error_message, worker_id, heartbeat_at,
                                   chunks_total, chunks_done, pages_listed)
            SELECT ints.ids[r.i + 1], CASE WHEN r.k % 100 = 99 THEN 'manual' ELSE 'schedule' END,
                   st.status, r.started, r.started + (5 + r.g % 55) * interval '1 second',
                   r.started - interval '3 hours', r.started,
                   40 + r.g % 30, r.g % 9, r.g % 3, 30 + r.g % 30, r.g % 2,
                   jsonb_build_object('list', jsonb_build_object('ok', 1 + r.g % 3), 'token', jsonb_build_object('ok', 1)),
                   CASE WHEN r.k % 40 = 7 THEN 1 ELSE 0 END,
                   st.error_class, st.error_message, 'seed', r.started, 1, 1, 1 + r.g % 3
              FROM runs r CROSS JOIN ints
              CROSS JOIN LATERAL (SELECT
                  CASE WHEN ints.auth[r.i + 1] IS NOT NULL AND r.k < 3 THEN 'failed'
                       WHEN r.k % 50 = 17 THEN 'failed'
                       WHEN r.k % 20 = 9 THEN 'partial' ELSE 'succeeded' END AS status) s0
              CROSS JOIN LATERAL (SELECT s0.status,
                  CASE WHEN s0.status = 'succeeded' THEN NULL
                       WHEN ints.auth[r.i + 1] IS NOT NULL AND r.k < 3 THEN 'auth' ELSE 'upstream' END AS error_class,
                  CASE WHEN s0.status = 'succeeded' THEN NULL
                       WHEN ints.auth[r.i + 1] IS NOT NULL AND r.k < 3 THEN 'Lacework refused the API key (401)'
                       ELSE 'Lacework answered 503 three times' END AS error_message) st
             WHERE r.k < ${perIntegrationRuns}`,
    },
    {
      what: `${s.alerts} alerts over 90 days`,
      sql: `WITH ints AS (SELECT array_agg(id ORDER BY name) AS ids FROM integrations),
                 src AS (SELECT g, g % ${s.integrations} AS i, g / ${s.integrations} AS k,
                                (g / ${s.integrations}) % 100 AS p,
                                date_trunc('milliseconds', now()) - (g::float8 / ${s.alerts}) * interval '90 days'
                                  - (g % 997) * interval '1 second' AS start_time
                           FROM generate_series(0, ${s.alerts - 1}) g),
                 sev AS (SELECT src.*, CASE WHEN p < 5 THEN 'Critical' WHEN p < 20 THEN 'High' WHEN p < 50 THEN 'Medium'
                                            WHEN p < 80 THEN 'Low' ELSE 'Info' END AS severity,
                                       CASE WHEN p < 5 THEN 1 WHEN p < 20 THEN 2 WHEN p < 50 THEN 3
                                            WHEN p < 80 THEN 4 ELSE 5 END AS rank
                           FROM src)
            INSERT INTO alerts (integration_id, alert_id, current_version, list_hash, severity, severity_rank, status,
                                alert_type, alert_name, start_time, end_time, state, failed_scopes, first_seen_at,
                                updated_at)
            SELECT ints.ids[sev.i + 1], (4000000000 + sev.g)::text, 1, md5(sev.g::text) || md5((sev.g + 1)::text),
                   sev.severity, sev.rank, CASE WHEN sev.k % 3 = 0 THEN 'Closed' ELSE 'Open' END,
                   (ARRAY['NewExternalServerDNSConn', 'ChangedFile', 'UserLoggedInFromNewLocation',
                          'SuspiciousApplicationLaunched', 'PotentialPenetrationTest'])[1 + sev.k % 5],
                   'Alert ' || sev.g, sev.start_time, sev.start_time + interval '1 hour',
                   -- A queue of recent alerts waiting for their scopes; incomplete ones older than two days.
                   CASE WHEN sev.k < 200 AND sev.k % 5 = 3 THEN 'pending'
                        WHEN sev.p = 7 AND sev.k >= 450 THEN 'incomplete'
                        WHEN sev.severity = 'Info' AND sev.k % 4 = 0 THEN 'filtered'
                        ELSE 'complete' END,
                   CASE WHEN sev.p = 7 AND sev.k >= 450 THEN ARRAY['Timeline'] ELSE '{}'::text[] END,
                   sev.start_time + interval '2 minutes', sev.start_time + interval '3 minutes'
              FROM sev CROSS JOIN ints`,
    },
    {
      what: 'one version per alert',
      sql: `INSERT INTO alert_versions (alert_row_id, integration_id, alert_id, version, list_record, list_hash,
                                       severity_rank, start_time, state, document, document_hash, failed_scopes,
                                       created_at, completed_at)
            SELECT a.id, a.integration_id, a.alert_id, 1,
                   json_build_object('alertId', a.alert_id::numeric, 'severity', a.severity, 'status', a.status,
                                     'alertType', a.alert_type, 'startTime', a.start_time)::text,
                   a.list_hash, a.severity_rank, a.start_time, a.state,
                   CASE WHEN a.state IN ('complete', 'incomplete')
                        THEN json_build_object('alertId', a.alert_id::numeric, 'severity', a.severity,
                                               'alertName', a.alert_name)::text END,
                   CASE WHEN a.state IN ('complete', 'incomplete') THEN a.list_hash END,
                   a.failed_scopes,
                   CASE WHEN a.state = 'pending' THEN now() - (a.id % 40) * interval '1 minute' ELSE a.first_seen_at END,
                   CASE WHEN a.state IN ('complete', 'incomplete', 'filtered') THEN a.updated_at END
              FROM alerts a`,
    },
    {
      what: `${s.deliveries} deliveries`,
      sql: `INSERT INTO deliveries (alert_version_id, alert_row_id, integration_id, destination_id, alert_id, version,
                                   severity_rank, webhook_id, state, attempts, next_attempt_at, last_status,
                                   last_error, delivered_at, created_at, updated_at)
            SELECT v.id, v.alert_row_id, v.integration_id, i.destination_id, v.alert_id, 1, v.severity_rank,
                   'lw_' || v.integration_id || '_' || v.alert_id || '_v1', st.state,
                   CASE st.state WHEN 'delivered' THEN 1 WHEN 'dead' THEN 8 WHEN 'failed' THEN 2 ELSE 0 END,
                   v.completed_at + interval '1 minute',
                   CASE st.state WHEN 'delivered' THEN 200 WHEN 'pending' THEN NULL ELSE 503 END,
                   CASE WHEN st.state IN ('dead', 'failed') THEN 'HTTP 503 from the receiver' END,
                   CASE WHEN st.state = 'delivered' THEN v.completed_at + interval '1 second' END,
                   v.completed_at, v.completed_at + interval '1 second'
              FROM (SELECT * FROM alert_versions WHERE state IN ('complete', 'incomplete')
                     ORDER BY id LIMIT ${s.deliveries}) v
              JOIN integrations i ON i.id = v.integration_id
              CROSS JOIN LATERAL (SELECT abs(hashint8(v.id) % 1000) AS h) x
              CROSS JOIN LATERAL (SELECT CASE WHEN x.h < 4 AND v.start_time < now() - interval '2 days' THEN 'dead'
                                              WHEN x.h BETWEEN 4 AND 13 THEN 'failed'
                                              WHEN x.h BETWEEN 14 AND 23 THEN 'pending'
                                              WHEN x.h BETWEEN 24 AND 43 THEN 'superseded'
                                              ELSE 'delivered' END AS state) st`,
    },
    {
      what: 'one attempt per delivery that was tried',
      sql: `INSERT INTO delivery_attempts (delivery_id, attempted_at, status_code, latency_ms, error, worker_id)
            SELECT d.id, d.updated_at, d.last_status, 20 + (d.severity_rank * 37) % 400, d.last_error, 'seed'
              FROM deliveries d WHERE d.attempts > 0`,
    },
    {
      what: `${s.calls} Lacework call records over 7 days`,
      sql: `WITH ints AS (SELECT array_agg(id ORDER BY name) AS ids FROM integrations)
            INSERT INTO lacework_calls (integration_id, run_id, at, kind, outcome, status, duration_ms)
            SELECT ints.ids[1 + g % ${s.integrations}], NULL,
                   now() - (g::float8 / ${s.calls}) * interval '7 days',
                   CASE WHEN g % 100 = 0 THEN 'token' WHEN g % 10 = 1 THEN 'list' ELSE 'scope' END,
                   o.outcome,
                   CASE o.outcome WHEN 'ok' THEN 200 WHEN 'rate_limited' THEN 429 WHEN 'server_error' THEN 503
                                  WHEN 'not_found' THEN 404 END,
                   40 + g % 460
              FROM generate_series(0, ${s.calls - 1}) g CROSS JOIN ints
              CROSS JOIN LATERAL (SELECT CASE WHEN g % 200 = 5 THEN 'rate_limited' WHEN g % 100 = 7 THEN 'server_error'
                                              WHEN g % 50 = 3 THEN 'not_found' ELSE 'ok' END AS outcome) o`,
    },
    {
      what: 'the request budget log of the last hour',
      sql: `INSERT INTO lacework_requests (integration_id, sent_at)
            SELECT i.id, now() - (g::float8 / 300) * interval '1 hour'
              FROM integrations i CROSS JOIN generate_series(0, 299) g
             WHERE i.enabled`,
    },
  ];
}

const TABLES = [
  'destinations',
  'integrations',
  'sync_runs',
  'alerts',
  'alert_versions',
  'deliveries',
  'delivery_attempts',
  'lacework_calls',
  'lacework_requests',
];

function log(message: string): void {
  process.stdout.write(`[seed] ${message}\n`);
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL ?? DEFAULT_BENCH_DATABASE_URL;
  const size = sizeFromEnv(process.env);
  const startedAt = Date.now();
  await ensureDatabase(url);
  await migrate(url);
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`SET synchronous_commit = off`);
    await client.query(`SET maintenance_work_mem = '512MB'`);
    await client.query(`SET work_mem = '128MB'`);
    for (const step of seedStatements(size)) {
      const stepStartedAt = Date.now();
      const result = await client.query(step.sql);
      log(
        `${step.what}: ${result.rowCount ?? 0} rows in ${((Date.now() - stepStartedAt) / 1000).toFixed(1)} s`,
      );
    }
    const vacuumStartedAt = Date.now();
    // Index-only scans need the visibility map that VACUUM builds; ANALYZE gives the planner real statistics.
    for (const table of TABLES) {
      await client.query(`VACUUM (ANALYZE) ${table}`);
    }
    log(`vacuum and analyze: ${((Date.now() - vacuumStartedAt) / 1000).toFixed(1)} s`);
    const counts: string[] = [];
    for (const table of TABLES) {
      const [row] = (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows;
      counts.push(`${table} ${row.n}`);
    }
    log(`done in ${((Date.now() - startedAt) / 1000).toFixed(0)} s: ${counts.join(', ')}`);
  } finally {
    await client.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`seed failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
