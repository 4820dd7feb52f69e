import { Client } from 'pg';
import { RETENTION_BATCH_SIZE, RetentionPruner } from '../src/retention/retention.pruner';
import { FakeLacework } from './fakes/fake-lacework';
import { createIntegration, KEY } from './setup/sync-helpers';
import { startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { waitFor } from './setup/wait';

const RETENTION_ENV = {
  RETENTION_LACEWORK_CALLS_DAYS: '30',
  RETENTION_DELIVERY_ATTEMPTS_DAYS: '10',
  RETENTION_SYNC_RUNS_DAYS: '20',
};

/** Lacework calls, delivery attempts and sync runs are pruned after their ages; alerts and documents stay. */
describe('retention', () => {
  let db: TestDatabase;
  let fake: FakeLacework;
  let integrationA: string;
  let integrationB: string;
  let deliveryId: string;

  const count = async (sql: string, params: unknown[] = []): Promise<number> =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params))[0].n;

  /** Old and young rows in each pruned table, and the alert, version and delivery they hang off. */
  async function seed(): Promise<void> {
    await db.query(
      `INSERT INTO lacework_calls (integration_id, at, kind, outcome, duration_ms)
       SELECT $1, now() - interval '40 days' + g * interval '1 second', 'scope', 'ok', 5
         FROM generate_series(1, 1200) g`,
      [integrationA],
    );
    await db.query(
      `INSERT INTO lacework_calls (integration_id, at, kind, outcome, duration_ms)
       SELECT $1, now() - interval '20 days', 'list', 'ok', 5 FROM generate_series(1, 7) g`,
      [integrationA],
    );
    for (const [integrationId, runs] of [
      [integrationA, 1100],
      [integrationB, 5],
    ] as const) {
      await db.query(
        `INSERT INTO sync_runs (integration_id, trigger, status, started_at, finished_at, window_start, window_end)
         SELECT $1, 'schedule', 'succeeded', now() - interval '30 days' + g * interval '1 minute',
                now() - interval '30 days' + g * interval '1 minute', now(), now()
           FROM generate_series(1, $2::int) g`,
        [integrationId, runs],
      );
    }
    // Integration A's three newest finished runs are young; B has only old ones.
    await db.query(
      `INSERT INTO sync_runs (integration_id, trigger, status, started_at, finished_at, window_start, window_end)
       SELECT $1, 'schedule', 'failed', now() - g * interval '1 hour', now() - g * interval '1 hour', now(), now()
         FROM generate_series(1, 3) g`,
      [integrationA],
    );
    await db.query(
      `INSERT INTO sync_runs (integration_id, trigger, status, started_at, heartbeat_at, window_start, window_end)
       VALUES ($1, 'backfill', 'running', now() - interval '60 days', now(), now(), now())`,
      [integrationA],
    );
    const [version] = await db.query<{ id: string; alert_row_id: string }>(
      `WITH a AS (
         INSERT INTO alerts (integration_id, alert_id, current_version, list_hash, severity, severity_rank, status,
                             alert_type, alert_name, start_time, state)
         VALUES ($1, '42', 1, repeat('a', 64), 'High', 2, 'Open', 'T', 'N', now() - interval '60 days', 'complete')
         RETURNING id, integration_id)
       INSERT INTO alert_versions (alert_row_id, integration_id, alert_id, version, list_record, list_hash,
                                   severity_rank, start_time, state, document, sync_run_id)
       SELECT a.id, a.integration_id, '42', 1, '{}', repeat('a', 64), 2, now() - interval '60 days', 'complete',
              '{"alertId":42}',
              (SELECT id FROM sync_runs WHERE integration_id = $1 AND status = 'succeeded' ORDER BY started_at LIMIT 1)
         FROM a RETURNING id, alert_row_id`,
      [integrationA],
    );
    const [delivery] = await db.query<{ id: string }>(
      `INSERT INTO deliveries (alert_version_id, alert_row_id, integration_id, alert_id, version, severity_rank,
                               webhook_id, state, created_at)
       VALUES ($1, $2, $3, '42', 1, 2, 'lw_x_42_v1', 'dead', now() - interval '60 days') RETURNING id`,
      [version.id, version.alert_row_id, integrationA],
    );
    deliveryId = delivery.id;
    await db.query(
      `INSERT INTO delivery_attempts (delivery_id, attempted_at, status_code, latency_ms)
       SELECT $1, now() - interval '15 days' + g * interval '1 second', 500, 3 FROM generate_series(1, 1300) g`,
      [deliveryId],
    );
    await db.query(
      `INSERT INTO delivery_attempts (delivery_id, attempted_at, status_code, latency_ms)
       SELECT $1, now() - interval '2 days', 500, 3 FROM generate_series(1, 4) g`,
      [deliveryId],
    );
  }

  async function expectPruned(): Promise<void> {
    expect(await count(`lacework_calls WHERE integration_id = $1`, [integrationA])).toBe(7);
    expect(await count(`delivery_attempts WHERE delivery_id = $1`, [deliveryId])).toBe(4);
    const runs = await db.query<{ integration_id: string; status: string; n: number }>(
      `SELECT integration_id, status, count(*)::int AS n FROM sync_runs WHERE integration_id IN ($1, $2)
        GROUP BY integration_id, status ORDER BY integration_id = $1 DESC, status`,
      [integrationA, integrationB],
    );
    expect(runs).toEqual([
      { integration_id: integrationA, status: 'failed', n: 3 },
      { integration_id: integrationA, status: 'running', n: 1 },
      { integration_id: integrationB, status: 'succeeded', n: 3 },
    ]);
    // Alerts, their versions and documents, and deliveries are kept; a version only loses its link to the run.
    const [kept] = await db.query<{ document: string; sync_run_id: string | null }>(
      `SELECT v.document, v.sync_run_id FROM alert_versions v WHERE v.integration_id = $1`,
      [integrationA],
    );
    expect(kept).toEqual({ document: '{"alertId":42}', sync_run_id: null });
    expect(await count(`alerts WHERE integration_id = $1`, [integrationA])).toBe(1);
    expect(await count(`deliveries WHERE id = $1`, [deliveryId])).toBe(1);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await FakeLacework.start();
    fake.addKey(KEY);
  });

  afterAll(async () => {
    await fake?.close();
    await db?.drop();
  });

  it('prunes in small batches that skip rows another transaction holds, and keeps what is young', async () => {
    const app: TestApp = await startTestApp(db.url, { ...RETENTION_ENV, POLLING_ENABLED: 'false' });
    const holder = new Client({ connectionString: db.url });
    try {
      integrationA = await createIntegration(app, fake);
      integrationB = await createIntegration(app, fake);
      await db.query(`UPDATE integrations SET enabled = false`);
      await seed();
      await holder.connect();
      await holder.query('BEGIN');
      const [held] = (
        await holder.query<{ id: string }>(
          `SELECT id FROM lacework_calls WHERE at < now() - interval '30 days' ORDER BY at LIMIT 1 FOR UPDATE`,
        )
      ).rows;

      const pruner = app.app.get(RetentionPruner);
      const startedAt = Date.now();
      const results = await pruner.prune();
      // A held row is skipped, not waited for.
      expect(Date.now() - startedAt).toBeLessThan(20_000);
      expect(results).toEqual([
        { table: 'lacework_calls', deleted: 1199, batches: 3 },
        { table: 'delivery_attempts', deleted: 1300, batches: 3 },
        { table: 'sync_runs', deleted: 1102, batches: 3 },
      ]);
      expect(RETENTION_BATCH_SIZE).toBeLessThan(1000);
      expect(await count(`lacework_calls WHERE id = $1`, [held.id])).toBe(1);

      await holder.query('COMMIT');
      expect((await pruner.prune())[0]).toEqual({ table: 'lacework_calls', deleted: 1, batches: 1 });
      await expectPruned();
    } finally {
      await holder.end().catch(() => undefined);
      await app.close();
    }
  }, 60_000);

  it('is run by the scheduler', async () => {
    for (const table of ['sync_runs', 'lacework_calls', 'alerts']) {
      await db.query(`DELETE FROM ${table}`);
    }
    await seed();
    const app = await startTestApp(db.url, {
      ...RETENTION_ENV,
      SCHEDULER_ENABLED: 'true',
      POLLING_ENABLED: 'false',
      SCHEDULER_TICK_MS: '50',
    });
    try {
      await waitFor(
        async () => (await count(`delivery_attempts WHERE delivery_id = $1`, [deliveryId])) === 4,
        30_000,
        'the scheduler to prune',
      );
      await waitFor(
        async () => (await count(`sync_runs WHERE integration_id = $1`, [integrationA])) === 4,
        30_000,
        'the scheduler to prune runs',
      );
      await expectPruned();
    } finally {
      await app.close();
    }
  }, 60_000);
});
