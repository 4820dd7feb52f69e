import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lacework's webhook alert channel as a trigger: one sealed hook token per integration with the last hint received
 * and when the next hint-triggered poll may run (coalescing); the alert ids hinted, so that their versions go to
 * the head of the enrichment queue once listed (`alert_versions.hinted_at`).
 */
export class LaceworkHooks1795801100001 implements MigrationInterface {
  name = 'LaceworkHooks1795801100001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE lacework_hooks (
        integration_id uuid PRIMARY KEY REFERENCES integrations (id) ON DELETE CASCADE,
        token_sealed text NOT NULL,
        token_created_at timestamptz NOT NULL DEFAULT now(),
        hints_received bigint NOT NULL DEFAULT 0,
        last_hint_at timestamptz,
        last_hint_event_id text,
        last_hint_severity text,
        last_hint_test boolean,
        hint_poll_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE alert_hints (
        integration_id uuid NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
        alert_id text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        severity text,
        PRIMARY KEY (integration_id, alert_id)
      )`);
    await q.query(`CREATE INDEX alert_hints_received_idx ON alert_hints (received_at)`);
    await q.query(`ALTER TABLE alert_versions ADD COLUMN hinted_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE alert_versions DROP COLUMN hinted_at`);
    await q.query(`DROP TABLE alert_hints`);
    await q.query(`DROP TABLE lacework_hooks`);
  }
}
