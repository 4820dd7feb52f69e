import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { rowsOf } from '../database/query-result';
import { DataSource, QueryFailedError } from 'typeorm';
import { CursorKey } from '../common/pagination';

export type SyncTrigger = 'schedule' | 'manual' | 'backfill';
export type SyncStatus = 'running' | 'succeeded' | 'partial' | 'failed';
export type SyncErrorClass = 'auth' | 'rate_limit' | 'upstream' | 'bad_response' | 'internal';

export interface SyncRunRow {
  id: string;
  integration_id: string;
  trigger: SyncTrigger;
  status: SyncStatus;
  started_at: Date;
  finished_at: Date | null;
  window_start: Date;
  window_end: Date;
  progress_at: Date | null;
  relist_from: Date | null;
  alerts_listed: number;
  alerts_new: number;
  alerts_changed: number;
  alerts_unchanged: number;
  alerts_filtered: number;
  api_calls: Record<string, Record<string, number>>;
  rate_limited: number;
  error_class: SyncErrorClass | null;
  error_message: string | null;
  worker_id: string | null;
  heartbeat_at: Date;
  chunks_total: number;
  chunks_done: number;
  pages_listed: number;
  /** Only on listings: started_at as text with microseconds, for the cursor. */
  start_key?: string;
}

export interface NewRun {
  integrationId: string;
  trigger: SyncTrigger;
  windowStart: Date;
  windowEnd: Date;
  relist: boolean;
  chunksTotal: number;
  workerId: string;
}

export interface PageProgress {
  listed: number;
  new: number;
  changed: number;
  unchanged: number;
  filtered: number;
}

const UNIQUE_VIOLATION = '23505';

