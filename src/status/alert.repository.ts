import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** One `alerts` row as the read API needs it; `start_key` is `start_time` in UTC to the microsecond. */
export interface AlertRow {
  id: string;
  integration_id: string;
  alert_id: string;
  current_version: number;
  severity: string;
  status: string;
  alert_type: string;
  alert_name: string;
  start_time: Date;
  start_key: string;
  end_time: Date | null;
  state: string;
  failed_scopes: string[];
  first_seen_at: Date;
  updated_at: Date;
}

export interface AlertVersionRow {
  id: string;
  version: number;
  state: string;
  created_at: Date;
  completed_at: Date | null;
  document_hash: string | null;
  failed_scopes: string[];
  failed_attempts: number;
  last_error: string | null;
}

export interface AlertScopeRow {
  alert_version_id: string;
  scope: string;
  outcome: string;
  attempts: number;
  last_error: string | null;
}

export interface AlertDeliveryRow {
  id: string;
  alert_version_id: string;
  state: string;
  attempts: number;
  destination_id: string | null;
  delivered_at: Date | null;
  last_status: number | null;
  last_error: string | null;
}

export interface AlertDocumentRow {
  version: number;
  state: string;
  document: string | null;
}

export interface AlertFilter {
  integrationId?: string;
  severities?: string[];
  status?: string;
  state?: string;
  /** RFC 3339 text, inclusive. */
  since?: string;
  /** RFC 3339 text, exclusive. */
  until?: string;
  alertType?: string;
  /** State of the current version's delivery; `none` when it has none. */
  delivery?: string;
}

/** The position after the last row of a page: its `start_key` and id. */
export interface AlertPosition {
  startKey: string;
  id: string;
}

const ALERT_COLUMNS = `a.id, a.integration_id, a.alert_id, a.current_version, a.severity, a.status, a.alert_type,
  a.alert_name, a.start_time,
  to_char(a.start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS start_key,
  a.end_time, a.state, a.failed_scopes, a.first_seen_at, a.updated_at`;

/** Reads alerts with their versions, scope outcomes and deliveries; never writes. */
@Injectable()
export class AlertRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Alerts matching `filter`, newest `start_time` first (ties by id), strictly after `after` when given.
   * Keyset paging on the `(start_time DESC, id DESC)` indexes: the cost of a page does not grow with its depth.
   */
  async listAlerts(filter: AlertFilter, limit: number, after: AlertPosition | null): Promise<AlertRow[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.integrationId !== undefined) {
      where.push(`a.integration_id = ${param(filter.integrationId)}::uuid`);
    }
    if (filter.severities !== undefined && filter.severities.length > 0) {
      where.push(`a.severity = ANY(${param(filter.severities)}::text[])`);
    }
    if (filter.status !== undefined) {
      where.push(`a.status = ${param(filter.status)}`);
    }
    if (filter.state !== undefined) {
      where.push(`a.state = ${param(filter.state)}`);
    }
    if (filter.alertType !== undefined) {
      where.push(`a.alert_type = ${param(filter.alertType)}`);
    }
    if (filter.delivery === 'none') {
      where.push(
        `NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_row_id = a.id AND d.version = a.current_version)`,
      );
    } else if (filter.delivery !== undefined) {
      where.push(
        `EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_row_id = a.id AND d.version = a.current_version
                    AND d.state = ${param(filter.delivery)})`,
      );
    }
    if (filter.since !== undefined) {
      where.push(`a.start_time >= ${param(filter.since)}::timestamptz`);
    }
    if (filter.until !== undefined) {
      where.push(`a.start_time < ${param(filter.until)}::timestamptz`);
    }
    if (after !== null) {
      where.push(
        `(a.start_time, a.id) < (${param(after.startKey)}::timestamptz, ${param(after.id)}::bigint)`,
      );
    }
    const rows: AlertRow[] = await this.dataSource.query(
      `SELECT ${ALERT_COLUMNS} FROM alerts a
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY a.start_time DESC, a.id DESC
        LIMIT ${param(limit)}`,
      params,
    );
    return rows;
  }

  async findAlert(id: string): Promise<AlertRow | null> {
    const rows: AlertRow[] = await this.dataSource.query(
      `SELECT ${ALERT_COLUMNS} FROM alerts a WHERE a.id = $1::bigint`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** The organization URL and sub-account of an alert's integration, for the link to the Lacework console. */
  async findOrganization(
    alertRowId: string,
  ): Promise<{ organization_url: string; sub_account: string | null } | null> {
    const rows: { organization_url: string; sub_account: string | null }[] = await this.dataSource.query(
      `SELECT i.organization_url, i.sub_account FROM alerts a JOIN integrations i ON i.id = a.integration_id
        WHERE a.id = $1::bigint`,
      [alertRowId],
    );
    return rows[0] ?? null;
  }

  /** Every version of an alert, newest first, without the documents themselves. */
  async listVersions(alertRowId: string): Promise<AlertVersionRow[]> {
    const rows: AlertVersionRow[] = await this.dataSource.query(
      `SELECT id, version, state, created_at, completed_at, document_hash, failed_scopes, failed_attempts, last_error
         FROM alert_versions WHERE alert_row_id = $1::bigint ORDER BY version DESC`,
      [alertRowId],
    );
    return rows;
  }

  async listScopes(versionIds: string[]): Promise<AlertScopeRow[]> {
    if (versionIds.length === 0) {
      return [];
    }
    const rows: AlertScopeRow[] = await this.dataSource.query(
      `SELECT alert_version_id, scope, outcome, attempts, last_error
         FROM alert_scopes WHERE alert_version_id = ANY($1::bigint[])`,
      [versionIds],
    );
    return rows;
  }

  /** Every delivery of an alert's versions, oldest first. */
  async listDeliveries(alertRowId: string): Promise<AlertDeliveryRow[]> {
    const rows: AlertDeliveryRow[] = await this.dataSource.query(
      `SELECT id, alert_version_id, state, attempts, destination_id, delivered_at, last_status, last_error
         FROM deliveries WHERE alert_row_id = $1::bigint ORDER BY created_at, id`,
      [alertRowId],
    );
    return rows;
  }

  /** The given version's document (possibly null), or the newest version that has one; null when none matches. */
  async findDocument(alertRowId: string, version: number | null): Promise<AlertDocumentRow | null> {
    const rows: AlertDocumentRow[] =
      version === null
        ? await this.dataSource.query(
            `SELECT version, state, document FROM alert_versions
              WHERE alert_row_id = $1::bigint AND document IS NOT NULL
              ORDER BY version DESC LIMIT 1`,
            [alertRowId],
          )
        : await this.dataSource.query(
            `SELECT version, state, document FROM alert_versions
              WHERE alert_row_id = $1::bigint AND version = $2::int`,
            [alertRowId, version],
          );
    return rows[0] ?? null;
  }
}
