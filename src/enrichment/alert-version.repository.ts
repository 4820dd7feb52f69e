import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { rowsOf } from '../database/query-result';
import { statesThatMayBecome } from '../delivery/delivery-state';
import { DataSource, EntityManager } from 'typeorm';
import type { ScopeName } from '../lacework/lacework.types';

export interface ClaimedVersion {
  id: string;
  alertRowId: string;
  integrationId: string;
  alertId: string;
  version: number;
  listRecord: string;
  severityRank: number;
  /** Taken in by a backfill: its calls wait behind live work for the budget. */
  backfill: boolean;
  leaseToken: string;
  /** Scope answers kept from an earlier, interrupted attempt. */
  storedScopes: number;
}

export type ScopeOutcome = 'ok' | 'empty' | 'unsupported' | 'failed';

export interface StoredScope {
  scope: ScopeName;
  outcome: ScopeOutcome | 'retrying';
  data: string | null;
  attempts: number;
  error: string | null;
}

export interface CompletedVersion {
  document: string;
  documentHash: string;
  failedScopes: ScopeName[];
  /** Where its delivery goes; null makes it wait until the integration has a destination. */
  /** One delivery per destination; none yet makes one delivery that waits for the integration's first. */
  destinationIds: string[];
  /** The outcome of each scope of the document (the six and any extras), recorded beside it. */
  scopes: StoredScope[];
}

