import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The delivery worker's claim walks a destination's open deliveries most severe first, oldest due first. Without an
 * index in that order it sorted every open row of the destination on each claim: with a backlog of 100,000 (a
 * receiver back after an outage) a claim took about 350 ms, and a webhook drained at a few deliveries a second.
 */
export class DeliveryClaimIndex1795801400000 implements MigrationInterface {
  name = 'DeliveryClaimIndex1795801400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX deliveries_claim_idx ON deliveries (destination_id, severity_rank, next_attempt_at)
        WHERE state IN ('pending', 'failed')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS deliveries_claim_idx`);
  }
}
