import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryFailedError } from 'typeorm';
import { UNIQUE_VIOLATION } from '../common/pg-error-codes';
import { ConflictError } from '../common/domain.errors';
import { CursorKey } from '../common/pagination';
import { rowsOf } from '../database/query-result';
import { OPEN_STATES, statesThatMayBecome } from './delivery-state';
import { type CircuitBreakerState, closedCircuit } from './circuit-breaker';
import { HELD_PAUSE_SQL, isHeldPause } from './destination-pause';
import type { DestinationFormat, DestinationKind } from './senders/destination-sender';

export interface DestinationRow {
  id: string;
  name: string;
  kind: DestinationKind;
  format: DestinationFormat;
  url: string;
  /** The kind's settings that may be shown. */
  settings: Record<string, unknown>;
  /** The kind's write-only values, sealed as one JSON object. */
  credentials_sealed: string | null;
  credential_names: string[];
  batch_max_events: number;
  batch_max_bytes: number;
  /** Webhook only. */
  signing_secret_sealed: string | null;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
  headers_sealed: string | null;
  header_names: string[];
  enabled: boolean;
  circuit: CircuitBreakerState;
  paused_reason: string | null;
  last_success_at: Date | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

export type DestinationWrite = Pick<
  DestinationRow,
  | 'name'
  | 'kind'
  | 'format'
  | 'url'
  | 'settings'
  | 'credentials_sealed'
  | 'credential_names'
  | 'batch_max_events'
  | 'batch_max_bytes'
  | 'signing_secret_sealed'
  | 'previous_secret_sealed'
  | 'previous_secret_expires_at'
  | 'headers_sealed'
  | 'header_names'
  | 'enabled'
>;

const CLOSED = JSON.stringify(closedCircuit());

/** Delivery destinations. Deleted ones keep their row so delivery history still names them. */
@Injectable()
export class DestinationRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(id: string, d: DestinationWrite): Promise<DestinationRow> {
    try {
      const [row]: DestinationRow[] = await this.dataSource.query(
        `INSERT INTO destinations (id, name, url, signing_secret_sealed, headers_sealed, header_names, enabled, kind,
                                   format, settings, credentials_sealed, credential_names, batch_max_events,
                                   batch_max_bytes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14) RETURNING *`,
        [
          id,
          d.name,
          d.url,
          d.signing_secret_sealed,
          d.headers_sealed,
          d.header_names,
          d.enabled,
          d.kind,
          d.format,
          JSON.stringify(d.settings),
          d.credentials_sealed,
          d.credential_names,
          d.batch_max_events,
          d.batch_max_bytes,
        ],
      );
      return row;
    } catch (error) {
      throw nameConflict(error, d.name);
    }
  }

  /** Writes the fields; turning `enabled` on also closes the circuit (the operator resumes by hand). */
  async update(id: string, d: DestinationWrite, resume: boolean): Promise<DestinationRow> {
    try {
      const [row]: DestinationRow[] = rowsOf(
        await this.dataSource.query(
          `UPDATE destinations SET name = $2, url = $3, signing_secret_sealed = $4, previous_secret_sealed = $5,
                  previous_secret_expires_at = $6, headers_sealed = $7, header_names = $8, enabled = $9,
                  format = $12, settings = $13::jsonb, credentials_sealed = $14, credential_names = $15,
                  batch_max_events = $16, batch_max_bytes = $17,
                  paused_reason = CASE WHEN $10 THEN NULL ELSE paused_reason END,
                  circuit = CASE WHEN $10 THEN $11::jsonb ELSE circuit END,
                  updated_at = now()
            WHERE id = $1 AND deleted_at IS NULL RETURNING *`,
          [
            id,
            d.name,
            d.url,
            d.signing_secret_sealed,
            d.previous_secret_sealed,
            d.previous_secret_expires_at,
            d.headers_sealed,
            d.header_names,
            d.enabled,
            resume,
            CLOSED,
            d.format,
            JSON.stringify(d.settings),
            d.credentials_sealed,
            d.credential_names,
            d.batch_max_events,
            d.batch_max_bytes,
          ],
        ),
      );
      return row;
    } catch (error) {
      throw nameConflict(error, d.name);
    }
  }

