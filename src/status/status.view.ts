import { ApiProperty } from '@nestjs/swagger';
import { DESTINATION_STATES, HEALTH_STATES } from './integration-health';
import type { DestinationState, Health } from './integration-health';

const SEVERITY_COUNTS = {
  type: 'object',
  additionalProperties: { type: 'integer' },
  example: { Critical: 1, High: 4, Medium: 10, Low: 2, Info: 0 },
} as const;

export class SyncRunErrorSummaryView {
  @ApiProperty({ enum: ['auth', 'rate_limit', 'upstream', 'bad_response', 'internal'] }) class!: string;
  @ApiProperty() message!: string;
}

/** The latest sync run, in short. */
export class LastRunView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['schedule', 'manual', 'backfill'] }) trigger!: string;
  @ApiProperty({ enum: ['running', 'succeeded', 'failed'] }) status!: string;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finishedAt!: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Null while running' })
  durationSeconds!: number | null;

  @ApiProperty() alertsListed!: number;
  @ApiProperty() alertsNew!: number;
  @ApiProperty() alertsChanged!: number;
  @ApiProperty({ description: 'Lacework answers 429 during the run' }) rateLimited!: number;
  @ApiProperty({ nullable: true, type: SyncRunErrorSummaryView }) error!: SyncRunErrorSummaryView | null;
}

export class BacklogView {
  @ApiProperty({ description: 'Alert versions waiting for their scopes' }) enrichmentPending!: number;
  @ApiProperty({
    description: 'Alert versions whose enrichment failed for good (assembly or storing); replay them by hand',
  })
  enrichmentFailed!: number;

  @ApiProperty({ description: 'Alerts whose current version misses a scope for good' }) incomplete!: number;
  @ApiProperty({ description: 'Deliveries not yet made (pending, or failed with a retry scheduled)' })
  deliveryPending!: number;

  @ApiProperty({ description: 'Deliveries that spent every attempt' }) deliveryDead!: number;
}

export class BudgetView {
  @ApiProperty({ description: "The integration's Lacework request limit per rolling hour" })
  requestsPerHour!: number;

  @ApiProperty({
    description:
      "The rate the integration's API key is paced at now: lowered after a 429, climbing back slowly to the " +
      'configured one; shared by every integration on the key (the smallest configured rate among them)',
  })
  learnedRequestsPerHour!: number;

  @ApiProperty({ description: 'Requests started in the current window' }) usedLastHour!: number;
  @ApiProperty({ description: 'Lacework answers 429 in the current window' }) rateLimitedLastHour!: number;
  @ApiProperty({
    nullable: true,
    type: Number,
    description:
      'Minutes the request budget needs for the enrichment backlog (six calls each) at the learned rate; null while paused',
  })
  projectedBacklogDrainMinutes!: number | null;
}

/** One integration at a glance. */
export class IntegrationStatusView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ enum: HEALTH_STATES, description: 'See "Dashboard and health rules" in the README' })
  health!: Health;

  @ApiProperty({ nullable: true, type: String, description: 'Why the health is not ok; null when ok' })
  healthReason!: string | null;

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'What to do about the current problem (e.g. rotate a revoked key); null when nothing',
  })
  advice!: string | null;

  @ApiProperty({ nullable: true, type: LastRunView }) lastRun!: LastRunView | null;
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'End of the last successful run',
  })
  lastSuccessAt!: string | null;

  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'Alerts are listed up to here; the next poll starts from it',
  })
  cursor!: string | null;

  @ApiProperty({ nullable: true, type: Number, description: 'Seconds between the cursor and now' })
  lagSeconds!: number | null;

  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: "When Lacework's webhook alert channel last sent this integration a hint (null: never)",
  })
  lastHintAt!: string | null;

  @ApiProperty({ nullable: true, type: Number, description: 'Seconds since the last hint' })
  lastHintAgeSeconds!: number | null;

  @ApiProperty({ type: BacklogView }) backlog!: BacklogView;
  @ApiProperty({
    ...SEVERITY_COUNTS,
    description: 'Alerts whose start time is in the last 24 hours, by severity',
  })
  alertsLast24h!: Record<string, number>;

  @ApiProperty({ type: BudgetView }) budget!: BudgetView;
}

export class DestinationStatusView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({
    enum: DESTINATION_STATES,
    description: 'paused: disabled or circuit open; failing: deliveries to it are being retried',
  })
  state!: DestinationState;

  @ApiProperty({ nullable: true, type: String, description: 'Why it is paused' }) reason!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastSuccessAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Share of delivery attempts of the last 24 h answered 2xx (0..1); null without attempts',
  })
  successRate24h!: number | null;

  @ApiProperty({ description: 'Delivery attempts of the last 24 h' }) attempts24h!: number;
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'Creation time of the oldest delivery not yet made (pending or awaiting a retry)',
  })
  oldestUndeliveredAt!: string | null;

  @ApiProperty({ description: 'Deliveries to it that spent every attempt' }) dead!: number;
}

export class HealthCountsView {
  @ApiProperty() ok!: number;
  @ApiProperty() degraded!: number;
  @ApiProperty() failing!: number;
  @ApiProperty() paused!: number;
  @ApiProperty() never_synced!: number;
}

/** Sums over the active integrations. */
export class StatusTotalsView {
  @ApiProperty() integrations!: number;
  @ApiProperty({ type: HealthCountsView }) health!: HealthCountsView;
  @ApiProperty() destinations!: number;
  @ApiProperty({ description: 'Destinations not ok' }) destinationsNotOk!: number;
  @ApiProperty({ ...SEVERITY_COUNTS }) alertsLast24h!: Record<string, number>;
  @ApiProperty() enrichmentPending!: number;
  @ApiProperty() enrichmentFailed!: number;
  @ApiProperty() incomplete!: number;
  @ApiProperty() deliveryPending!: number;
  @ApiProperty() deliveryDead!: number;
  @ApiProperty() requestsLastHour!: number;
  @ApiProperty() rateLimitedLastHour!: number;
}

/** `GET /status`: every active integration and destination. */
export class StatusView {
  @ApiProperty({ format: 'date-time', description: 'When these figures were read (served up to 1 s old)' })
  generatedAt!: string;

  @ApiProperty({ type: StatusTotalsView }) totals!: StatusTotalsView;
  @ApiProperty({ type: [IntegrationStatusView] }) integrations!: IntegrationStatusView[];
  @ApiProperty({ type: [DestinationStatusView] }) destinations!: DestinationStatusView[];
}
