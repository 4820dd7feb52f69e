import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Write-back to Lacework: each close or comment the SOC asks for is stored before it is sent (`alert_actions`), with
 * who asked for it and every attempt to send it with Lacework's answer (`alert_action_attempts`).
 */
export class AlertActions1795801100000 implements MigrationInterface {
  name = 'AlertActions1795801100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE alert_actions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        alert_row_id bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
        integration_id uuid NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
        alert_id text NOT NULL,
        kind varchar(16) NOT NULL CHECK (kind IN ('close', 'comment')),
        reason smallint CHECK (reason BETWEEN 0 AND 5),
        comment text,
        format varchar(16) CHECK (format IN ('plaintext', 'markdown')),
        state varchar(16) NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
        requested_by varchar(16) NOT NULL,
        request_id text,
        idempotency_key text,
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_owner text,
        lease_until timestamptz,
        result_status int,
        result_answer text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await q.query(
      `CREATE UNIQUE INDEX alert_actions_idempotency_idx ON alert_actions (idempotency_key)
        WHERE idempotency_key IS NOT NULL`,
    );
    await q.query(`CREATE INDEX alert_actions_alert_idx ON alert_actions (alert_row_id, created_at)`);
    await q.query(
      `CREATE INDEX alert_actions_due_idx ON alert_actions (next_attempt_at) WHERE state = 'pending'`,
    );
    await q.query(`
      CREATE TABLE alert_action_attempts (
        id bigserial PRIMARY KEY,
        action_id uuid NOT NULL REFERENCES alert_actions (id) ON DELETE CASCADE,
        attempt int NOT NULL,
        worker_id text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        outcome varchar(16),
        status int,
        answer text
      )`);
    await q.query(
      `CREATE INDEX alert_action_attempts_action_idx ON alert_action_attempts (action_id, attempt)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE alert_action_attempts`);
    await q.query(`DROP TABLE alert_actions`);
  }
}
