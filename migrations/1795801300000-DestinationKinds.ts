import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Destinations get a kind (webhook, Splunk HEC, Elasticsearch, Sentinel, SecOps, syslog), a format (the document or
 * its OCSF rendering), kind settings, sealed credentials and batch sizes; an integration may deliver to several
 * destinations at once (each alert version gets one delivery per destination).
 */
export class DestinationKinds1795801300000 implements MigrationInterface {
  name = 'DestinationKinds1795801300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE destinations
        ADD COLUMN kind varchar(32) NOT NULL DEFAULT 'webhook',
        ADD COLUMN format varchar(16) NOT NULL DEFAULT 'document',
        ADD COLUMN settings jsonb NOT NULL DEFAULT '{}',
        ADD COLUMN credentials_sealed text,
        ADD COLUMN credential_names text[] NOT NULL DEFAULT '{}',
        ADD COLUMN batch_max_events integer NOT NULL DEFAULT 1,
        ADD COLUMN batch_max_bytes integer NOT NULL DEFAULT 1048576`);
    await q.query(`ALTER TABLE destinations ALTER COLUMN signing_secret_sealed DROP NOT NULL`);
    await q.query(`ALTER TABLE integrations ADD COLUMN destination_ids uuid[] NOT NULL DEFAULT '{}'`);
    await q.query(
      `UPDATE integrations SET destination_ids = ARRAY[destination_id] WHERE destination_id IS NOT NULL`,
    );
    // Versions in order are kept per destination now: the claim looks for older versions to the same destination.
    await q.query(
      `CREATE INDEX deliveries_alert_destination_idx ON deliveries (alert_row_id, destination_id, version)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX deliveries_alert_destination_idx`);
    await q.query(`ALTER TABLE integrations DROP COLUMN destination_ids`);
    await q.query(`
      ALTER TABLE destinations
        DROP COLUMN kind, DROP COLUMN format, DROP COLUMN settings, DROP COLUMN credentials_sealed,
        DROP COLUMN credential_names, DROP COLUMN batch_max_events, DROP COLUMN batch_max_bytes`);
  }
}
