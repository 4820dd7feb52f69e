import { MigrationInterface, QueryRunner } from 'typeorm';

/** Links each alert version to the run that listed it, so a run (a backfill above all) can report its progress. */
export class SyncRunProgress1795800200000 implements MigrationInterface {
  name = 'SyncRunProgress1795800200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE alert_versions ADD COLUMN sync_run_id uuid REFERENCES sync_runs (id) ON DELETE SET NULL`,
    );
    await q.query(
      `CREATE INDEX alert_versions_run_idx ON alert_versions (sync_run_id) WHERE sync_run_id IS NOT NULL`,
    );
    await q.query(`ALTER TABLE sync_runs ADD COLUMN chunks_total integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE sync_runs ADD COLUMN chunks_done integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE sync_runs ADD COLUMN pages_listed integer NOT NULL DEFAULT 0`);
    await q.query(`CREATE INDEX sync_runs_stale_idx ON sync_runs (heartbeat_at) WHERE status = 'running'`);
    await q.query(`CREATE INDEX alerts_state_idx ON alerts (integration_id, state)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX alerts_state_idx`);
    await q.query(`DROP INDEX sync_runs_stale_idx`);
    await q.query(
      `ALTER TABLE sync_runs DROP COLUMN pages_listed, DROP COLUMN chunks_done, DROP COLUMN chunks_total`,
    );
    await q.query(`ALTER TABLE alert_versions DROP COLUMN sync_run_id`);
  }
}
