import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each delivery attempt carries its destination, so a destination's attempts of the last 24 hours (its success rate
 * on the dashboard) are one index range instead of a lookup of every recent attempt's delivery. A trigger fills it
 * from the delivery on insert, so every writer of attempts gets it without knowing.
 */
export class DeliveryAttemptDestination1795801000001 implements MigrationInterface {
  name = 'DeliveryAttemptDestination1795801000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE delivery_attempts ADD COLUMN destination_id uuid`);
    await q.query(`
      UPDATE delivery_attempts a SET destination_id = d.destination_id
        FROM deliveries d WHERE d.id = a.delivery_id AND d.destination_id IS NOT NULL`);
    await q.query(`
      CREATE FUNCTION delivery_attempts_set_destination() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.destination_id IS NULL THEN
          SELECT d.destination_id INTO NEW.destination_id FROM deliveries d WHERE d.id = NEW.delivery_id;
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER delivery_attempts_set_destination BEFORE INSERT ON delivery_attempts
        FOR EACH ROW EXECUTE FUNCTION delivery_attempts_set_destination()`);
    await q.query(
      `CREATE INDEX delivery_attempts_destination_idx ON delivery_attempts (destination_id, attempted_at)
        INCLUDE (status_code)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS delivery_attempts_destination_idx`);
    await q.query(`DROP TRIGGER IF EXISTS delivery_attempts_set_destination ON delivery_attempts`);
    await q.query(`DROP FUNCTION IF EXISTS delivery_attempts_set_destination()`);
    await q.query(`ALTER TABLE delivery_attempts DROP COLUMN IF EXISTS destination_id`);
  }
}
