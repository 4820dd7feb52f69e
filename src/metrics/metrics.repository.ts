import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { KEY_BUDGET_LATERAL } from '../lacework/key-budget-figures.sql';

export interface IntegrationGaugeRow {
  integration_id: string;
  requests_per_hour: number;
  budget_used: number;
  key_learned_per_window: number | null;
  key_adjusted_at_ms: number | null;
  key_shared_cap: number | null;
  db_now_ms: number;
  enrichment_pending: number;
  delivery_pending: number;
  delivery_dead: number;
}

export interface SeverityCountRow {
  severity: string;
  n: number;
}

export interface FinishedRunRow {
  trigger: string;
  status: string;
  seconds: number;
}

export interface FinishedRuns {
  /** Runs finished up to here were returned; pass it as `after` next time. */
  upTo: Date;
  runs: FinishedRunRow[];
}

/** A row is counted once the transaction that wrote it has surely committed, so no later watermark skips it. */
const COMMIT_GRACE = `interval '10 seconds'`;

/** The figures a Prometheus scrape reads from PostgreSQL, each through an index (see the DashboardIndexes migration). */
@Injectable()
export class MetricsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Per active integration: its request limit, its key's learned rate, requests in the budget window, its backlogs. */
  async integrationGauges(budgetWindowMs: number): Promise<IntegrationGaugeRow[]> {
    const rows: IntegrationGaugeRow[] = await this.dataSource.query(
      `SELECT i.id AS integration_id, i.requests_per_hour, (EXTRACT(EPOCH FROM now()) * 1000)::float8 AS db_now_ms,
              kb.learned_per_window AS key_learned_per_window, kb.adjusted_at_ms AS key_adjusted_at_ms,
              kb.shared_cap AS key_shared_cap,
              (SELECT count(*)::int FROM lacework_requests r
                WHERE r.integration_id = i.id AND r.sent_at > now() - $1 * interval '1 millisecond') AS budget_used,
              (SELECT count(*)::int FROM alert_versions v
                WHERE v.integration_id = i.id AND v.state = 'pending') AS enrichment_pending,
              (SELECT count(*)::int FROM deliveries d
                WHERE d.integration_id = i.id AND d.state IN ('pending', 'failed')) AS delivery_pending,
              (SELECT count(*)::int FROM deliveries d
                WHERE d.integration_id = i.id AND d.state = 'dead') AS delivery_dead
         FROM integrations i
         ${KEY_BUDGET_LATERAL}
        WHERE i.deleted_at IS NULL
        ORDER BY i.created_at, i.id`,
      [budgetWindowMs],
    );
    return rows;
  }

  /** Alerts whose start time is in the last 24 hours, by severity. */
  async alertsLast24hBySeverity(): Promise<SeverityCountRow[]> {
    const rows: SeverityCountRow[] = await this.dataSource.query(
      `SELECT severity, count(*)::int AS n FROM alerts
        WHERE start_time >= now() - interval '24 hours'
        GROUP BY severity`,
    );
    return rows;
  }

  /** The highest alert id now; alerts are counted from there on. */
  async maxAlertId(): Promise<string> {
    const [row]: { id: string }[] = await this.dataSource.query(
      `SELECT COALESCE(max(id), 0)::text AS id FROM alerts`,
    );
    return row.id;
  }

  /**
   * Alerts stored after `afterId`, by severity, up to the highest id below which every alert is old enough to be
   * committed; pass `upToId` as `afterId` next time. Reads only the new rows, through the primary key.
   */
  async alertsStoredAfter(afterId: string): Promise<{ upToId: string; counts: SeverityCountRow[] }> {
    const [row]: { up_to_id: string; counts: SeverityCountRow[] }[] = await this.dataSource.query(
      `WITH bound AS (SELECT now() - ${COMMIT_GRACE} AS t),
            upto AS (SELECT COALESCE(
                       (SELECT min(a.id) - 1 FROM alerts a, bound b WHERE a.id > $1::bigint AND a.first_seen_at > b.t),
                       (SELECT max(a.id) FROM alerts a WHERE a.id > $1::bigint),
                       $1::bigint) AS id)
       SELECT u.id::text AS up_to_id,
              COALESCE((SELECT jsonb_agg(jsonb_build_object('severity', x.severity, 'n', x.n))
                          FROM (SELECT a.severity, count(*)::int AS n FROM alerts a
                                 WHERE a.id > $1::bigint AND a.id <= u.id GROUP BY a.severity) x), '[]'::jsonb) AS counts
         FROM upto u`,
      [afterId],
    );
    return { upToId: row.up_to_id, counts: row.counts };
  }

  /** Runs that finished after `after`, with their durations. */
  async finishedRuns(after: Date): Promise<FinishedRuns> {
    const [row]: { up_to: Date; runs: FinishedRunRow[] }[] = await this.dataSource.query(
      `WITH bound AS (SELECT now() - ${COMMIT_GRACE} AS up_to)
       SELECT b.up_to,
              COALESCE((SELECT jsonb_agg(jsonb_build_object(
                                 'trigger', s.trigger, 'status', s.status,
                                 'seconds', EXTRACT(EPOCH FROM (s.finished_at - s.started_at))::float8))
                          FROM sync_runs s
                         WHERE s.finished_at > $1 AND s.finished_at <= b.up_to), '[]'::jsonb) AS runs
         FROM bound b`,
      [after],
    );
    return { upTo: row.up_to, runs: row.runs };
  }
}
