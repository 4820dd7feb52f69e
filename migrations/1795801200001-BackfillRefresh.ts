import { MigrationInterface, QueryRunner } from 'typeorm';

/** A backfill may ask to enrich again alerts already stored (e.g. after an integration opted in to an extra scope). */
export class BackfillRefresh1795801200001 implements MigrationInterface {
  name = 'BackfillRefresh1795801200001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sync_runs ADD COLUMN refresh_documents boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sync_runs DROP COLUMN refresh_documents`);
  }
}
