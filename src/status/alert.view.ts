import { ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { EXTRA_SCOPE_NAMES, SCOPE_NAMES } from '../lacework/lacework.types';
import { AlertActionView } from '../writeback/alert-action.view';
import type { AlertDeliveryRow, AlertRow, AlertScopeRow, AlertVersionRow } from './alert.repository';
import { ALERT_STATES } from './dto/list-alerts.query';

const SCOPE_OUTCOMES = ['ok', 'empty', 'unsupported', 'failed', 'pending'] as const;
const VERSION_STATES = [
  'pending',
  'complete',
  'incomplete',
  'filtered',
  'gone',
  'superseded',
  'failed',
] as const;

/** An alert as lists show it: the fields of its current version. */
export class AlertSummaryView {
  @ApiProperty({ description: 'Our id (decimal string of a 64-bit integer)', example: '12' }) id!: string;
  @ApiProperty({ format: 'uuid' }) integrationId!: string;
  @ApiProperty({ description: "Lacework's alert id, as a string", example: '967278' }) alertId!: string;
  @ApiProperty({ description: 'The current version' }) version!: number;
  @ApiProperty({ example: 'High' }) severity!: string;
  @ApiProperty({ example: 'Open' }) status!: string;
  @ApiProperty() alertType!: string;
  @ApiProperty() alertName!: string;
  @ApiProperty({ format: 'date-time' }) startTime!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) endTime!: string | null;
  @ApiProperty({ enum: ALERT_STATES }) state!: string;
  @ApiProperty({ type: [String], description: 'Scopes that failed for good in the current version' })
  failedScopes!: string[];

  @ApiProperty({ format: 'date-time' }) firstSeenAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;

  static of(a: AlertRow): AlertSummaryView {
    return {
      id: a.id,
      integrationId: a.integration_id,
      alertId: a.alert_id,
      version: a.current_version,
      severity: a.severity,
      status: a.status,
      alertType: a.alert_type,
      alertName: a.alert_name,
      startTime: a.start_time.toISOString(),
      endTime: a.end_time === null ? null : a.end_time.toISOString(),
      state: a.state,
      failedScopes: a.failed_scopes,
      firstSeenAt: a.first_seen_at.toISOString(),
      updatedAt: a.updated_at.toISOString(),
    };
  }
}

export class ScopeOutcomeView {
  @ApiProperty({ enum: SCOPE_OUTCOMES }) outcome!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;

  static of(s: AlertScopeRow | undefined): ScopeOutcomeView {
    // No row yet means the scope has not been fetched.
    return s === undefined
      ? { outcome: 'pending', attempts: 0, error: null }
      : { outcome: s.outcome, attempts: s.attempts, error: s.last_error };
  }
}

export class AlertDeliveryView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'delivered' }) state!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) destinationId!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) deliveredAt!: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'HTTP status of the last attempt' })
  lastStatus!: number | null;

  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;

  static of(d: AlertDeliveryRow): AlertDeliveryView {
    return {
      id: d.id,
      state: d.state,
      attempts: d.attempts,
      destinationId: d.destination_id,
      deliveredAt: d.delivered_at === null ? null : d.delivered_at.toISOString(),
      lastStatus: d.last_status,
      lastError: d.last_error,
    };
  }
}

export class AlertVersionView {
  @ApiProperty() version!: number;
  @ApiProperty({ enum: VERSION_STATES, example: 'complete' }) state!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) completedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'SHA-256 of the assembled document' })
  documentHash!: string | null;

  @ApiProperty({ type: [String] }) failedScopes!: string[];

  @ApiProperty({
    description: 'Attempts that failed outside the scopes (assembling or storing the document)',
  })
  failedAttempts!: number;

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Why the last such attempt failed; with state `failed`, why the version stopped',
  })
  lastError!: string | null;

  @ApiProperty({
    description: `One entry per scope, in the order ${SCOPE_NAMES.join(', ')}, then any extra scope (${EXTRA_SCOPE_NAMES.join(', ')}) the version was enriched with`,
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(ScopeOutcomeView) },
  })
  scopes!: Record<string, ScopeOutcomeView>;

  @ApiProperty({ type: [AlertDeliveryView] }) deliveries!: AlertDeliveryView[];

  static of(v: AlertVersionRow, scopes: AlertScopeRow[], deliveries: AlertDeliveryRow[]): AlertVersionView {
    const byScope = new Map(scopes.map((s) => [s.scope, s]));
    const outcomes: Record<string, ScopeOutcomeView> = {};
    // The six always; an extra scope only where this version was enriched with it.
    for (const name of [...SCOPE_NAMES, ...EXTRA_SCOPE_NAMES.filter((extra) => byScope.has(extra))]) {
      outcomes[name] = ScopeOutcomeView.of(byScope.get(name));
    }
    return {
      version: v.version,
      state: v.state,
      createdAt: v.created_at.toISOString(),
      completedAt: v.completed_at === null ? null : v.completed_at.toISOString(),
      documentHash: v.document_hash,
      failedScopes: v.failed_scopes,
      failedAttempts: v.failed_attempts,
      lastError: v.last_error,
      scopes: outcomes,
      deliveries: deliveries.map((d) => AlertDeliveryView.of(d)),
    };
  }
}

/** One alert with every version, newest first, each with its scope outcomes and deliveries. */
export class AlertDetailView extends AlertSummaryView {
  @ApiProperty({ nullable: true, type: String, description: 'The alert in the Lacework console' })
  consoleUrl!: string | null;

  @ApiProperty({ type: [AlertVersionView] }) versions!: AlertVersionView[];
  @ApiProperty({ type: [AlertActionView], description: 'Closes and comments sent (or to send) to Lacework' })
  actions!: AlertActionView[];
}

export class AlertPageView {
  @ApiProperty({ type: [AlertSummaryView] }) items!: AlertSummaryView[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as `cursor` for the next page; null at the end',
  })
  nextCursor!: string | null;
}
