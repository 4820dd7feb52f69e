import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { rowsOf } from '../database/query-result';

export interface LaceworkHookRow {
  integration_id: string;
  token_sealed: string;
  token_created_at: Date;
  hints_received: string;
  last_hint_at: Date | null;
  last_hint_event_id: string | null;
  last_hint_severity: string | null;
  last_hint_test: boolean | null;
  hint_poll_at: Date | null;
}

/** One hint as received, reduced to what is used: the alert id (null for a test or none) and its severity. */
export interface ReceivedHint {
  alertId: string | null;
  severity: string | null;
  test: boolean;
}

/** Hook tokens and hints of Lacework's webhook alert channel. */
@Injectable()
export class LaceworkHookRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async find(integrationId: string): Promise<LaceworkHookRow | null> {
    const rows: LaceworkHookRow[] = await this.dataSource.query(
      `SELECT h.* FROM lacework_hooks h
         JOIN integrations i ON i.id = h.integration_id AND i.deleted_at IS NULL
        WHERE h.integration_id = $1`,
      [integrationId],
    );
    return rows[0] ?? null;
  }

  /** Stores a new sealed token (replacing any earlier one, which stops working at once). */
  async saveToken(integrationId: string, sealed: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO lacework_hooks (integration_id, token_sealed) VALUES ($1, $2)
       ON CONFLICT (integration_id) DO UPDATE SET token_sealed = EXCLUDED.token_sealed, token_created_at = now()`,
      [integrationId, sealed],
    );
  }

  /**
   * Records hints received together and, unless all are tests, makes the integration's next poll due: now, or when
   * the coalescing interval since the last hint-triggered poll has passed; a hint-triggered poll already planned
   * absorbs them. Hinted alerts are remembered so their versions go first in the enrichment queue, now or once
   * listed. Returns when the poll these hints planned is due; null when they planned none.
   */
  async recordHints(
    integrationId: string,
    hints: ReceivedHint[],
    coalesceSeconds: number,
  ): Promise<Date | null> {
    const last = hints[hints.length - 1];
    const real = hints.some((h) => !h.test);
    const alerts = [...new Map(hints.filter((h) => h.alertId !== null).map((h) => [h.alertId, h])).values()];
    return this.dataSource.transaction(async (m) => {
      const rows: { hint_poll_at: Date | null; earlier: Date | null }[] = rowsOf(
        await m.query(
          `UPDATE lacework_hooks h SET hints_received = h.hints_received + $6, last_hint_at = now(),
                  last_hint_event_id = $2, last_hint_severity = $3, last_hint_test = $4,
                  hint_poll_at = CASE
                    WHEN NOT $7 THEN h.hint_poll_at
                    WHEN h.hint_poll_at IS NULL THEN now()
                    WHEN h.hint_poll_at >= now() THEN h.hint_poll_at
                    ELSE GREATEST(now(), h.hint_poll_at + $5 * interval '1 second') END
             FROM (SELECT hint_poll_at FROM lacework_hooks WHERE integration_id = $1) AS before
            WHERE h.integration_id = $1
           RETURNING h.hint_poll_at, before.hint_poll_at AS earlier`,
          [integrationId, last.alertId, last.severity, last.test, coalesceSeconds, hints.length, real],
        ),
      );
      if (!real || rows.length === 0) {
        return null;
      }
      const dueAt = rows[0].hint_poll_at;
      const planned = dueAt !== null && dueAt.getTime() !== rows[0].earlier?.getTime();
      // Only hints that plan a poll touch the integration's row: a flood must not queue on its lock.
      if (planned) {
        await m.query(`UPDATE integrations SET next_poll_at = $2 WHERE id = $1 AND next_poll_at > $2`, [
          integrationId,
          dueAt,
        ]);
      }
      if (alerts.length > 0) {
        await m.query(
          `INSERT INTO alert_hints (integration_id, alert_id, severity)
           SELECT $1, * FROM unnest($2::text[], $3::text[])
           ON CONFLICT (integration_id, alert_id) DO UPDATE SET received_at = now(), severity = EXCLUDED.severity`,
          [integrationId, alerts.map((h) => h.alertId), alerts.map((h) => h.severity)],
        );
        await m.query(
          `UPDATE alert_versions SET hinted_at = now()
            WHERE integration_id = $1 AND alert_id = ANY($2::text[]) AND state = 'pending' AND hinted_at IS NULL`,
          [integrationId, alerts.map((h) => h.alertId)],
        );
      }
      return planned ? dueAt : null;
    });
  }

  /** Forgets hints older than a day; an alert listed by then no longer needs to jump the queue. */
  async pruneHints(): Promise<void> {
    await this.dataSource.query(`DELETE FROM alert_hints WHERE received_at < now() - interval '1 day'`);
  }
}
