import { MigrationInterface, QueryRunner } from 'typeorm';

/** Every Lacework request attempt with its kind and outcome: sync history, metrics and charts read it. */
export class LaceworkCallLog1795800100000 implements MigrationInterface {
  name = 'LaceworkCallLog1795800100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE lacework_calls (
        id bigserial PRIMARY KEY,
        integration_id uuid NOT NULL,
        run_id uuid,
        at timestamptz NOT NULL,
        kind varchar(16) NOT NULL,
        outcome varchar(32) NOT NULL,
        status integer,
        duration_ms integer NOT NULL
      )`);
    await q.query(`CREATE INDEX lacework_calls_integration_idx ON lacework_calls (integration_id, at)`);
    await q.query(`CREATE INDEX lacework_calls_run_idx ON lacework_calls (run_id) WHERE run_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE lacework_calls`);
  }
}
