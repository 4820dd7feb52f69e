import type { FakeDownstream } from '../fakes/fake-downstream';
import type { FakeLacework } from '../fakes/fake-lacework';
import { canonical } from './sync-helpers';
import type { TestDatabase } from './test-database';

export interface CountReport {
  alertsServed: number;
  alertsStored: number;
  versionsStored: number;
  deliveredIds: number;
  duplicateRequests: number;
  dead: number;
}

/**
 * The end of every fault scenario: each alert the fake serves is stored once, its newest version equals what the
 * fake serves now, versions are numbered without gaps, every newest version was delivered with the stored bytes,
 * any repeated request carried the same webhook-id and body, and nothing is dead.
 */
export async function verifyExactCounts(
  db: TestDatabase,
  lacework: FakeLacework,
  downstream: FakeDownstream,
  integrations: { id: string; alertIds: string[] }[],
): Promise<CountReport> {
  const report: CountReport = {
    alertsServed: 0,
    alertsStored: 0,
    versionsStored: 0,
    deliveredIds: 0,
    duplicateRequests: 0,
    dead: 0,
  };
  const delivered = downstream.deliveredBodies();
  const bodiesById = new Map<string, Set<string>>();
  for (const r of downstream.received) {
    bodiesById.set(r.id, (bodiesById.get(r.id) ?? new Set()).add(r.body));
  }
  const problems: string[] = [];
  for (const integration of integrations) {
    report.alertsServed += integration.alertIds.length;
    const alerts = await db.query<{ id: string; alert_id: string; current_version: number }>(
      `SELECT id, alert_id, current_version FROM alerts WHERE integration_id = $1`,
      [integration.id],
    );
    report.alertsStored += alerts.length;
    const stored = new Map(alerts.map((a) => [a.alert_id, a]));
    for (const alertId of integration.alertIds) {
      if (!stored.has(alertId)) {
        problems.push(`alert ${alertId} of ${integration.id} was never stored`);
      }
    }
    if (alerts.length !== integration.alertIds.length) {
      problems.push(
        `integration ${integration.id}: ${alerts.length} alerts stored, ${integration.alertIds.length} served`,
      );
    }
    const versions = await db.query<{
      alert_row_id: string;
      alert_id: string;
      version: number;
      list_record: string;
      document: string | null;
      state: string;
      delivery_state: string | null;
      webhook_id: string | null;
    }>(
      `SELECT v.alert_row_id, v.alert_id, v.version, v.list_record, v.document, v.state,
              d.state AS delivery_state, d.webhook_id
         FROM alert_versions v LEFT JOIN deliveries d ON d.alert_version_id = v.id
        WHERE v.integration_id = $1 ORDER BY v.alert_row_id, v.version`,
      [integration.id],
    );
    report.versionsStored += versions.length;
    const byAlert = new Map<string, typeof versions>();
    for (const v of versions) {
      byAlert.set(v.alert_id, [...(byAlert.get(v.alert_id) ?? []), v]);
    }
    for (const [alertId, list] of byAlert) {
      const numbers = list.map((v) => v.version);
      if (numbers.join(',') !== numbers.map((_, i) => i + 1).join(',')) {
        problems.push(`alert ${alertId}: versions ${numbers.join(',')} are not 1..n once each`);
      }
      const newest = list[list.length - 1];
      if (newest.list_record !== canonical(lacework.listRecordText(alertId))) {
        problems.push(`alert ${alertId}: newest stored list record differs from what Lacework serves`);
      }
      if (newest.state !== 'complete') {
        problems.push(`alert ${alertId} v${newest.version} ended ${newest.state}`);
      }
      if (newest.delivery_state !== 'delivered' || newest.webhook_id === null) {
        problems.push(`alert ${alertId} v${newest.version}: delivery ${newest.delivery_state}`);
      } else if (delivered.get(newest.webhook_id) !== newest.document) {
        problems.push(
          `alert ${alertId} v${newest.version}: downstream body differs from the stored document`,
        );
      }
      for (const older of list.slice(0, -1)) {
        // An older version is delivered, or replaced before it was sent (its delivery, or its enrichment, superseded).
        const replaced = older.state === 'superseded' || older.delivery_state === 'superseded';
        if (older.delivery_state !== 'delivered' && !replaced) {
          problems.push(
            `alert ${alertId} v${older.version}: older version's delivery is ${older.delivery_state}`,
          );
        }
      }
    }
  }
  for (const [, bodies] of bodiesById) {
    if (bodies.size > 1) {
      problems.push('one webhook-id arrived with different bodies');
    }
  }
  report.deliveredIds = delivered.size;
  report.duplicateRequests =
    downstream.received.filter((r) => r.status >= 200 && r.status < 300).length - delivered.size;
  const [dead] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM deliveries WHERE state = 'dead'`,
  );
  report.dead = dead.n;
  if (problems.length > 0) {
    throw new Error(`${problems.length} problems:\n${problems.slice(0, 20).join('\n')}`);
  }
  return report;
}
