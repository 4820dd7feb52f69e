import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { rowsOf } from '../database/query-result';

export type AlertActionKind = 'close' | 'comment';
export type AlertActionState = 'pending' | 'done' | 'failed';

export interface AlertActionRow {
  id: string;
  alert_row_id: string;
  integration_id: string;
  alert_id: string;
  kind: AlertActionKind;
  reason: number | null;
  comment: string | null;
  format: string | null;
  state: AlertActionState;
  requested_by: string;
  request_id: string | null;
  idempotency_key: string | null;
  attempts: number;
  next_attempt_at: Date;
  result_status: number | null;
  result_answer: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

export interface AlertActionAttemptRow {
  action_id: string;
  attempt: number;
  worker_id: string;
  started_at: Date;
  finished_at: Date | null;
  outcome: string | null;
  status: number | null;
  answer: string | null;
}

/** The alert an action is asked for, as last listed. */
export interface ActionTarget {
  id: string;
  integration_id: string;
  alert_id: string;
  status: string;
  current_version: number;
}

export interface NewAlertAction {
  target: ActionTarget;
  kind: AlertActionKind;
  reason: number | null;
  comment: string | null;
  format: string | null;
  requestedBy: string;
  requestId: string | null;
  idempotencyKey: string | null;
}

/** A claimed action and the attempt row this claim opened. */
export interface ClaimedAction extends AlertActionRow {
  lease_owner: string;
  attempt_row_id: string;
}

/** How an attempt ended: the action is finished (`done`/`failed`) or waits for `retryAt`. */
export type AttemptResult =
  | { state: 'done' | 'failed'; outcome: string; status: number | null; answer: string | null }
  | { state: 'pending'; outcome: string; status: number | null; answer: string | null; retryAt: Date };

const ACTION_COLUMNS = `id, alert_row_id, integration_id, alert_id, kind, reason, comment, format, state, requested_by,
  request_id, idempotency_key, attempts, next_attempt_at, result_status, result_answer, created_at, updated_at,
  finished_at`;

/** Write-back actions in PostgreSQL: stored before they are sent, claimed with a lease, each attempt recorded. */
@Injectable()
export class AlertActionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async findTarget(alertRowId: string): Promise<ActionTarget | null> {
    const rows: ActionTarget[] = await this.dataSource.query(
      `SELECT a.id, a.integration_id, a.alert_id, a.status, a.current_version FROM alerts a
         JOIN integrations i ON i.id = a.integration_id AND i.deleted_at IS NULL
        WHERE a.id = $1::bigint`,
      [alertRowId],
    );
    return rows[0] ?? null;
  }

  async findByIdempotencyKey(key: string): Promise<AlertActionRow | null> {
    const rows: AlertActionRow[] = await this.dataSource.query(
      `SELECT ${ACTION_COLUMNS} FROM alert_actions WHERE idempotency_key = $1`,
      [key],
    );
    return rows[0] ?? null;
  }

  /** A close of the alert that is waiting or went through; a second one would only be refused by Lacework. */
  async findOpenClose(alertRowId: string): Promise<AlertActionRow | null> {
    const rows: AlertActionRow[] = await this.dataSource.query(
      `SELECT ${ACTION_COLUMNS} FROM alert_actions
        WHERE alert_row_id = $1::bigint AND kind = 'close' AND state IN ('pending', 'done')
        ORDER BY created_at LIMIT 1`,
      [alertRowId],
    );
    return rows[0] ?? null;
  }

  /** Stores a new action; with an idempotency key already used, stores nothing and returns the first action. */
  async insert(action: NewAlertAction): Promise<{ row: AlertActionRow; created: boolean }> {
    const inserted: AlertActionRow[] = await this.dataSource.query(
      `INSERT INTO alert_actions (alert_row_id, integration_id, alert_id, kind, reason, comment, format,
                                  requested_by, request_id, idempotency_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
       RETURNING ${ACTION_COLUMNS}`,
      [
        action.target.id,
        action.target.integration_id,
        action.target.alert_id,
        action.kind,
        action.reason,
        action.comment,
        action.format,
        action.requestedBy,
        action.requestId,
        action.idempotencyKey,
      ],
    );
    if (inserted.length > 0) {
      return { row: inserted[0], created: true };
    }
    const first = await this.findByIdempotencyKey(action.idempotencyKey ?? '');
    if (first === null) {
      throw new Error('idempotency key conflict without a stored action');
    }
    return { row: first, created: false };
  }

