import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes behind the dashboard, the charts and the metrics scrape, so each reads a few index pages per integration
 * rather than whole tables: partial indexes for the small sets counted (pending, incomplete, dead, rate limited),
 * a covering index for the last 24 hours of alerts by severity.
 */
export class DashboardIndexes1795800400000 implements MigrationInterface {
  name = 'DashboardIndexes1795800400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX sync_runs_success_idx ON sync_runs (integration_id, finished_at DESC) WHERE status = 'succeeded'`,
    );
    await q.query(`CREATE INDEX sync_runs_started_idx ON sync_runs (started_at)`);
    await q.query(
      `CREATE INDEX sync_runs_finished_idx ON sync_runs (finished_at) WHERE finished_at IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX alerts_recent_severity_idx ON alerts (integration_id, start_time) INCLUDE (severity)`,
    );
    await q.query(
      `CREATE INDEX alerts_incomplete_idx ON alerts (integration_id, updated_at) WHERE state = 'incomplete'`,
    );
    await q.query(
      `CREATE INDEX alert_versions_pending_idx ON alert_versions (integration_id, created_at) WHERE state = 'pending'`,
    );
    await q.query(
      `CREATE INDEX deliveries_open_idx ON deliveries (integration_id) WHERE state IN ('pending', 'failed')`,
    );
    await q.query(
      `CREATE INDEX deliveries_failing_idx ON deliveries (destination_id) WHERE state = 'failed'`,
    );
    await q.query(
      `CREATE INDEX deliveries_dead_idx ON deliveries (integration_id, updated_at) WHERE state = 'dead'`,
    );
    await q.query(
      `CREATE INDEX deliveries_delivered_idx ON deliveries (delivered_at) INCLUDE (integration_id)
        WHERE delivered_at IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX lacework_calls_rate_limited_idx ON lacework_calls (integration_id, at) WHERE outcome = 'rate_limited'`,
    );
    await q.query(
      `CREATE INDEX lacework_calls_at_idx ON lacework_calls (at) INCLUDE (integration_id, outcome)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const index of [
      'lacework_calls_at_idx',
      'lacework_calls_rate_limited_idx',
      'deliveries_delivered_idx',
      'deliveries_dead_idx',
      'deliveries_failing_idx',
      'deliveries_open_idx',
      'alert_versions_pending_idx',
      'alerts_incomplete_idx',
      'alerts_recent_severity_idx',
      'sync_runs_finished_idx',
      'sync_runs_started_idx',
      'sync_runs_success_idx',
    ]) {
      await q.query(`DROP INDEX IF EXISTS ${index}`);
    }
  }
}
