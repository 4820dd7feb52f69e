import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { KEY_BUDGET_LATERAL } from '../lacework/key-budget-figures.sql';
import type { SyncErrorClass, SyncStatus, SyncTrigger } from '../polling/sync-run.repository';

/** A finished run as the health rules see it. */
export interface RecentRunRow {
  status: Exclude<SyncStatus, 'running'>;
  errorClass: SyncErrorClass | null;
  errorMessage: string | null;
}

/** Everything the dashboard shows about one integration, read in one pass. */
export interface IntegrationStatusRow {
  id: string;
  name: string;
  enabled: boolean;
  sync_cursor: Date | null;
  last_auth_error: string | null;
  requests_per_hour: number;
  last_hint_at: Date | null;
  extra_scopes: string[];
  poll_interval_seconds: number;
  destination_ids: string[];
  db_now: Date;
  run_id: string | null;
  run_trigger: SyncTrigger | null;
  run_status: SyncStatus | null;
  run_started_at: Date | null;
  run_finished_at: Date | null;
  run_alerts_listed: number | null;
  run_alerts_new: number | null;
  run_alerts_changed: number | null;
  run_rate_limited: number | null;
  run_error_class: SyncErrorClass | null;
  run_error_message: string | null;
  last_success_at: Date | null;
  recent_runs: RecentRunRow[];
  enrichment_pending: number;
  enrichment_failed: number;
  oldest_pending_at: Date | null;
  incomplete: number;
  incomplete_last_24h: number;
  delivery_pending: number;
  delivery_dead: number;
  dead_last_24h: number;
  alerts_last_24h: Record<string, number>;
  budget_used: number;
  rate_limited: number;
  /** The pacing row of the integration's key, null before its first request. */
  key_learned_per_window: number | null;
  key_adjusted_at_ms: number | null;
  /** The smallest configured rate among the live integrations on the key. */
  key_shared_cap: number | null;
}

export interface DestinationStatusRow {
  id: string;
  name: string;
  enabled: boolean;
  paused_reason: string | null;
  circuit_state: string | null;
  last_success_at: Date | null;
  last_error: string | null;
  has_failed_deliveries: boolean;
  delivered_recently: boolean;
  attempts_24h: number;
  succeeded_24h: number;
  oldest_undelivered_at: Date | null;
  dead: number;
}

/*
 * One row per active integration. Each figure is a correlated subquery on an index that leads with integration_id,
 * most of them partial (pending, incomplete, dead, rate limited) or covering (alerts of the last 24 hours), so the
 * cost follows the size of those small sets, not of the million alerts or the hundred thousand runs.
 */
