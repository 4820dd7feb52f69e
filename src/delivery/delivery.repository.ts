import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CursorKey } from '../common/pagination';
import { rowsOf } from '../database/query-result';
import { SEVERITY_ORDER } from '../enrichment/severity';
import { type DeliveryProgress, type DeliveryState, OPEN_STATES } from './delivery-state';

/** A claimed delivery with what sending it needs. */
export interface ClaimedDelivery {
  id: string;
  destination_id: string;
  integration_id: string;
  alert_id: string;
  version: number;
  webhook_id: string;
  state: DeliveryState;
  attempts: number;
  lease_owner: string;
  document: string;
  organization_url: string;
  sub_account: string | null;
  severity_rank: number;
  /** The alert's startTime. */
  start_time: Date;
  last_error: string | null;
}

/** How many more deliveries one destination may take in this claim. */
export interface DestinationSlots {
  destinationId: string;
  free: number;
}

export interface DeliveryRow {
  id: string;
  alert_version_id: string;
  alert_row_id: string;
  integration_id: string;
  destination_id: string | null;
  alert_id: string;
  version: number;
  webhook_id: string;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: Date;
  last_status: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface AttemptRow {
  attempted_at: Date;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
}

export interface DeliveryFilter {
  state: DeliveryState | null;
  integrationId: string | null;
  destinationId: string | null;
}

/** One delivery's result in a batch: what the state machine made of its outcome. */
export interface BatchItemRecord {
  id: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: Date | null;
  error: string | null;
  /** False for an outcome that was not an attempt (never sent, destination paused): no attempt row is written. */
  attempted: boolean;
}

export interface AttemptRecord {
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: Date | null;
  status: number | null;
  error: string | null;
  latencyMs: number;
  workerId: string;
}

/** The outbox of deliveries, claimed by workers with a lease and written back only while the claim holds. */
// What a replay takes: a destination's deliveries in a state, created in a range, unless a newer version is on its way
// to that destination (or to none yet: a waiting one may still be routed there).
const REPLAYABLE = `destination_id = $1 AND state = $2 AND created_at >= $3 AND ($4::timestamptz IS NULL OR created_at < $4)
  AND NOT EXISTS (SELECT 1 FROM deliveries n WHERE n.alert_row_id = deliveries.alert_row_id
                   AND n.version > deliveries.version AND n.state = ANY($5::varchar[])
                   AND (n.destination_id = deliveries.destination_id OR n.destination_id IS NULL))`;

/**
 * A claimable delivery `d` (of integration `i`, for destination `s.destination`): open and due, not leased, and no
 * earlier version of its alert open or still out at that destination (versions arrive in order).
 */
const DUE_AND_FIRST_IN_LINE = `d.state = ANY($7::varchar[]) AND d.next_attempt_at <= now()
  AND (d.lease_until IS NULL OR d.lease_until < now())
  AND NOT EXISTS (SELECT 1 FROM deliveries o
                   WHERE o.alert_row_id = d.alert_row_id AND o.version < d.version
                     AND COALESCE(o.destination_id, i.destination_id) = s.destination
                     AND (o.state = ANY($7::varchar[]) OR o.lease_until > now()))`;

/** Severity ranks run from 1 (Critical) to this (anything after Info). */
const LOWEST_SEVERITY_RANK = SEVERITY_ORDER.length + 1;

@Injectable()
export class DeliveryRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Claims due deliveries, most severe first, at most `limit` in all and at most each destination's free slots from
   * that destination. A delivery waits while an earlier version of its alert is open or still out (its lease holds),
   * so versions arrive in order. Deliveries without a destination take their integration's current one.
   */
  async claimDue(
    slots: readonly DestinationSlots[],
    limit: number,
    leaseOwner: string,
    leaseSeconds: number,
    probe = false,
  ): Promise<ClaimedDelivery[]> {
    const open = slots.filter((s) => s.free > 0);
    if (open.length === 0 || limit <= 0) {
      return [];
    }
    return rowsOf<ClaimedDelivery>(
      await this.dataSource.query(
        `WITH slots AS (
           SELECT u.destination, u.free FROM unnest($1::uuid[], $6::int[]) AS u(destination, free)
            WHERE EXISTS (SELECT 1 FROM destinations t
                           WHERE t.id = u.destination AND t.enabled AND t.deleted_at IS NULL
                             AND (t.paused_reason IS NULL OR $5::boolean))),
         due AS (
           SELECT c.id, c.destination FROM slots s, LATERAL (
             SELECT w.id, s.destination, w.severity_rank, w.next_attempt_at FROM (
               -- Routed deliveries: one walk of deliveries_claim_idx per severity, each stopping at the free slots.
               SELECT r.* FROM generate_series(1, $8::int) AS k(rank), LATERAL (
                 SELECT d.id, d.severity_rank, d.next_attempt_at
                   FROM deliveries d JOIN integrations i ON i.id = d.integration_id
                  WHERE d.destination_id = s.destination AND d.severity_rank = k.rank
                    AND ${DUE_AND_FIRST_IN_LINE}
                  ORDER BY d.next_attempt_at
                  LIMIT s.free
                  FOR UPDATE OF d SKIP LOCKED) r
               UNION ALL
               -- Deliveries waiting for a destination take their integration's current one.
               SELECT u.* FROM (
                 SELECT d.id, d.severity_rank, d.next_attempt_at
                   FROM deliveries d JOIN integrations i ON i.id = d.integration_id
                  WHERE d.destination_id IS NULL AND i.destination_id = s.destination
                    AND ${DUE_AND_FIRST_IN_LINE}
                  ORDER BY d.severity_rank, d.next_attempt_at
                  LIMIT s.free
                  FOR UPDATE OF d SKIP LOCKED) u
             ) w
             ORDER BY w.severity_rank, w.next_attempt_at
             LIMIT s.free) c
           ORDER BY c.severity_rank, c.next_attempt_at
           LIMIT $2)
         UPDATE deliveries x
            SET lease_owner = $3, lease_until = now() + $4 * interval '1 second', claim_seq = x.claim_seq + 1,
                destination_id = due.destination
           FROM due, alert_versions v, integrations i
          WHERE x.id = due.id AND v.id = x.alert_version_id AND i.id = x.integration_id
         RETURNING x.id, x.destination_id, x.integration_id, x.alert_id, x.version, x.webhook_id, x.state, x.attempts,
                   x.lease_owner, v.document, i.organization_url, i.sub_account, x.severity_rank, v.start_time,
                   x.last_error`,
        [
          open.map((s) => s.destinationId),
          limit,
          leaseOwner,
          leaseSeconds,
          probe,
          open.map((s) => s.free),
          OPEN_STATES,
          LOWEST_SEVERITY_RANK,
        ],
      ),
    );
  }

