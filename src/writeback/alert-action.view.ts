import { ApiProperty } from '@nestjs/swagger';
import type { AlertActionAttemptRow, AlertActionRow } from './alert-action.repository';

export class AlertActionAttemptView {
  @ApiProperty() attempt!: number;
  @ApiProperty({ description: 'The process that sent it' }) workerId!: string;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finishedAt!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'done',
    description:
      'done, refused, rate_limited, unavailable, auth_error, error, interrupted (null while in flight)',
  })
  outcome!: string | null;

  @ApiProperty({ nullable: true, type: Number, description: "Lacework's HTTP status" }) status!:
    number | null;
  @ApiProperty({ nullable: true, type: String, description: "Lacework's answer or the error" })
  answer!: string | null;

  static of(a: AlertActionAttemptRow): AlertActionAttemptView {
    return {
      attempt: a.attempt,
      workerId: a.worker_id,
      startedAt: a.started_at.toISOString(),
      finishedAt: a.finished_at === null ? null : a.finished_at.toISOString(),
      outcome: a.outcome,
      status: a.status,
      answer: a.answer,
    };
  }
}

/** A close or comment asked of Lacework: who asked, what, and how it went. */
export class AlertActionView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'Our alert id' }) alertRowId!: string;
  @ApiProperty({ description: "Lacework's alert id" }) alertId!: string;
  @ApiProperty({ enum: ['close', 'comment'] }) kind!: string;
  @ApiProperty({ nullable: true, type: Number }) reason!: number | null;
  @ApiProperty({ nullable: true, type: String }) comment!: string | null;
  @ApiProperty({ nullable: true, type: String, enum: ['plaintext', 'markdown'] }) format!: string | null;
  @ApiProperty({ enum: ['pending', 'done', 'failed'] }) state!: string;
  @ApiProperty({ enum: ['admin', 'writeback'], description: 'Role of the token that asked for it' })
  requestedBy!: string;

  @ApiProperty({ nullable: true, type: String, description: 'x-request-id of the request that asked for it' })
  requestId!: string | null;

  @ApiProperty({ nullable: true, type: String }) idempotencyKey!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finishedAt!: string | null;
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'Next attempt, while pending',
  })
  nextAttemptAt!: string | null;

  @ApiProperty({ nullable: true, type: Number, description: "Lacework's status on the last attempt" })
  resultStatus!: number | null;

  @ApiProperty({ nullable: true, type: String, description: "Lacework's answer on the last attempt" })
  result!: string | null;

  @ApiProperty({ type: [AlertActionAttemptView] }) attempts!: AlertActionAttemptView[];

  static of(a: AlertActionRow, attempts: AlertActionAttemptRow[]): AlertActionView {
    return {
      id: a.id,
      alertRowId: String(a.alert_row_id),
      alertId: a.alert_id,
      kind: a.kind,
      reason: a.reason,
      comment: a.comment,
      format: a.format,
      state: a.state,
      requestedBy: a.requested_by,
      requestId: a.request_id,
      idempotencyKey: a.idempotency_key,
      createdAt: a.created_at.toISOString(),
      finishedAt: a.finished_at === null ? null : a.finished_at.toISOString(),
      nextAttemptAt: a.state === 'pending' ? a.next_attempt_at.toISOString() : null,
      resultStatus: a.result_status,
      result: a.result_answer,
      attempts: attempts.filter((t) => t.action_id === a.id).map((t) => AlertActionAttemptView.of(t)),
    };
  }
}
