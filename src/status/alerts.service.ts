import { laceworkConsoleUrl } from '../delivery/console-url';
import { Injectable } from '@nestjs/common';
import { InvalidInputError, NotFoundError } from '../common/domain.errors';
import { decodeCursor, DEFAULT_PAGE_SIZE, Page, toPage } from '../common/pagination';
import { WritebackService } from '../writeback/writeback.service';
import { AlertPosition, AlertRepository, AlertRow } from './alert.repository';
import { AlertDetailView, AlertSummaryView, AlertVersionView } from './alert.view';
import { isRfc3339DateTime, isRowId, ListAlertsQueryDto } from './dto/list-alerts.query';

/** Read models of stored alerts for the dashboard and operators: lists, details, assembled documents. */
@Injectable()
export class AlertsService {
  constructor(
    private readonly alerts: AlertRepository,
    private readonly writeback: WritebackService,
  ) {}

  /** One page of alerts matching the query, newest first; `nextCursor` continues it. */
  async list(query: ListAlertsQueryDto): Promise<Page<AlertSummaryView>> {
    if (
      query.since !== undefined &&
      query.until !== undefined &&
      Date.parse(query.since) > Date.parse(query.until)
    ) {
      throw new InvalidInputError('until', 'must not be before since');
    }
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.alerts.listAlerts(
      {
        integrationId: query.integrationId,
        severities: query.severity,
        status: query.status,
        state: query.state,
        since: query.since,
        until: query.until,
        alertType: query.alertType,
        delivery: query.delivery,
      },
      limit + 1,
      decodePosition(query.cursor),
    );
    return toPage(rows, limit, AlertSummaryView.of, (r) => [r.start_key, r.id]);
  }

  /** The alert with every version, its scope outcomes and deliveries; NotFoundError when unknown. */
  async get(id: string): Promise<AlertDetailView> {
    const alert = await this.find(id);
    const versions = await this.alerts.listVersions(id);
    const [scopes, deliveries, organization, actions] = await Promise.all([
      this.alerts.listScopes(versions.map((v) => v.id)),
      this.alerts.listDeliveries(id),
      this.alerts.findOrganization(id),
      this.writeback.actionsOf(id),
    ]);
    return {
      ...AlertSummaryView.of(alert),
      consoleUrl: consoleUrlOf(organization, alert.alert_id),
      versions: versions.map((v) =>
        AlertVersionView.of(
          v,
          scopes.filter((s) => s.alert_version_id === v.id),
          deliveries.filter((d) => d.alert_version_id === v.id),
        ),
      ),
      actions,
    };
  }

  /**
   * The assembled document of `version` (default: the newest version that has one), as the exact stored text.
   * NotFoundError, saying why, when the alert, the version or its document does not exist.
   */
  async document(id: string, version: number | null): Promise<string> {
    const alert = await this.find(id);
    const found = await this.alerts.findDocument(id, version);
    if (version === null) {
      if (found === null || found.document === null) {
        throw new NotFoundError(`alert ${id} has no assembled document yet (state ${alert.state})`);
      }
      return found.document;
    }
    if (found === null) {
      throw new NotFoundError(
        `alert ${id} has no version ${version} (current version ${alert.current_version})`,
      );
    }
    if (found.document === null) {
      throw new NotFoundError(
        `alert ${id} version ${version} has no assembled document (state ${found.state})`,
      );
    }
    return found.document;
  }

  private async find(id: string): Promise<AlertRow> {
    const alert = await this.alerts.findAlert(id);
    if (alert === null) {
      throw new NotFoundError(`alert ${id} not found`);
    }
    return alert;
  }
}

function decodePosition(cursor: string | undefined): AlertPosition | null {
  const key = decodeCursor(cursor, ['date', 'string']);
  if (key === null) {
    return null;
  }
  const [startKey, id] = key;
  // decodeCursor checks the shape only; PostgreSQL must never see a value it would refuse.
  if (!isRfc3339DateTime(startKey) || !isRowId(id)) {
    throw new InvalidInputError('cursor', 'not a cursor this list returned');
  }
  return { startKey, id };
}

function consoleUrlOf(
  organization: { organization_url: string; sub_account: string | null } | null,
  alertId: string,
): string | null {
  if (organization === null) {
    return null;
  }
  try {
    return laceworkConsoleUrl(organization.organization_url, alertId, organization.sub_account);
  } catch {
    return null;
  }
}