  async find(id: string): Promise<AlertActionRow | null> {
    const rows: AlertActionRow[] = await this.dataSource.query(
      `SELECT ${ACTION_COLUMNS} FROM alert_actions WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  /**
   * Claims up to `limit` due actions, oldest first, and opens one attempt row for each. An attempt left open by a
   * worker that died is closed as `interrupted` first.
   */
  async claimDue(
    limit: number,
    leaseOwner: string,
    leaseSeconds: number,
    workerId: string,
  ): Promise<ClaimedAction[]> {
    const rows: ClaimedAction[] = rowsOf(
      await this.dataSource.query(
        `WITH claimed AS (
           UPDATE alert_actions a SET attempts = a.attempts + 1, lease_owner = $2,
                  lease_until = now() + $3 * interval '1 second', updated_at = now()
            WHERE a.id IN (SELECT id FROM alert_actions
                            WHERE state = 'pending' AND next_attempt_at <= now()
                              AND (lease_until IS NULL OR lease_until < now())
                            ORDER BY next_attempt_at, created_at
                            LIMIT $1
                            FOR UPDATE SKIP LOCKED)
           RETURNING a.*),
         interrupted AS (
           UPDATE alert_action_attempts SET finished_at = now(), outcome = 'interrupted'
            WHERE action_id IN (SELECT id FROM claimed) AND finished_at IS NULL
           RETURNING 1),
         opened AS (
           INSERT INTO alert_action_attempts (action_id, attempt, worker_id)
           SELECT id, attempts, $4 FROM claimed
           RETURNING action_id, id)
         SELECT c.id, c.alert_row_id, c.integration_id, c.alert_id, c.kind, c.reason, c.comment, c.format, c.state,
                c.requested_by, c.request_id, c.idempotency_key, c.attempts, c.next_attempt_at, c.result_status,
                c.result_answer, c.created_at, c.updated_at, c.finished_at, c.lease_owner,
                o.id AS attempt_row_id, (SELECT count(*) FROM interrupted) AS interrupted
           FROM claimed c JOIN opened o ON o.action_id = c.id`,
        [limit, leaseOwner, leaseSeconds, workerId],
      ),
    );
    return rows;
  }

  /** Records how an attempt ended; false when the claim was lost (the lease expired and another worker took it). */
  async finishAttempt(claimed: ClaimedAction, result: AttemptResult): Promise<boolean> {
    const rows: { owned: boolean }[] = await this.dataSource.query(
      `WITH a AS (
         UPDATE alert_actions SET state = $3::text, result_status = $4::int, result_answer = $5::text, updated_at = now(),
                next_attempt_at = COALESCE($6::timestamptz, next_attempt_at), lease_owner = NULL, lease_until = NULL,
                finished_at = CASE WHEN $3::text = 'pending' THEN NULL ELSE now() END
          WHERE id = $1 AND lease_owner = $2 AND state = 'pending' RETURNING 1),
       t AS (
         UPDATE alert_action_attempts SET finished_at = now(), outcome = $7::text, status = $4::int, answer = $5::text
          WHERE id = $8::bigint AND EXISTS (SELECT 1 FROM a) RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM a) AS owned, (SELECT count(*) FROM t) AS attempts`,
      [
        claimed.id,
        claimed.lease_owner,
        result.state,
        result.status,
        result.answer,
        result.state === 'pending' ? result.retryAt : null,
        result.outcome,
        claimed.attempt_row_id,
      ],
    );
    return rows[0]?.owned === true;
  }

  async extendLeases(owners: string[], leaseSeconds: number): Promise<void> {
    if (owners.length > 0) {
      await this.dataSource.query(
        `UPDATE alert_actions SET lease_until = now() + $2 * interval '1 second'
          WHERE lease_owner = ANY($1::text[]) AND state = 'pending'`,
        [owners, leaseSeconds],
      );
    }
  }

  /** Gives claimed actions back (shutdown); their open attempt is closed as interrupted by the next claim. */
  async release(owners: string[]): Promise<void> {
    if (owners.length > 0) {
      await this.dataSource.query(
        `UPDATE alert_actions SET lease_owner = NULL, lease_until = NULL
          WHERE lease_owner = ANY($1::text[]) AND state = 'pending'`,
        [owners],
      );
    }
  }

  async listForAlert(
    alertRowId: string,
  ): Promise<{ actions: AlertActionRow[]; attempts: AlertActionAttemptRow[] }> {
    const actions: AlertActionRow[] = await this.dataSource.query(
      `SELECT ${ACTION_COLUMNS} FROM alert_actions WHERE alert_row_id = $1::bigint ORDER BY created_at, id`,
      [alertRowId],
    );
    const attempts: AlertActionAttemptRow[] =
      actions.length === 0
        ? []
        : await this.dataSource.query(
            `SELECT action_id, attempt, worker_id, started_at, finished_at, outcome, status, answer
               FROM alert_action_attempts WHERE action_id = ANY($1::uuid[]) ORDER BY action_id, attempt, id`,
            [actions.map((a) => a.id)],
          );
    return { actions, attempts };
  }
}
