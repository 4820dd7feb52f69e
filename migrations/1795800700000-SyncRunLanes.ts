import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Live polling and backfills run in separate lanes: one running run per integration and lane, so a long backfill
 * never holds up the live poll. Runs also count the alerts they skipped as older than the integration's horizon.
 */
export class SyncRunLanes1795800700000 implements MigrationInterface {
  name = 'SyncRunLanes1795800700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE sync_runs ADD COLUMN lane varchar(16) NOT NULL
         GENERATED ALWAYS AS (CASE WHEN trigger = 'backfill' THEN 'backfill' ELSE 'live' END) STORED`,
    );
    await q.query(`ALTER TABLE sync_runs ADD COLUMN alerts_before_horizon integer NOT NULL DEFAULT 0`);
    await q.query(`DROP INDEX sync_runs_one_running`);
    await q.query(
      `CREATE UNIQUE INDEX sync_runs_one_running ON sync_runs (integration_id, lane) WHERE status = 'running'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX sync_runs_one_running`);
    await q.query(
      `CREATE UNIQUE INDEX sync_runs_one_running ON sync_runs (integration_id) WHERE status = 'running'`,
    );
    await q.query(`ALTER TABLE sync_runs DROP COLUMN alerts_before_horizon, DROP COLUMN lane`);
  }
}
