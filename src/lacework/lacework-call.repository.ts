import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { CallEvent } from './lacework.types';

interface PendingCall extends CallEvent {
  runId: string | null;
}

const FLUSH_EVERY_MS = 500;
const FLUSH_AT = 200;

/** Writes Lacework call events to `lacework_calls` in batches, off the request path. */
@Injectable()
export class LaceworkCallRepository implements OnModuleDestroy {
  private readonly logger = new Logger(LaceworkCallRepository.name);
  private pending: PendingCall[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  record(call: PendingCall): void {
    this.pending.push(call);
    if (this.pending.length >= FLUSH_AT) {
      void this.flush();
    } else if (this.timer === null) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_EVERY_MS);
    }
  }

  /** Writes everything recorded so far; resolves once it is stored. */
  async flush(): Promise<void> {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(() => this.write(batch));
    await this.flushing;
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }

  /** Counts of a run's calls by kind and outcome, e.g. `{"list": {"ok": 3}, "token": {"ok": 1}}`. */
  async countByRun(runId: string): Promise<Record<string, Record<string, number>>> {
    await this.flush();
    const rows: { kind: string; outcome: string; n: number }[] = await this.dataSource.query(
      `SELECT kind, outcome, count(*)::int AS n FROM lacework_calls WHERE run_id = $1 GROUP BY kind, outcome`,
      [runId],
    );
    const result: Record<string, Record<string, number>> = {};
    for (const row of rows) {
      result[row.kind] = { ...(result[row.kind] ?? {}), [row.outcome]: row.n };
    }
    return result;
  }

  private async write(batch: PendingCall[]): Promise<void> {
    if (batch.length === 0) {
      return;
    }
    try {
      await this.dataSource.query(
        `INSERT INTO lacework_calls (integration_id, run_id, at, kind, outcome, status, duration_ms)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::text[], $5::text[], $6::int[], $7::int[])`,
        [
          batch.map((c) => c.integrationId),
          batch.map((c) => c.runId),
          batch.map((c) => c.at),
          batch.map((c) => c.kind),
          batch.map((c) => c.outcome),
          batch.map((c) => c.status),
          batch.map((c) => Math.round(c.durationMs)),
        ],
      );
    } catch (error) {
      // The call log feeds history and charts; losing a batch must not stop syncing.
      this.logger.warn(`could not store ${batch.length} Lacework call records: ${(error as Error).message}`);
    }
  }
}
