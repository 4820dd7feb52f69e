import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { TimeseriesBucket, TimeseriesMetric } from './dto/timeseries.query';

export interface TimeseriesRow {
  bucket_start: Date;
  value: number;
}

interface Source {
  table: string;
  at: string;
  value: string;
  where: string;
  /** The row's integration, when the table has no integration_id of its own. */
  integration?: string;
}

// Each source is read through an index on its time column (or on integration_id and time).
const SOURCES: Record<TimeseriesMetric, Source> = {
  alerts_synced: {
    table: 'sync_runs',
    at: 'started_at',
    value: 'sum(t.alerts_new + t.alerts_changed)',
    where: 'true',
  },
  alerts_delivered: {
    table: 'deliveries',
    at: 'delivered_at',
    value: 'count(*)',
    where: 't.delivered_at IS NOT NULL',
  },
  api_calls: { table: 'lacework_calls', at: 'at', value: 'count(*)', where: "t.outcome <> 'budget_wait'" },
  rate_limited: { table: 'lacework_calls', at: 'at', value: 'count(*)', where: "t.outcome = 'rate_limited'" },
  delivery_failures: {
    table: 'delivery_attempts',
    at: 'attempted_at',
    value: 'count(*)',
    where: '(t.status_code IS NULL OR t.status_code NOT BETWEEN 200 AND 299)',
    integration: '(SELECT x.integration_id FROM deliveries x WHERE x.id = t.delivery_id)',
  },
};

// 24 hours, not 1 day: generate_series adds days in the session's time zone, where one may last 23 or 25 hours.
const STEP: Record<TimeseriesBucket, string> = { '1h': '1 hour', '1d': '24 hours' };
// date_bin (PostgreSQL 14+) is plain arithmetic on the instant, far cheaper per row than date_trunc in a zone.
const UTC_ORIGIN = `'2000-01-01T00:00:00Z'::timestamptz`;

/** Counts per UTC hour or day for the charts; every bucket of the range is returned, empty ones as 0. */
@Injectable()
export class TimeseriesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Buckets from the one holding `since` up to `until` (exclusive); only rows in `[since, until)` count. */
  async buckets(
    metric: TimeseriesMetric,
    bucket: TimeseriesBucket,
    since: Date,
    until: Date,
    integrationId: string | null,
  ): Promise<TimeseriesRow[]> {
    const source = SOURCES[metric];
    const rows: TimeseriesRow[] = await this.dataSource.query(
      `WITH counted AS (
         SELECT date_bin($1::interval, t.${source.at}, ${UTC_ORIGIN}) AS bucket_start, ${source.value} AS n
           FROM ${source.table} t
          WHERE ${source.where} AND t.${source.at} >= $2 AND t.${source.at} < $3
            AND ($4::uuid IS NULL OR ${source.integration ?? 't.integration_id'} = $4::uuid)
          GROUP BY 1)
       SELECT b.bucket_start, COALESCE(c.n, 0)::int AS value
         FROM generate_series(date_bin($1::interval, $2::timestamptz, ${UTC_ORIGIN}),
                              $3::timestamptz - interval '1 microsecond', $1::interval) AS b(bucket_start)
         LEFT JOIN counted c ON c.bucket_start = b.bucket_start
        ORDER BY b.bucket_start`,
      [STEP[bucket], since, until, integrationId],
    );
    return rows;
  }

  /** True when the integration exists, deleted or not: a deleted integration's history is still charted. */
  async integrationExists(id: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM integrations WHERE id = $1`, [id]);
    return rows.length > 0;
  }
}