const INTEGRATION_STATUS_SQL = `
  SELECT i.id, i.name, i.enabled, i.sync_cursor, i.last_auth_error, i.requests_per_hour, i.extra_scopes, i.poll_interval_seconds,
         i.destination_ids, now() AS db_now,
         (SELECT hk.last_hint_at FROM lacework_hooks hk WHERE hk.integration_id = i.id) AS last_hint_at,
         lr.id AS run_id, lr.trigger AS run_trigger, lr.status AS run_status, lr.started_at AS run_started_at,
         lr.finished_at AS run_finished_at, lr.alerts_listed AS run_alerts_listed, lr.alerts_new AS run_alerts_new,
         lr.alerts_changed AS run_alerts_changed, lr.rate_limited AS run_rate_limited,
         lr.error_class AS run_error_class, lr.error_message AS run_error_message,
         (SELECT s.finished_at FROM sync_runs s
           WHERE s.integration_id = i.id AND s.status = 'succeeded'
           ORDER BY s.finished_at DESC LIMIT 1) AS last_success_at,
         (SELECT COALESCE(jsonb_agg(jsonb_build_object('status', f.status, 'errorClass', f.error_class,
                                                       'errorMessage', f.error_message)
                                    ORDER BY f.started_at DESC, f.id DESC), '[]'::jsonb)
            FROM (SELECT s.id, s.status, s.error_class, s.error_message, s.started_at FROM sync_runs s
                   WHERE s.integration_id = i.id AND s.status <> 'running'
                   ORDER BY s.started_at DESC, s.id DESC LIMIT $3) f) AS recent_runs,
         ep.n AS enrichment_pending, ep.oldest AS oldest_pending_at,
         inc.n AS incomplete, inc.recent AS incomplete_last_24h,
         (SELECT count(*)::int FROM alert_versions v
           WHERE v.integration_id = i.id AND v.state = 'failed') AS enrichment_failed,
         (SELECT count(*)::int FROM deliveries d
           WHERE d.integration_id = i.id AND d.state IN ('pending', 'failed')) AS delivery_pending,
         dd.n AS delivery_dead, dd.recent AS dead_last_24h,
         (SELECT COALESCE(jsonb_object_agg(x.severity, x.n), '{}'::jsonb)
            FROM (SELECT a.severity, count(*)::int AS n FROM alerts a
                   WHERE a.integration_id = i.id AND a.start_time >= now() - interval '24 hours'
                   GROUP BY a.severity) x) AS alerts_last_24h,
         (SELECT count(*)::int FROM lacework_requests r
           WHERE r.integration_id = i.id AND r.sent_at > now() - $2 * interval '1 millisecond') AS budget_used,
         (SELECT count(*)::int FROM lacework_calls c
           WHERE c.integration_id = i.id AND c.outcome = 'rate_limited'
             AND c.at > now() - $2 * interval '1 millisecond') AS rate_limited,
         kb.learned_per_window AS key_learned_per_window, kb.adjusted_at_ms AS key_adjusted_at_ms,
         kb.shared_cap AS key_shared_cap
    FROM integrations i
    LEFT JOIN LATERAL (SELECT s.* FROM sync_runs s WHERE s.integration_id = i.id
                        ORDER BY s.started_at DESC, s.id DESC LIMIT 1) lr ON true
    CROSS JOIN LATERAL (SELECT count(*)::int AS n, min(v.created_at) AS oldest FROM alert_versions v
                         WHERE v.integration_id = i.id AND v.state = 'pending') ep
    CROSS JOIN LATERAL (SELECT count(*)::int AS n,
                               count(*) FILTER (WHERE a.updated_at > now() - interval '24 hours')::int AS recent
                          FROM alerts a WHERE a.integration_id = i.id AND a.state = 'incomplete') inc
    CROSS JOIN LATERAL (SELECT count(*)::int AS n,
                               count(*) FILTER (WHERE d.updated_at > now() - interval '24 hours')::int AS recent
                          FROM deliveries d WHERE d.integration_id = i.id AND d.state = 'dead') dd
    ${KEY_BUDGET_LATERAL}
   WHERE i.deleted_at IS NULL AND ($1::uuid IS NULL OR i.id = $1::uuid)
   ORDER BY i.created_at, i.id`;

/** Reads the dashboard's figures; never writes. */
@Injectable()
export class StatusRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Active integrations with their figures, oldest first; only `integrationId` when given.
   * `budgetWindowMs` is the request budget's rolling window; `recentRuns` how many finished runs to return.
   */
  async integrationStatus(
    integrationId: string | null,
    budgetWindowMs: number,
    recentRuns: number,
  ): Promise<IntegrationStatusRow[]> {
    const rows: IntegrationStatusRow[] = await this.dataSource.query(INTEGRATION_STATUS_SQL, [
      integrationId,
      budgetWindowMs,
      recentRuns,
    ]);
    return rows;
  }

  /**
   * Destinations that are not deleted, oldest first; `ids` restricts them when given. `quietMinutes`: how far back
   * a success counts as recent.
   */
  async destinationStatus(ids: string[] | null, quietMinutes: number): Promise<DestinationStatusRow[]> {
    const rows: DestinationStatusRow[] = await this.dataSource.query(
      `SELECT d.id, d.name, d.enabled, d.paused_reason, d.circuit->>'state' AS circuit_state, d.last_success_at,
              d.last_error,
              EXISTS (SELECT 1 FROM deliveries x WHERE x.destination_id = d.id AND x.state = 'failed')
                AS has_failed_deliveries,
              COALESCE(d.last_success_at > now() - $2 * interval '1 minute', false) AS delivered_recently,
              att.n AS attempts_24h, att.ok AS succeeded_24h,
              (SELECT min(x.created_at) FROM deliveries x
                WHERE x.destination_id = d.id AND x.state IN ('pending', 'failed')) AS oldest_undelivered_at,
              (SELECT count(*)::int FROM deliveries x WHERE x.destination_id = d.id AND x.state = 'dead') AS dead
         FROM destinations d
         CROSS JOIN LATERAL (
           SELECT count(*)::int AS n, count(*) FILTER (WHERE a.status_code BETWEEN 200 AND 299)::int AS ok
             FROM delivery_attempts a
            WHERE a.destination_id = d.id AND a.attempted_at > now() - interval '24 hours') att
        WHERE d.deleted_at IS NULL AND ($1::uuid[] IS NULL OR d.id = ANY($1::uuid[]))
        ORDER BY d.created_at, d.id`,
      [ids, quietMinutes],
    );
    return rows;
  }
}