  /** Writes an attempt's result if the claim still holds; the attempt itself is always logged. */
  async recordAttempt(claimed: ClaimedDelivery, result: AttemptRecord): Promise<boolean> {
    // One statement: log the attempt, write the result while the claim holds, and release the lease either way.
    const rows: { recorded: boolean }[] = await this.dataSource.query(
      `WITH attempt AS (
         INSERT INTO delivery_attempts (delivery_id, status_code, latency_ms, error, worker_id)
         VALUES ($1, $6, $8, $7, $9) RETURNING 1),
       recorded AS (
         UPDATE deliveries SET state = $3::varchar, attempts = $4,
                next_attempt_at = COALESCE($5::timestamptz, next_attempt_at), last_status = $6, last_error = $7,
                lease_owner = NULL, lease_until = NULL,
                delivered_at = CASE WHEN $3::varchar = 'delivered' THEN now() ELSE delivered_at END, updated_at = now()
          WHERE id = $1 AND lease_owner = $2 AND state = ANY($10::varchar[])
         RETURNING 1),
       released AS (
         UPDATE deliveries SET lease_owner = NULL, lease_until = NULL
          WHERE id = $1 AND lease_owner = $2 AND NOT EXISTS (SELECT 1 FROM recorded)
         RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM recorded) AS recorded,
              (SELECT count(*) FROM attempt) + (SELECT count(*) FROM released) AS touched`,
      [
        claimed.id,
        claimed.lease_owner,
        result.state,
        result.attempts,
        result.nextAttemptAt,
        result.status,
        result.error,
        result.latencyMs,
        result.workerId,
        OPEN_STATES,
      ],
    );
    return rows[0]?.recorded === true;
  }

