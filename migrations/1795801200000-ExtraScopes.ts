import { MigrationInterface, QueryRunner } from 'typeorm';

/** Scopes an integration adds to its documents beyond the six (e.g. ObservationTimeline). */
export class ExtraScopes1795801200000 implements MigrationInterface {
  name = 'ExtraScopes1795801200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE integrations ADD COLUMN extra_scopes text[] NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE integrations DROP COLUMN extra_scopes`);
  }
}
