import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Counts the attempts of an alert version that failed outside its scopes (assembling, storing), so a version that
 * can never be completed ends `failed` with its reason instead of being claimed, and paid for, for ever.
 */
export class EnrichmentFailures1795800800000 implements MigrationInterface {
  name = 'EnrichmentFailures1795800800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE alert_versions ADD COLUMN failed_attempts integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE alert_versions ADD COLUMN last_error text`);
    await q.query(
      `CREATE INDEX alert_versions_failed_idx ON alert_versions (integration_id) WHERE state = 'failed'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX alert_versions_failed_idx`);
    await q.query(`ALTER TABLE alert_versions DROP COLUMN last_error, DROP COLUMN failed_attempts`);
  }
}