  async find(id: string): Promise<DestinationRow | null> {
    const rows: DestinationRow[] = await this.dataSource.query(
      `SELECT * FROM destinations WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
    return rows[0] ?? null;
  }

  async list(limit: number, after: CursorKey | null): Promise<DestinationRow[]> {
    return this.dataSource.query(
      `SELECT * FROM destinations
        WHERE deleted_at IS NULL
          AND ($2::text IS NULL OR (date_trunc('milliseconds', created_at), id) > ($2::timestamptz, $3::uuid))
        ORDER BY date_trunc('milliseconds', created_at), id
        LIMIT $1`,
      [limit, after?.[0] ?? null, after?.[1] ?? null],
    );
  }

  /** Enabled destinations, for the delivery worker. */
  async listEnabled(): Promise<DestinationRow[]> {
    return this.dataSource.query(`SELECT * FROM destinations WHERE deleted_at IS NULL AND enabled`);
  }

  async usedBy(id: string): Promise<string[]> {
    const rows: { name: string }[] = await this.dataSource.query(
      `SELECT name FROM integrations WHERE $1 = ANY(destination_ids) AND deleted_at IS NULL ORDER BY name`,
      [id],
    );
    return rows.map((r) => r.name);
  }

  /**
   * Hides a destination. Its undelivered deliveries follow their integration's first destination, unless the same
   * alert version already has a delivery to one of the integration's destinations (fan-out): those are superseded,
   * so no destination gets a version twice.
   */
  async softDelete(id: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await m.query(`UPDATE destinations SET deleted_at = now(), enabled = false WHERE id = $1`, [id]);
      await m.query(
        `UPDATE deliveries d
            SET state = 'superseded', updated_at = now(),
                last_error = 'its destination was deleted; the version goes to the integration''s destinations'
           FROM integrations i
          WHERE d.destination_id = $1 AND d.state = ANY($2::varchar[]) AND i.id = d.integration_id
            AND EXISTS (SELECT 1 FROM deliveries s
                         WHERE s.alert_version_id = d.alert_version_id AND s.id <> d.id
                           AND s.destination_id = ANY(i.destination_ids))`,
        [id, statesThatMayBecome('superseded')],
      );
      await m.query(
        `UPDATE deliveries SET destination_id = NULL WHERE destination_id = $1 AND state = ANY($2::varchar[])`,
        [id, OPEN_STATES],
      );
    });
  }

  /**
   * Opens the circuit (pauses the destination) with a reason the dashboard shows. A held pause (gone, refused) is
   * only ever replaced by another held one: a replica whose breaker trips on requests that were still out must not
   * turn it into a failing pause that gets probed.
   */
  async pause(id: string, reason: string, circuit: CircuitBreakerState): Promise<void> {
    await this.dataSource.query(
      `UPDATE destinations SET paused_reason = $2, circuit = $3::jsonb, updated_at = now()
        WHERE id = $1 AND ($4::boolean OR NOT ${HELD_PAUSE_SQL})`,
      [id, reason, JSON.stringify(circuit), isHeldPause(reason)],
    );
  }

  /** Closes the circuit after a successful probe; a held pause set meanwhile (by another replica) stays. */
  async closeCircuit(id: string, circuit: CircuitBreakerState): Promise<void> {
    await this.dataSource.query(
      `UPDATE destinations SET paused_reason = NULL, circuit = $2::jsonb, updated_at = now()
        WHERE id = $1 AND NOT ${HELD_PAUSE_SQL}`,
      [id, JSON.stringify(circuit)],
    );
  }

  /**
   * Stores the breaker of a probe let out (see `beginProbe`) if the stored one is still the one the decision was
   * taken from, so exactly one worker across replicas sends the probe.
   */
  async claimProbe(id: string, from: CircuitBreakerState, to: CircuitBreakerState): Promise<boolean> {
    const rows: unknown[] = rowsOf(
      await this.dataSource.query(
        `UPDATE destinations SET circuit = $3::jsonb
          WHERE id = $1 AND paused_reason IS NOT NULL AND circuit = $2::jsonb
          RETURNING 1`,
        [id, JSON.stringify(from), JSON.stringify(to)],
      ),
    );
    return rows.length > 0;
  }

  async recordOutcome(id: string, ok: boolean, error: string | null): Promise<void> {
    if (ok) {
      await this.dataSource.query(
        `UPDATE destinations SET last_success_at = now()
          WHERE id = $1 AND (last_success_at IS NULL OR last_success_at < now() - interval '1 second')`,
        [id],
      );
    } else {
      await this.dataSource.query(
        `UPDATE destinations SET last_error = $2 WHERE id = $1 AND last_error IS DISTINCT FROM $2`,
        [id, error],
      );
    }
  }

  async exists(id: string): Promise<boolean> {
    return (await this.find(id)) !== null;
  }
}

function nameConflict(error: unknown, name: string): unknown {
  if (
    error instanceof QueryFailedError &&
    (error.driverError as { code?: string }).code === UNIQUE_VIOLATION
  ) {
    return new ConflictError(`name: a destination named "${name}" already exists`);
  }
  return error;
}
