import { Injectable } from '@nestjs/common';
import type { ListedAlert } from '../lacework/lacework.types';
import { AlertFilterSettings, passesFilter } from './alert-filter';
import { AlertIntakeRepository, IntakeCounts } from './alert-intake.repository';
import { sha256 } from './document-assembler';
import { severityRank } from './severity';

/**
 * Takes a page of listed alerts from a sync run and stores what is new or changed, queueing it for enrichment.
 * Alerts that start before `horizon` are taken in only as changes of alerts already stored. With `refresh` (a
 * backfill that asks for it) every alert already stored counts as changed, so it is enriched again.
 */
@Injectable()
export class AlertIntakeService {
  constructor(private readonly intake: AlertIntakeRepository) {}

  async recordPage(
    integrationId: string,
    runId: string,
    backfill: boolean,
    filter: AlertFilterSettings,
    horizon: Date,
    alerts: ListedAlert[],
    refresh = false,
  ): Promise<IntakeCounts> {
    const items = alerts.map((alert) => {
      const normalized = { ...alert, startTime: alert.startTime || new Date().toISOString() };
      return {
        alert: normalized,
        listHash: sha256(alert.recordJson),
        severityRank: severityRank(alert.severity),
        kept: passesFilter(alert, filter),
        beforeHorizon: Date.parse(normalized.startTime) < horizon.getTime(),
      };
    });
    return this.intake.storePage(integrationId, runId, backfill, items, refresh);
  }
}
