import { MigrationInterface, QueryRunner } from 'typeorm';

/** Delivery attempts are pruned by age: an index on their time keeps each small batch from scanning the table. */
export class RetentionIndexes1795800710000 implements MigrationInterface {
  name = 'RetentionIndexes1795800710000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX delivery_attempts_attempted_idx ON delivery_attempts (attempted_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX delivery_attempts_attempted_idx`);
  }
}
