import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { PrunedTable, RetentionRepository } from './retention.repository';

/** Rows per DELETE: small enough that each statement holds its locks for a moment only. */
export const RETENTION_BATCH_SIZE = 500;
/** Batches per table in one pass, so a pass never holds up the scheduler's tick for long. */
const BATCHES_PER_PASS = 20;
/** A pass that found nothing more to delete waits this long before the next one. */
const PASS_EVERY_MS = 10 * 60_000;

export interface PruneResult {
  table: PrunedTable;
  deleted: number;
  batches: number;
}

/**
 * Prunes the call log, delivery attempts and sync run history after their configured ages. The scheduler calls
 * `pruneIfDue` on every tick; a pass runs every ten minutes, and on the next tick again while a backlog is left.
 */
@Injectable()
export class RetentionPruner {
  private readonly logger = new Logger(RetentionPruner.name);
  private nextPassAtMs = 0;

  constructor(
    private readonly retention: RetentionRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Runs a pass when one is due; returns what it deleted (empty when none was due). */
  async pruneIfDue(nowMs = Date.now()): Promise<PruneResult[]> {
    if (nowMs < this.nextPassAtMs) {
      return [];
    }
    this.nextPassAtMs = nowMs + PASS_EVERY_MS;
    const results = await this.prune();
    if (results.some((r) => r.batches === BATCHES_PER_PASS)) {
      this.nextPassAtMs = 0;
    }
    const deleted = results.filter((r) => r.deleted > 0);
    if (deleted.length > 0) {
      this.logger.log(`retention: deleted ${deleted.map((r) => `${r.deleted} ${r.table}`).join(', ')}`);
    }
    return results;
  }

  /** One pass over every table whose retention is set (0 days keeps its rows for ever). */
  async prune(): Promise<PruneResult[]> {
    const ages: [PrunedTable, number][] = [
      ['lacework_calls', this.config.retentionLaceworkCallsDays],
      ['delivery_attempts', this.config.retentionDeliveryAttemptsDays],
      ['sync_runs', this.config.retentionSyncRunsDays],
    ];
    const results: PruneResult[] = [];
    for (const [table, days] of ages) {
      if (days > 0) {
        results.push(await this.pruneTable(table, days));
      }
    }
    return results;
  }

  private async pruneTable(table: PrunedTable, days: number): Promise<PruneResult> {
    const result: PruneResult = { table, deleted: 0, batches: 0 };
    while (result.batches < BATCHES_PER_PASS) {
      const deleted = await this.retention.deleteBatch(table, days, RETENTION_BATCH_SIZE);
      result.batches += 1;
      result.deleted += deleted;
      if (deleted < RETENTION_BATCH_SIZE) {
        break;
      }
    }
    return result;
  }
}
