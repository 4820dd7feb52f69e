import { ApiProperty } from '@nestjs/swagger';
import type { AttemptRow, DeliveryRow } from './delivery.repository';

export class DeliveryView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'Our id of the alert (as in /alerts/:id)' }) alertRowId!: string;
  @ApiProperty({ description: "Lacework's alert id" }) alertId!: string;
  @ApiProperty() version!: number;
  @ApiProperty({ format: 'uuid' }) integrationId!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) destinationId!: string | null;
  @ApiProperty({ description: 'Stable per alert version: the same on every retry and replay' })
  webhookId!: string;
  @ApiProperty({ enum: ['pending', 'failed', 'delivered', 'dead', 'superseded'] }) state!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty() nextAttemptAt!: string;
  @ApiProperty({ nullable: true, type: Number }) lastStatus!: number | null;
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;
  @ApiProperty({ nullable: true, type: String }) deliveredAt!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;

  static of(d: DeliveryRow): DeliveryView {
    return {
      id: d.id,
      alertRowId: String(d.alert_row_id),
      alertId: d.alert_id,
      version: d.version,
      integrationId: d.integration_id,
      destinationId: d.destination_id,
      webhookId: d.webhook_id,
      state: d.state,
      attempts: d.attempts,
      nextAttemptAt: d.next_attempt_at.toISOString(),
      lastStatus: d.last_status,
      lastError: d.last_error,
      deliveredAt: d.delivered_at?.toISOString() ?? null,
      createdAt: d.created_at.toISOString(),
      updatedAt: d.updated_at.toISOString(),
    };
  }
}

export class DeliveryAttemptView {
  @ApiProperty() attemptedAt!: string;
  @ApiProperty({ nullable: true, type: Number }) statusCode!: number | null;
  @ApiProperty() latencyMs!: number;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;

  static of(a: AttemptRow): DeliveryAttemptView {
    return {
      attemptedAt: a.attempted_at.toISOString(),
      statusCode: a.status_code,
      latencyMs: a.latency_ms,
      error: a.error,
    };
  }
}

export class DeliveryDetailView extends DeliveryView {
  @ApiProperty({ type: [DeliveryAttemptView] }) attemptLog!: DeliveryAttemptView[];
}
