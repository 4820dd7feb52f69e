import { ApiProperty } from '@nestjs/swagger';
import type { SyncRunRow } from './sync-run.repository';

class SyncRunErrorView {
  @ApiProperty({ enum: ['auth', 'rate_limit', 'upstream', 'bad_response', 'internal'] }) class!: string;
  @ApiProperty() message!: string;
}

class SyncRunProgressView {
  @ApiProperty() chunksTotal!: number;
  @ApiProperty() chunksDone!: number;
  @ApiProperty() pagesListed!: number;
  @ApiProperty({ nullable: true, type: String }) listedUntil!: string | null;
  @ApiProperty({ nullable: true, type: Number }) enrichmentPending!: number | null;
  @ApiProperty({ nullable: true, type: Number }) enrichmentDone!: number | null;
}

/** One sync run as the history shows it. */
export class SyncRunView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) integrationId!: string;
  @ApiProperty({ enum: ['schedule', 'manual', 'backfill'] }) trigger!: string;
  @ApiProperty({ enum: ['live', 'backfill'], description: 'Live runs and backfills run side by side' })
  lane!: string;
  @ApiProperty({ description: 'A backfill that enriches alerts already stored again' })
  refreshDocuments!: boolean;
  @ApiProperty({ enum: ['running', 'succeeded', 'failed'] }) status!: string;
  @ApiProperty() startedAt!: string;
  @ApiProperty({ nullable: true, type: String }) finishedAt!: string | null;
  @ApiProperty() windowStart!: string;
  @ApiProperty() windowEnd!: string;
  @ApiProperty({ description: 'True when the run re-listed the last 7 days to catch changes' })
  relist!: boolean;
  @ApiProperty() alertsListed!: number;
  @ApiProperty() alertsNew!: number;
  @ApiProperty() alertsChanged!: number;
  @ApiProperty() alertsUnchanged!: number;
  @ApiProperty() alertsFiltered!: number;
  @ApiProperty({
    description:
      'Alerts listed for the first time that start before the horizon (the initial lookback, or the backfill range): not taken in',
  })
  alertsBeforeHorizon!: number;
  @ApiProperty({
    description: 'Lacework calls by kind and outcome, e.g. {"list": {"ok": 3}, "token": {"ok": 1}}',
    type: 'object',
    additionalProperties: { type: 'object', additionalProperties: { type: 'number' } },
  })
  apiCalls!: Record<string, Record<string, number>>;
  @ApiProperty() rateLimited!: number;
  @ApiProperty({ nullable: true, type: SyncRunErrorView }) error!: SyncRunErrorView | null;
  @ApiProperty({ type: SyncRunProgressView }) progress!: SyncRunProgressView;

  static of(r: SyncRunRow, enrichment: { pending: number; done: number } | null): SyncRunView {
    return {
      id: r.id,
      integrationId: r.integration_id,
      trigger: r.trigger,
      lane: r.lane,
      refreshDocuments: r.refresh_documents,
      status: r.status,
      startedAt: r.started_at.toISOString(),
      finishedAt: r.finished_at?.toISOString() ?? null,
      windowStart: r.window_start.toISOString(),
      windowEnd: r.window_end.toISOString(),
      relist: r.relist_from !== null,
      alertsListed: r.alerts_listed,
      alertsNew: r.alerts_new,
      alertsChanged: r.alerts_changed,
      alertsUnchanged: r.alerts_unchanged,
      alertsFiltered: r.alerts_filtered,
      alertsBeforeHorizon: r.alerts_before_horizon,
      apiCalls: r.api_calls,
      rateLimited: r.rate_limited,
      error: r.error_class === null ? null : { class: r.error_class, message: r.error_message ?? '' },
      progress: {
        chunksTotal: r.chunks_total,
        chunksDone: r.chunks_done,
        pagesListed: r.pages_listed,
        listedUntil: r.progress_at?.toISOString() ?? null,
        enrichmentPending: enrichment?.pending ?? null,
        enrichmentDone: enrichment?.done ?? null,
      },
    };
  }
}
