import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** The tables that grow with every request, attempt and run, and are pruned by age. */
export type PrunedTable = 'lacework_calls' | 'delivery_attempts' | 'sync_runs';

/**
 * One batch per statement: rows older than the cutoff, oldest first, skipping any row another transaction holds,
 * so a batch never waits for a lock and holds its own only for the length of one short DELETE.
 */
const DELETE_BATCH_SQL: Record<PrunedTable, string> = {
  lacework_calls: `
    DELETE FROM lacework_calls WHERE id IN (
      SELECT id FROM lacework_calls WHERE at < now() - $1 * interval '1 day'
       ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  delivery_attempts: `
    DELETE FROM delivery_attempts WHERE id IN (
      SELECT id FROM delivery_attempts WHERE attempted_at < now() - $1 * interval '1 day'
       ORDER BY attempted_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  // Finished runs only, and never the last three of an integration: its health is judged on them.
  sync_runs: `
    DELETE FROM sync_runs WHERE id IN (
      SELECT s.id FROM sync_runs s
       WHERE s.finished_at IS NOT NULL AND s.finished_at < now() - $1 * interval '1 day'
         AND s.id NOT IN (SELECT k.id FROM sync_runs k
                           WHERE k.integration_id = s.integration_id AND k.status <> 'running'
                           ORDER BY k.started_at DESC, k.id DESC LIMIT 3)
       ORDER BY s.finished_at LIMIT $2 FOR UPDATE OF s SKIP LOCKED)`,
};

/** Deletes old rows of the log tables in small batches; documents and alerts are never touched here. */
@Injectable()
export class RetentionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Deletes up to `limit` rows of `table` older than `days` days; returns how many it deleted. */
  async deleteBatch(table: PrunedTable, days: number, limit: number): Promise<number> {
    const result: [unknown, number] = await this.dataSource.query(DELETE_BATCH_SQL[table], [days, limit]);
    return result[1] ?? 0;
  }
}