/** Sync runs in PostgreSQL; the partial unique index allows one running run per integration across replicas. */
@Injectable()
export class SyncRunRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Creates a running run, or returns the id of the one already running for that integration. */
  async create(
    run: NewRun,
  ): Promise<{ created: true; run: SyncRunRow } | { created: false; runningId: string }> {
    try {
      const [row]: SyncRunRow[] = await this.dataSource.query(
        `INSERT INTO sync_runs (integration_id, trigger, status, window_start, window_end, relist_from, chunks_total,
                                worker_id, heartbeat_at)
         VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, now()) RETURNING *`,
        [
          run.integrationId,
          run.trigger,
          run.windowStart,
          run.windowEnd,
          run.relist ? run.windowStart : null,
          run.chunksTotal,
          run.workerId,
        ],
      );
      return { created: true, run: row };
    } catch (error) {
      if (
        error instanceof QueryFailedError &&
        (error.driverError as { code?: string }).code === UNIQUE_VIOLATION
      ) {
        const running = await this.findRunning(run.integrationId);
        if (running !== null) {
          return { created: false, runningId: running.id };
        }
      }
      throw error;
    }
  }

  async findRunning(integrationId: string): Promise<SyncRunRow | null> {
    const rows: SyncRunRow[] = await this.dataSource.query(
      `SELECT * FROM sync_runs WHERE integration_id = $1 AND status = 'running'`,
      [integrationId],
    );
    return rows[0] ?? null;
  }

  async find(id: string): Promise<SyncRunRow | null> {
    const rows: SyncRunRow[] = await this.dataSource.query(`SELECT * FROM sync_runs WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /**
   * Newest first, keyset-paged on (started_at, id) with the start time at full microsecond precision (`start_key`),
   * so the index on (integration_id, started_at DESC, id DESC) serves both the order and the cursor.
   */
  async listForIntegration(
    integrationId: string,
    limit: number,
    before: CursorKey | null,
  ): Promise<SyncRunRow[]> {
    return this.dataSource.query(
      `SELECT *, to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS start_key
         FROM sync_runs
        WHERE integration_id = $1
          AND ($3::text IS NULL OR (started_at, id) < ($3::timestamptz, $4::uuid))
        ORDER BY started_at DESC, id DESC
        LIMIT $2`,
      [integrationId, limit, before?.[0] ?? null, before?.[1] ?? null],
    );
  }

  /** Adds a stored page to the run's counts; false when this worker no longer owns the run. */
  async recordPage(runId: string, workerId: string, page: PageProgress): Promise<boolean> {
    const rows: unknown[] = rowsOf(
      await this.dataSource.query(
        `UPDATE sync_runs SET alerts_listed = alerts_listed + $3, alerts_new = alerts_new + $4,
              alerts_changed = alerts_changed + $5, alerts_unchanged = alerts_unchanged + $6,
              alerts_filtered = alerts_filtered + $7, pages_listed = pages_listed + 1, heartbeat_at = now()
        WHERE id = $1 AND worker_id = $2 AND status = 'running' RETURNING 1`,
        [runId, workerId, page.listed, page.new, page.changed, page.unchanged, page.filtered],
      ),
    );
    return rows.length > 0;
  }

  /** Marks a chunk of the window as fully stored: a resumed run starts again from `progressAt`. */
  async recordChunk(runId: string, workerId: string, progressAt: Date): Promise<boolean> {
    const rows: unknown[] = rowsOf(
      await this.dataSource.query(
        `UPDATE sync_runs SET progress_at = $3, chunks_done = chunks_done + 1, heartbeat_at = now()
        WHERE id = $1 AND worker_id = $2 AND status = 'running' RETURNING 1`,
        [runId, workerId, progressAt],
      ),
    );
    return rows.length > 0;
  }

  async heartbeat(runIds: string[], workerId: string): Promise<void> {
    if (runIds.length > 0) {
      await this.dataSource.query(
        `UPDATE sync_runs SET heartbeat_at = now() WHERE id = ANY($1::uuid[]) AND worker_id = $2 AND status = 'running'`,
        [runIds, workerId],
      );
    }
  }

  /**
   * Ends a run. A successful scheduled or manual run moves the integration's cursor to the end of its window in the
   * same transaction, and a re-listing run records when it re-listed.
   */
  async finish(
    run: SyncRunRow,
    workerId: string,
    outcome: {
      status: Exclude<SyncStatus, 'running'>;
      errorClass: SyncErrorClass | null;
      errorMessage: string | null;
      apiCalls: Record<string, Record<string, number>>;
      rateLimited: number;
    },
  ): Promise<boolean> {
    return this.dataSource.transaction(async (m) => {
      const rows: unknown[] = rowsOf(
        await m.query(
          `UPDATE sync_runs SET status = $3, finished_at = now(), error_class = $4, error_message = $5, api_calls = $6,
                rate_limited = $7, heartbeat_at = now()
          WHERE id = $1 AND worker_id = $2 AND status = 'running' RETURNING 1`,
          [
            run.id,
            workerId,
            outcome.status,
            outcome.errorClass,
            outcome.errorMessage,
            JSON.stringify(outcome.apiCalls),
            outcome.rateLimited,
          ],
        ),
      );
      if (rows.length === 0) {
        return false;
      }
      if (outcome.status === 'succeeded' && run.trigger !== 'backfill') {
        await m.query(
          `UPDATE integrations
              SET sync_cursor = GREATEST(COALESCE(sync_cursor, $2), $2),
                  last_relist_at = CASE WHEN $3::boolean THEN $4 ELSE last_relist_at END,
                  last_auth_error = NULL
            WHERE id = $1`,
          [run.integration_id, run.window_end, run.relist_from !== null, run.started_at],
        );
      }
      if (outcome.errorClass === 'auth') {
        await m.query(`UPDATE integrations SET last_auth_error = $2 WHERE id = $1`, [
          run.integration_id,
          outcome.errorMessage,
        ]);
      }
      return true;
    });
  }

  /** Takes over runs whose worker stopped sending heartbeats (it crashed or lost the database). */
  async claimStale(workerId: string, leaseSeconds: number): Promise<SyncRunRow[]> {
    return rowsOf<SyncRunRow>(
      await this.dataSource.query(
        `UPDATE sync_runs SET worker_id = $1, heartbeat_at = now()
        WHERE id IN (SELECT id FROM sync_runs WHERE status = 'running'
                        AND heartbeat_at < now() - $2 * interval '1 second'
                      FOR UPDATE SKIP LOCKED)
       RETURNING *`,
        [workerId, leaseSeconds],
      ),
    );
  }

  /** Hands this worker's runs over at once (shutdown): another replica takes them on its next tick. */
  async release(runIds: string[], workerId: string): Promise<void> {
    if (runIds.length > 0) {
      await this.dataSource.query(
        `UPDATE sync_runs SET heartbeat_at = 'epoch' WHERE id = ANY($1::uuid[]) AND worker_id = $2 AND status = 'running'`,
        [runIds, workerId],
      );
    }
  }

  /** Claims the integrations whose poll is due, moving their next poll time so no other replica claims them too. */
  async claimDueIntegrations(): Promise<string[]> {
    const rows: { id: string }[] = rowsOf(
      await this.dataSource.query(
        `UPDATE integrations SET next_poll_at = now() + poll_interval_seconds * interval '1 second'
        WHERE id IN (SELECT id FROM integrations
                      WHERE enabled AND deleted_at IS NULL AND next_poll_at <= now()
                        -- A poll due while a run is still going (a hinted one) waits for it instead of being lost.
                        AND NOT EXISTS (SELECT 1 FROM sync_runs r
                                         WHERE r.integration_id = integrations.id AND r.status = 'running')
                      FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      ),
    );
    return rows.map((r) => r.id);
  }

  /** Versions listed by a run that are still waiting for enrichment, and those done. */
  async enrichmentProgress(runId: string): Promise<{ pending: number; done: number }> {
    const [row]: { pending: number; done: number }[] = await this.dataSource.query(
      `SELECT count(*) FILTER (WHERE state = 'pending')::int AS pending,
              count(*) FILTER (WHERE state <> 'pending')::int AS done
         FROM alert_versions WHERE sync_run_id = $1`,
      [runId],
    );
    return row;
  }
}