  /**
   * Writes the results of one batch in one statement: an attempt row for each delivery that was attempted, each
   * result while its claim holds, and every lease released. Returns how many results were written.
   */
  async recordBatch(
    leaseOwner: string,
    items: readonly BatchItemRecord[],
    status: number | null,
    latencyMs: number,
    workerId: string,
  ): Promise<number> {
    if (items.length === 0) {
      return 0;
    }
    const rows: { recorded: number }[] = await this.dataSource.query(
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::int[], $4::timestamptz[], $5::text[], $6::boolean[])
           AS x(id, state, attempts, next_at, error, attempted)),
       attempt AS (
         INSERT INTO delivery_attempts (delivery_id, status_code, latency_ms, error, worker_id)
         SELECT id, $7, $8, error, $9 FROM input WHERE attempted RETURNING 1),
       recorded AS (
         UPDATE deliveries d SET state = x.state, attempts = x.attempts,
                next_attempt_at = COALESCE(x.next_at, d.next_attempt_at),
                last_status = CASE WHEN x.attempted THEN $7 ELSE d.last_status END, last_error = x.error,
                lease_owner = NULL, lease_until = NULL,
                delivered_at = CASE WHEN x.state = 'delivered' THEN now() ELSE d.delivered_at END, updated_at = now()
           FROM input x
          WHERE d.id = x.id AND d.lease_owner = $10 AND d.state = ANY($11::varchar[])
         RETURNING d.id),
       released AS (
         UPDATE deliveries d SET lease_owner = NULL, lease_until = NULL
          WHERE d.id IN (SELECT id FROM input) AND d.lease_owner = $10 AND d.id NOT IN (SELECT id FROM recorded)
         RETURNING 1)
       SELECT (SELECT count(*) FROM recorded)::int AS recorded,
              (SELECT count(*) FROM attempt) + (SELECT count(*) FROM released) AS touched`,
      [
        items.map((i) => i.id),
        items.map((i) => i.state),
        items.map((i) => i.attempts),
        items.map((i) => i.nextAttemptAt),
        items.map((i) => i.error),
        items.map((i) => i.attempted),
        status,
        latencyMs,
        workerId,
        leaseOwner,
        OPEN_STATES,
      ],
    );
    return rows[0]?.recorded ?? 0;
  }

  /** Gives back claimed deliveries this process will not send now. */
  async releaseIds(ids: readonly string[], leaseOwner: string): Promise<void> {
    if (ids.length > 0) {
      await this.dataSource.query(
        `UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE id = ANY($1::uuid[]) AND lease_owner = $2`,
        [ids, leaseOwner],
      );
    }
  }

  async release(leaseOwners: string[]): Promise<void> {
    if (leaseOwners.length > 0) {
      await this.dataSource.query(
        `UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ANY($1::text[])`,
        [leaseOwners],
      );
    }
  }

  async extendLeases(leaseOwners: string[], leaseSeconds: number): Promise<void> {
    if (leaseOwners.length > 0) {
      await this.dataSource.query(
        `UPDATE deliveries SET lease_until = now() + $2 * interval '1 second' WHERE lease_owner = ANY($1::text[])`,
        [leaseOwners, leaseSeconds],
      );
    }
  }

  async find(id: string): Promise<DeliveryRow | null> {
    const rows: DeliveryRow[] = await this.dataSource.query(`SELECT * FROM deliveries WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async attemptsOf(id: string): Promise<AttemptRow[]> {
    return this.dataSource.query(
      `SELECT attempted_at, status_code, latency_ms, error FROM delivery_attempts WHERE delivery_id = $1
        ORDER BY attempted_at, id`,
      [id],
    );
  }

  /** Newest first, keyset-paged on (created_at, id). */
  async list(filter: DeliveryFilter, limit: number, before: CursorKey | null): Promise<DeliveryRow[]> {
    return this.dataSource.query(
      `SELECT * FROM deliveries
        WHERE ($1::text IS NULL OR state = $1)
          AND ($2::uuid IS NULL OR integration_id = $2)
          AND ($3::uuid IS NULL OR destination_id = $3)
          AND ($5::text IS NULL OR (created_at, id) < ($5::timestamptz, $6::uuid))
        ORDER BY created_at DESC, id DESC
        LIMIT $4`,
      [
        filter.state,
        filter.integrationId,
        filter.destinationId,
        limit,
        before?.[0] ?? null,
        before?.[1] ?? null,
      ],
    );
  }

  /**
   * Writes a delivery's move decided by the state machine (`requeue` or `replay`), due now, if it still stands where
   * the decision was taken from; null when it moved meanwhile. Keeps its webhook-id.
   */
  async requeue(id: string, from: DeliveryProgress, to: DeliveryProgress): Promise<DeliveryRow | null> {
    const rows: DeliveryRow[] = rowsOf(
      await this.dataSource.query(
        `UPDATE deliveries SET state = $4, attempts = $5, next_attempt_at = now(), updated_at = now()
          WHERE id = $1 AND state = $2 AND attempts = $3
          RETURNING *`,
        [id, from.state, from.attempts, to.state, to.attempts],
      ),
    );
    return rows[0] ?? null;
  }

  /**
   * Queues again every delivery to a destination in a state within a time range, unless a newer version of its alert
   * is still open; `to` is what the state machine's `replay` makes of that state. Returns how many.
   */
  async replay(
    destinationId: string,
    from: DeliveryState,
    to: DeliveryProgress,
    since: Date,
    until: Date | null,
  ): Promise<number> {
    const rows: unknown[] = rowsOf(
      await this.dataSource.query(
        `UPDATE deliveries SET state = $6, attempts = $7, next_attempt_at = now(), updated_at = now()
          WHERE ${REPLAYABLE} RETURNING 1`,
        [destinationId, from, since, until, OPEN_STATES, to.state, to.attempts],
      ),
    );
    return rows.length;
  }

  /** How many deliveries {@link replay} with the same arguments would queue now. */
  async countReplayable(
    destinationId: string,
    state: 'dead' | 'delivered',
    since: Date,
    until: Date | null,
  ): Promise<number> {
    const rows: { n: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM deliveries WHERE ${REPLAYABLE}`,
      [destinationId, state, since, until, OPEN_STATES],
    );
    return rows[0]?.n ?? 0;
  }

  /** The deliveries (one per destination) of an alert's newest version that has any, newest first. */
  async latestForAlert(alertRowId: string): Promise<DeliveryRow[]> {
    return this.dataSource.query(
      `SELECT * FROM deliveries
        WHERE alert_row_id = $1 AND version = (SELECT max(version) FROM deliveries WHERE alert_row_id = $1)
        ORDER BY created_at DESC, id`,
      [alertRowId],
    );
  }

  async alertExists(alertRowId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM alerts WHERE id = $1`, [alertRowId]);
    return rows.length > 0;
  }
}
