import { MigrationInterface, QueryRunner } from 'typeorm';

/** Integrations, sync history, alerts with their versions and scopes, destinations and the delivery outbox. */
export class InitialSchema1795800000000 implements MigrationInterface {
  name = 'InitialSchema1795800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE destinations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(100) NOT NULL,
        url text NOT NULL,
        signing_secret_sealed text NOT NULL,
        previous_secret_sealed text,
        previous_secret_expires_at timestamptz,
        headers_sealed text,
        header_names text[] NOT NULL DEFAULT '{}',
        enabled boolean NOT NULL DEFAULT true,
        circuit jsonb NOT NULL DEFAULT '{"state":"closed","openedAtMs":null,"recent":[]}',
        paused_reason text,
        last_success_at timestamptz,
        last_error text,
        deleted_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE UNIQUE INDEX destinations_name_key ON destinations (lower(name)) WHERE deleted_at IS NULL`,
    );

    await q.query(`
      CREATE TABLE integrations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(100) NOT NULL,
        organization_url text NOT NULL,
        account text NOT NULL,
        key_id varchar(128) NOT NULL,
        secret_sealed text NOT NULL,
        secret_hint varchar(4) NOT NULL,
        sub_account varchar(128),
        poll_interval_seconds integer NOT NULL DEFAULT 300,
        initial_lookback_hours integer NOT NULL DEFAULT 24,
        requests_per_hour integer NOT NULL DEFAULT 480,
        enabled boolean NOT NULL DEFAULT true,
        min_severity varchar(16),
        include_alert_types text[],
        exclude_alert_types text[],
        destination_id uuid REFERENCES destinations (id),
        sync_cursor timestamptz,
        last_relist_at timestamptz,
        next_poll_at timestamptz NOT NULL DEFAULT now(),
        rate_limited_until timestamptz,
        last_auth_error text,
        deleted_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE UNIQUE INDEX integrations_name_key ON integrations (lower(name)) WHERE deleted_at IS NULL`,
    );
    await q.query(
      `CREATE INDEX integrations_due_idx ON integrations (next_poll_at) WHERE deleted_at IS NULL AND enabled`,
    );

    await q.query(`
      CREATE TABLE sync_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        integration_id uuid NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
        trigger varchar(16) NOT NULL,
        status varchar(16) NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        window_start timestamptz NOT NULL,
        window_end timestamptz NOT NULL,
        progress_at timestamptz,
        relist_from timestamptz,
        alerts_listed integer NOT NULL DEFAULT 0,
        alerts_new integer NOT NULL DEFAULT 0,
        alerts_changed integer NOT NULL DEFAULT 0,
        alerts_unchanged integer NOT NULL DEFAULT 0,
        alerts_filtered integer NOT NULL DEFAULT 0,
        api_calls jsonb NOT NULL DEFAULT '{}',
        rate_limited integer NOT NULL DEFAULT 0,
        error_class varchar(32),
        error_message text,
        worker_id varchar(200),
        heartbeat_at timestamptz NOT NULL DEFAULT now()
      )`);
    // At most one run in progress per integration, whatever the number of replicas.
    await q.query(
      `CREATE UNIQUE INDEX sync_runs_one_running ON sync_runs (integration_id) WHERE status = 'running'`,
    );
    await q.query(
      `CREATE INDEX sync_runs_integration_idx ON sync_runs (integration_id, started_at DESC, id DESC)`,
    );

    await q.query(`
      CREATE TABLE alerts (
        id bigserial PRIMARY KEY,
        integration_id uuid NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
        alert_id varchar(40) NOT NULL,
        current_version integer NOT NULL,
        list_hash char(64) NOT NULL,
        severity varchar(16) NOT NULL,
        severity_rank smallint NOT NULL,
        status varchar(32) NOT NULL,
        alert_type varchar(200) NOT NULL,
        alert_name text NOT NULL,
        start_time timestamptz NOT NULL,
        end_time timestamptz,
        state varchar(16) NOT NULL,
        failed_scopes text[] NOT NULL DEFAULT '{}',
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (integration_id, alert_id)
      )`);
    await q.query(`CREATE INDEX alerts_listing_idx ON alerts (integration_id, start_time DESC, id DESC)`);
    await q.query(`CREATE INDEX alerts_severity_idx ON alerts (severity, start_time DESC, id DESC)`);
    await q.query(`CREATE INDEX alerts_recent_idx ON alerts (start_time DESC, id DESC)`);

    await q.query(`
      CREATE TABLE alert_versions (
        id bigserial PRIMARY KEY,
        alert_row_id bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
        integration_id uuid NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
        alert_id varchar(40) NOT NULL,
        version integer NOT NULL,
        list_record text NOT NULL,
        list_hash char(64) NOT NULL,
        severity_rank smallint NOT NULL,
        start_time timestamptz NOT NULL,
        backfill boolean NOT NULL DEFAULT false,
        state varchar(16) NOT NULL,
        document text,
        document_hash char(64),
        failed_scopes text[] NOT NULL DEFAULT '{}',
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_owner varchar(200),
        lease_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        UNIQUE (alert_row_id, version)
      )`);
    // The enrichment queue: live before backfill, most severe first, newest first.
    await q.query(`
      CREATE INDEX alert_versions_queue_idx ON alert_versions
        (integration_id, backfill, severity_rank, start_time DESC, id) WHERE state = 'pending'`);

    await q.query(`
      CREATE TABLE alert_scopes (
        alert_version_id bigint NOT NULL REFERENCES alert_versions (id) ON DELETE CASCADE,
        scope varchar(32) NOT NULL,
        outcome varchar(16) NOT NULL,
        data text,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (alert_version_id, scope)
      )`);

    await q.query(`
      CREATE TABLE deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        alert_version_id bigint NOT NULL REFERENCES alert_versions (id) ON DELETE CASCADE,
        alert_row_id bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
        integration_id uuid NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
        destination_id uuid REFERENCES destinations (id),
        alert_id varchar(40) NOT NULL,
        version integer NOT NULL,
        severity_rank smallint NOT NULL,
        webhook_id varchar(200) NOT NULL,
        state varchar(16) NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_owner varchar(200),
        lease_until timestamptz,
        claim_seq integer NOT NULL DEFAULT 0,
        last_status integer,
        last_error text,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE state IN ('pending', 'failed')`,
    );
    await q.query(`CREATE INDEX deliveries_alert_idx ON deliveries (alert_row_id, version)`);
    await q.query(`CREATE INDEX deliveries_listing_idx ON deliveries (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX deliveries_state_idx ON deliveries (state, created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE delivery_attempts (
        id bigserial PRIMARY KEY,
        delivery_id uuid NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
        attempted_at timestamptz NOT NULL DEFAULT now(),
        status_code integer,
        latency_ms integer NOT NULL,
        error text,
        worker_id varchar(200)
      )`);
    await q.query(
      `CREATE INDEX delivery_attempts_delivery_idx ON delivery_attempts (delivery_id, attempted_at)`,
    );

    // One row per Lacework request sent: the per-key budget shared by every replica.
    await q.query(`
      CREATE TABLE lacework_requests (
        id bigserial PRIMARY KEY,
        integration_id uuid NOT NULL,
        sent_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX lacework_requests_window_idx ON lacework_requests (integration_id, sent_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'lacework_requests',
      'delivery_attempts',
      'deliveries',
      'alert_scopes',
      'alert_versions',
      'alerts',
      'sync_runs',
      'integrations',
      'destinations',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
