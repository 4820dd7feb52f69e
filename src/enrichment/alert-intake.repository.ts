import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { rowsOf } from '../database/query-result';
import { DataSource, EntityManager } from 'typeorm';
import type { ListedAlert } from '../lacework/lacework.types';

/** One listed alert, hashed and classified, ready to be stored. */
export interface IntakeAlert {
  alert: ListedAlert;
  listHash: string;
  severityRank: number;
  kept: boolean;
  /** Starts before the run's horizon: taken in only if already known (a change), never as a new alert. */
  beforeHorizon: boolean;
}

export interface IntakeCounts {
  listed: number;
  new: number;
  changed: number;
  unchanged: number;
  filtered: number;
  /** New alerts skipped because they start before the run's horizon. */
  beforeHorizon: number;
}

interface ExistingRow {
  id: string;
  alert_id: string;
  list_hash: string;
}

/**
 * Stores a page of listed alerts in one transaction: new alerts get version 1, alerts whose list record changed get
 * the next version, unchanged ones are left alone (no write, no scope call). Filtered alerts are stored as listed and
 * never enter the enrichment queue. An alert never seen before that starts before the run's horizon is skipped: the
 * re-list exists to catch changes of alerts already taken in, not to take in what the lookback left out.
 */
@Injectable()
export class AlertIntakeRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async storePage(
    integrationId: string,
    runId: string,
    backfill: boolean,
    page: IntakeAlert[],
    refresh = false,
  ): Promise<IntakeCounts> {
    const counts: IntakeCounts = {
      listed: page.length,
      new: 0,
      changed: 0,
      unchanged: 0,
      filtered: 0,
      beforeHorizon: 0,
    };
    if (page.length === 0) {
      return counts;
    }
    const byId = new Map(page.map((a) => [a.alert.alertId, a]));
    return this.dataSource.transaction(async (m) => {
      const existing: ExistingRow[] = await m.query(
        // Alert rows are locked in id order, before any of their versions: the one order every writer uses.
        `SELECT id, alert_id, list_hash FROM alerts
          WHERE integration_id = $1 AND alert_id = ANY($2::text[]) ORDER BY id FOR NO KEY UPDATE`,
        [integrationId, [...byId.keys()].sort()],
      );
      const known = new Map(existing.map((r) => [r.alert_id, r]));
      const fresh: IntakeAlert[] = [];
      const changed: { row: ExistingRow; item: IntakeAlert }[] = [];
      for (const item of [...byId.values()].sort((a, b) => compareText(a.alert.alertId, b.alert.alertId))) {
        const row = known.get(item.alert.alertId);
        if (row === undefined && item.beforeHorizon) {
          counts.beforeHorizon += 1;
        } else if (row === undefined) {
          fresh.push(item);
        } else if (refresh || row.list_hash !== item.listHash) {
          changed.push({ row, item });
        }
      }
      counts.unchanged = page.length - fresh.length - changed.length - counts.beforeHorizon;
      counts.new = fresh.length;
      counts.changed = changed.length;
      counts.filtered = [...fresh, ...changed.map((c) => c.item)].filter((i) => !i.kept).length;

      const versions: { rowId: string; version: number; item: IntakeAlert }[] = [];
      if (fresh.length > 0) {
        const inserted: { id: string; alert_id: string }[] = await m.query(
          `INSERT INTO alerts (integration_id, alert_id, current_version, list_hash, severity, severity_rank, status,
                               alert_type, alert_name, start_time, end_time, state)
           SELECT $1, * FROM unnest($2::text[], $3::int[], $4::text[], $5::text[], $6::smallint[], $7::text[],
                                    $8::text[], $9::text[], $10::timestamptz[], $11::timestamptz[], $12::text[])
           ON CONFLICT (integration_id, alert_id) DO NOTHING
           RETURNING id, alert_id`,
          [integrationId, ...columns(fresh, () => 1)],
        );
        for (const row of inserted) {
          versions.push({ rowId: row.id, version: 1, item: byId.get(row.alert_id) as IntakeAlert });
        }
      }
      if (changed.length > 0) {
        const updated: { id: string; alert_id: string; current_version: number }[] = rowsOf(
          await m.query(
            `UPDATE alerts a SET current_version = a.current_version + 1, list_hash = u.list_hash, severity = u.severity,
                  severity_rank = u.severity_rank, status = u.status, alert_type = u.alert_type,
                  alert_name = u.alert_name, start_time = u.start_time, end_time = u.end_time, state = u.state,
                  failed_scopes = '{}', updated_at = now()
             FROM unnest($1::bigint[], $2::text[], $3::text[], $4::smallint[], $5::text[], $6::text[], $7::text[],
                         $8::timestamptz[], $9::timestamptz[], $10::text[])
                  AS u(id, list_hash, severity, severity_rank, status, alert_type, alert_name, start_time, end_time, state)
            WHERE a.id = u.id
           RETURNING a.id, a.alert_id, a.current_version`,
            [
              changed.map((c) => c.row.id),
              changed.map((c) => c.item.listHash),
              changed.map((c) => c.item.alert.severity),
              changed.map((c) => c.item.severityRank),
              changed.map((c) => c.item.alert.status),
              changed.map((c) => c.item.alert.alertType),
              changed.map((c) => c.item.alert.alertName),
              changed.map((c) => c.item.alert.startTime),
              changed.map((c) => c.item.alert.endTime || null),
              changed.map((c) => (c.item.kept ? 'pending' : 'filtered')),
            ],
          ),
        );
        for (const row of updated) {
          versions.push({
            rowId: row.id,
            version: row.current_version,
            item: byId.get(row.alert_id) as IntakeAlert,
          });
        }
        // An older version still waiting for enrichment is not worth its six calls any more.
        await m.query(
          `UPDATE alert_versions SET state = 'superseded', lease_owner = NULL, lease_until = NULL
            WHERE alert_row_id = ANY($1::bigint[]) AND state = 'pending'`,
          [updated.map((r) => r.id)],
        );
      }
      await this.insertVersions(m, integrationId, runId, backfill, versions);
      return counts;
    });
  }

  private async insertVersions(
    m: EntityManager,
    integrationId: string,
    runId: string,
    backfill: boolean,
    versions: { rowId: string; version: number; item: IntakeAlert }[],
  ): Promise<void> {
    if (versions.length === 0) {
      return;
    }
    await m.query(
      `INSERT INTO alert_versions (alert_row_id, integration_id, alert_id, version, list_record, list_hash,
                                   severity_rank, start_time, backfill, state, sync_run_id, hinted_at)
       SELECT r, $1, a, v, rec, h, s, t, $2, st, $3,
              (SELECT received_at FROM alert_hints
                WHERE integration_id = $1 AND alert_id = a AND received_at > now() - interval '1 day')
         FROM unnest($4::bigint[], $5::text[], $6::int[], $7::text[], $8::text[], $9::smallint[],
                     $10::timestamptz[], $11::text[]) AS x(r, a, v, rec, h, s, t, st)`,
      [
        integrationId,
        backfill,
        runId,
        versions.map((v) => v.rowId),
        versions.map((v) => v.item.alert.alertId),
        versions.map((v) => v.version),
        versions.map((v) => v.item.alert.recordJson),
        versions.map((v) => v.item.listHash),
        versions.map((v) => v.item.severityRank),
        versions.map((v) => v.item.alert.startTime),
        versions.map((v) => (v.item.kept ? 'pending' : 'filtered')),
      ],
    );
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function columns(items: IntakeAlert[], version: (i: IntakeAlert) => number): unknown[] {
  return [
    items.map((i) => i.alert.alertId),
    items.map(version),
    items.map((i) => i.listHash),
    items.map((i) => i.alert.severity),
    items.map((i) => i.severityRank),
    items.map((i) => i.alert.status),
    items.map((i) => i.alert.alertType),
    items.map((i) => i.alert.alertName),
    items.map((i) => i.alert.startTime),
    items.map((i) => i.alert.endTime || null),
    items.map((i) => (i.kept ? 'pending' : 'filtered')),
  ];
}
