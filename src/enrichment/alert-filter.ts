import { severityRank } from './severity';

export interface AlertFilterSettings {
  minSeverity: string | null;
  includeAlertTypes: string[] | null;
  excludeAlertTypes: string[] | null;
}

/** Whether a listed alert is kept for enrichment and delivery under an integration's filters. */
export function passesFilter(
  alert: { severity: string; alertType: string },
  filter: AlertFilterSettings,
): boolean {
  if (filter.minSeverity !== null && severityRank(alert.severity) > severityRank(filter.minSeverity)) {
    return false;
  }
  if (filter.includeAlertTypes !== null && filter.includeAlertTypes.length > 0) {
    if (!filter.includeAlertTypes.includes(alert.alertType)) {
      return false;
    }
  }
  if (filter.excludeAlertTypes !== null && filter.excludeAlertTypes.includes(alert.alertType)) {
    return false;
  }
  return true;
}