/** The enrichment queue: alert versions waiting for their scopes, claimed with a lease by one worker at a time. */
@Injectable()
export class AlertVersionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Integrations that have enrichment work due now. */
  async integrationsWithDueWork(): Promise<string[]> {
    const rows: { integration_id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT v.integration_id FROM alert_versions v
         JOIN integrations i ON i.id = v.integration_id AND i.deleted_at IS NULL AND i.enabled
        WHERE v.state = 'pending' AND v.next_attempt_at <= now()
          AND (v.lease_until IS NULL OR v.lease_until < now())`,
    );
    return rows.map((r) => r.integration_id);
  }

  /**
   * Claims up to `limit` due versions of one integration: live before backfill, most severe first, newest first.
   * A lease that expired (its worker died) is taken over.
   */
  async claim(
    integrationId: string,
    limit: number,
    leaseToken: string,
    leaseSeconds: number,
  ): Promise<ClaimedVersion[]> {
    const rows: {
      id: string;
      alert_row_id: string;
      integration_id: string;
      alert_id: string;
      version: number;
      list_record: string;
      severity_rank: number;
      backfill: boolean;
      stored_scopes: number;
    }[] = rowsOf(
      await this.dataSource.query(
        `UPDATE alert_versions v SET lease_owner = $3, lease_until = now() + $4 * interval '1 second'
        WHERE v.id IN (
          SELECT id FROM alert_versions
           WHERE integration_id = $1 AND state = 'pending' AND next_attempt_at <= now()
             AND (lease_until IS NULL OR lease_until < now())
           ORDER BY hinted_at IS NULL, backfill, severity_rank, start_time DESC, id
           LIMIT $2
           FOR UPDATE SKIP LOCKED)
       RETURNING v.id, v.alert_row_id, v.integration_id, v.alert_id, v.version, v.list_record, v.severity_rank,
                 v.backfill, (SELECT count(*)::int FROM alert_scopes s WHERE s.alert_version_id = v.id) AS stored_scopes`,
        [integrationId, limit, leaseToken, leaseSeconds],
      ),
    );
    return rows
      .map((r) => ({
        id: r.id,
        alertRowId: r.alert_row_id,
        integrationId: r.integration_id,
        alertId: r.alert_id,
        version: r.version,
        listRecord: r.list_record,
        severityRank: r.severity_rank,
        backfill: r.backfill,
        leaseToken,
        storedScopes: r.stored_scopes,
      }))
      .sort((a, b) => a.severityRank - b.severityRank);
  }

  /** Severity rank of the most severe version of an integration that is due and unclaimed, or null. */
  async mostSevereDue(integrationId: string): Promise<number | null> {
    const rows: { rank: number | null }[] = await this.dataSource.query(
      `SELECT min(severity_rank)::int AS rank FROM alert_versions
        WHERE integration_id = $1 AND state = 'pending' AND next_attempt_at <= now()
          AND (lease_until IS NULL OR lease_until < now())`,
      [integrationId],
    );
    return rows[0]?.rank ?? null;
  }

  /** Keeps the leases of versions still being worked on. */
  async extendLeases(tokens: string[], leaseSeconds: number): Promise<void> {
    if (tokens.length > 0) {
      await this.dataSource.query(
        `UPDATE alert_versions SET lease_until = now() + $2 * interval '1 second'
          WHERE lease_owner = ANY($1::text[]) AND state = 'pending'`,
        [tokens, leaseSeconds],
      );
    }
  }

  /** Gives claimed versions back at once (shutdown), so another worker can take them. */
  async release(tokens: string[]): Promise<void> {
    if (tokens.length > 0) {
      await this.dataSource.query(
        `UPDATE alert_versions SET lease_owner = NULL, lease_until = NULL
          WHERE lease_owner = ANY($1::text[]) AND state = 'pending'`,
        [tokens],
      );
    }
  }

  async scopesOf(versionId: string): Promise<StoredScope[]> {
    const rows: StoredScope[] = await this.dataSource.query(
      `SELECT scope, outcome, data, attempts, last_error AS error FROM alert_scopes WHERE alert_version_id = $1`,
      [versionId],
    );
    return rows;
  }

  /** Records scope answers (or failures so far) of an interrupted attempt, while the version is still ours. */
  async saveScopes(claimed: ClaimedVersion, scopes: StoredScope[]): Promise<boolean> {
    const rows: { owned: boolean }[] = await this.dataSource.query(
      `WITH owned AS (SELECT 1 FROM alert_versions WHERE id = $1 AND lease_owner = $2 AND state = 'pending'),
            saved AS (
              INSERT INTO alert_scopes (alert_version_id, scope, outcome, data, attempts, last_error, updated_at)
              SELECT $1, * , now() FROM unnest($3::text[], $4::text[], $5::text[], $6::int[], $7::text[])
               WHERE EXISTS (SELECT 1 FROM owned)
              ON CONFLICT (alert_version_id, scope) DO UPDATE
                SET outcome = EXCLUDED.outcome, data = EXCLUDED.data, attempts = EXCLUDED.attempts,
                    last_error = EXCLUDED.last_error, updated_at = now()
              RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM owned) AS owned`,
      [
        claimed.id,
        claimed.leaseToken,
        scopes.map((s) => s.scope),
        scopes.map((s) => s.outcome),
        scopes.map((s) => s.data),
        scopes.map((s) => s.attempts),
        scopes.map((s) => s.error),
      ],
    );
    return rows[0]?.owned === true;
  }

  /** Puts a version back in the queue for later (a scope to retry, a rate limit, an auth problem). */
  async retryLater(claimed: ClaimedVersion, at: Date): Promise<void> {
    await this.dataSource.query(
      `UPDATE alert_versions SET next_attempt_at = $3, lease_owner = NULL, lease_until = NULL
        WHERE id = $1 AND lease_owner = $2 AND state = 'pending'`,
      [claimed.id, claimed.leaseToken, at],
    );
  }

  /**
   * Records an attempt that failed outside the scopes (assembling the document, storing it): keeps every scope
   * answer fetched so far, so the next attempt pays only for what is missing, and counts the failure. Below
   * `maxAttempts` the version waits until `retryAt`; at the bound it becomes `failed` with the reason, and so does its
   * alert while this is its current version. Returns the resulting state, or 'lost' when the claim was gone.
   */
  async recordFailure(
    claimed: ClaimedVersion,
    scopes: StoredScope[],
    reason: string,
    maxAttempts: number,
    retryAt: Date,
  ): Promise<'failed' | 'retry' | 'lost'> {
    return this.dataSource.transaction(async (m) => {
      await lockAlert(m, claimed.alertRowId);
      const rows: { state: string }[] = rowsOf(
        await m.query(
          `UPDATE alert_versions
              SET failed_attempts = failed_attempts + 1, last_error = $3,
                  state = CASE WHEN failed_attempts + 1 >= $4 THEN 'failed' ELSE state END,
                  next_attempt_at = $5, lease_owner = NULL, lease_until = NULL
            WHERE id = $1 AND lease_owner = $2 AND state = 'pending'
          RETURNING state`,
          [claimed.id, claimed.leaseToken, reason, maxAttempts, retryAt],
        ),
      );
      if (rows.length === 0) {
        return 'lost';
      }
      if (scopes.length > 0) {
        await m.query(
          `INSERT INTO alert_scopes (alert_version_id, scope, outcome, data, attempts, last_error, updated_at)
           SELECT $1, *, now() FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::text[])
           ON CONFLICT (alert_version_id, scope) DO UPDATE
             SET outcome = EXCLUDED.outcome, data = EXCLUDED.data, attempts = EXCLUDED.attempts,
                 last_error = EXCLUDED.last_error, updated_at = now()`,
          [
            claimed.id,
            scopes.map((s) => s.scope),
            scopes.map((s) => s.outcome),
            scopes.map((s) => s.data),
            scopes.map((s) => s.attempts),
            scopes.map((s) => s.error),
          ],
        );
      }
      if (rows[0].state !== 'failed') {
        return 'retry';
      }
      await m.query(
        `UPDATE alerts SET state = 'failed', updated_at = now() WHERE id = $1 AND current_version = $2`,
        [claimed.alertRowId, claimed.version],
      );
      return 'failed';
    });
  }

  /**
   * Puts a `failed` version back in the queue with a fresh count of attempts (an operator's replay). Its stored
   * scope answers are kept. 'not_failed' when that version is in another state, 'superseded' when the alert has a
   * newer version, 'not_found' when there is no such version.
   */
  async requeueFailed(
    alertRowId: string,
    version: number,
  ): Promise<'requeued' | 'not_found' | 'not_failed' | 'superseded'> {
    return this.dataSource.transaction(async (m) => {
      const alerts: { current_version: number }[] = await m.query(
        `SELECT current_version FROM alerts WHERE id = $1::bigint FOR NO KEY UPDATE`,
        [alertRowId],
      );
      const found: { state: string }[] = await m.query(
        `SELECT state FROM alert_versions WHERE alert_row_id = $1::bigint AND version = $2 FOR NO KEY UPDATE`,
        [alertRowId, version],
      );
      if (alerts.length === 0 || found.length === 0) {
        return 'not_found';
      }
      if (found[0].state !== 'failed') {
        return 'not_failed';
      }
      if (alerts[0].current_version !== version) {
        return 'superseded';
      }
      await m.query(
        `UPDATE alert_versions SET state = 'pending', failed_attempts = 0, next_attempt_at = now(),
                lease_owner = NULL, lease_until = NULL
          WHERE alert_row_id = $1::bigint AND version = $2`,
        [alertRowId, version],
      );
      await m.query(`UPDATE alerts SET state = 'pending', updated_at = now() WHERE id = $1::bigint`, [
        alertRowId,
      ]);
      return 'requeued';
    });
  }

  /** Details answered 404: the alert no longer exists in Lacework; nothing will be delivered. */
  async markGone(claimed: ClaimedVersion): Promise<boolean> {
    return this.dataSource.transaction(async (m) => {
      await lockAlert(m, claimed.alertRowId);
      const rows: unknown[] = rowsOf(
        await m.query(
          `UPDATE alert_versions SET state = 'gone', lease_owner = NULL, lease_until = NULL, completed_at = now()
          WHERE id = $1 AND lease_owner = $2 AND state = 'pending' RETURNING 1`,
          [claimed.id, claimed.leaseToken],
        ),
      );
      if (rows.length > 0) {
        await m.query(
          `UPDATE alerts SET state = 'gone', updated_at = now() WHERE id = $1 AND current_version = $2`,
          [claimed.alertRowId, claimed.version],
        );
      }
      return rows.length > 0;
    });
  }

  /**
   * Stores the assembled document and creates its delivery in the same transaction (the outbox), so nothing
   * assembled is ever left without a delivery. Older undelivered versions of the alert become superseded.
   * Returns false when the claim was lost (another worker took the version over, or a newer version replaced it).
   */
  async complete(claimed: ClaimedVersion, done: CompletedVersion): Promise<boolean> {
    const state = done.failedScopes.length > 0 ? 'incomplete' : 'complete';
    // One statement, so one round trip and one atomic change: version, alert, scope outcomes, outbox.
    // The alert is locked before its version (the one-time EXISTS filter runs before the version is scanned): the
    // order intake takes them in, so the two never deadlock.
    const rows: { completed: boolean }[] = await this.dataSource.query(
      `WITH locked AS (SELECT id FROM alerts WHERE id = $7 FOR NO KEY UPDATE),
       v AS (
         UPDATE alert_versions SET state = $3, document = $4, document_hash = $5, failed_scopes = $6::text[],
                lease_owner = NULL, lease_until = NULL, completed_at = now()
          WHERE id = $1 AND lease_owner = $2 AND state = 'pending' AND EXISTS (SELECT 1 FROM locked)
          RETURNING id),
       a AS (
         UPDATE alerts SET state = $3, failed_scopes = $6::text[], updated_at = now()
          WHERE id = $7 AND current_version = $8 AND EXISTS (SELECT 1 FROM v) RETURNING 1),
       superseded AS (
         -- The lease stays: an attempt still out holds the next version back until it ends (versions in order).
         UPDATE deliveries SET state = 'superseded', updated_at = now()
          WHERE alert_row_id = $7 AND version < $8 AND state = ANY($18::varchar[]) AND EXISTS (SELECT 1 FROM v)
          RETURNING 1),
       scopes AS (
         INSERT INTO alert_scopes (alert_version_id, scope, outcome, data, attempts, last_error, updated_at)
         SELECT v.id, x.scope, x.outcome, NULL, x.attempts, x.error, now()
           FROM v, unnest($13::text[], $14::text[], $15::int[], $16::text[]) AS x(scope, outcome, attempts, error)
         ON CONFLICT (alert_version_id, scope) DO UPDATE
           SET outcome = EXCLUDED.outcome, data = NULL, attempts = EXCLUDED.attempts,
               last_error = EXCLUDED.last_error, updated_at = now()
         RETURNING 1),
       outbox AS (
         INSERT INTO deliveries (alert_version_id, alert_row_id, integration_id, destination_id, alert_id, version,
                                 severity_rank, webhook_id, state)
         SELECT v.id, $7, $9, t.id, $11, $8, $12, $17, 'pending'
           FROM v, unnest(CASE WHEN cardinality($10::uuid[]) = 0 THEN ARRAY[NULL::uuid] ELSE $10::uuid[] END) AS t(id)
         RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM v) AS completed,
              (SELECT count(*) FROM a) + (SELECT count(*) FROM superseded) + (SELECT count(*) FROM scopes)
                + (SELECT count(*) FROM outbox) AS touched`,
      [
        claimed.id,
        claimed.leaseToken,
        state,
        done.document,
        done.documentHash,
        done.failedScopes,
        claimed.alertRowId,
        claimed.version,
        claimed.integrationId,
        done.destinationIds,
        claimed.alertId,
        claimed.severityRank,
        done.scopes.map((s) => s.scope),
        done.scopes.map((s) => s.outcome),
        done.scopes.map((s) => s.attempts),
        done.scopes.map((s) => s.error),
        webhookId(claimed.integrationId, claimed.alertId, claimed.version),
        statesThatMayBecome('superseded'),
      ],
    );
    return rows[0]?.completed === true;
  }
}

/** Locks an alert row before any of its versions: every writer takes alert, then version, so none deadlock. */
async function lockAlert(m: EntityManager, alertRowId: string): Promise<void> {
  await m.query(`SELECT 1 FROM alerts WHERE id = $1 FOR NO KEY UPDATE`, [alertRowId]);
}

/** Stable per alert version: the same on every retry and replay, so receivers can deduplicate. */
export function webhookId(integrationId: string, alertId: string, version: number): string {
  return `lw_${integrationId}_${alertId}_v${version}`;
}
