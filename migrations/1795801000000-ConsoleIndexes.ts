import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes behind the console's destination figures (24 h success rate, oldest undelivered, dead count), its
 * delivery-failure chart and the replay preview, so each reads only the rows it counts.
 */
export class ConsoleIndexes1795801000000 implements MigrationInterface {
  name = 'ConsoleIndexes1795801000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX delivery_attempts_at_idx ON delivery_attempts (attempted_at) INCLUDE (delivery_id, status_code)`,
    );
    await q.query(
      `CREATE INDEX deliveries_destination_open_idx ON deliveries (destination_id, created_at)
        WHERE state IN ('pending', 'failed')`,
    );
    await q.query(
      `CREATE INDEX deliveries_destination_dead_idx ON deliveries (destination_id, created_at) WHERE state = 'dead'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const index of [
      'deliveries_destination_dead_idx',
      'deliveries_destination_open_idx',
      'delivery_attempts_at_idx',
    ]) {
      await q.query(`DROP INDEX IF EXISTS ${index}`);
    }
  }
}
