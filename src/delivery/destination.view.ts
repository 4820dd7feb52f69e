import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { DestinationRow } from './destination.repository';
import {
  DESTINATION_FORMATS,
  DESTINATION_KINDS,
  type DestinationFormat,
  type DestinationKind,
} from './senders/destination-sender';

/** A destination as responses show it: header names only, never the signing secret or header values. */
export class DestinationView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: DESTINATION_KINDS }) kind!: DestinationKind;
  @ApiProperty({ enum: DESTINATION_FORMATS }) format!: DestinationFormat;
  @ApiProperty() url!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: "The kind's settings, without its write-only values",
  })
  settings!: Record<string, unknown>;
  @ApiProperty({
    type: [String],
    description: 'Names of the write-only settings that are set (never their values)',
  })
  credentialNames!: string[];
  @ApiProperty({ description: 'Most events and bytes per request' })
  batch!: { maxEvents: number; maxBytes: number };
  @ApiProperty({ type: [String], description: 'Names of the static headers (values are never returned)' })
  headerNames!: string[];
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ enum: ['ok', 'failing', 'paused', 'disabled'] }) state!: string;
  @ApiProperty({ nullable: true, type: String }) pausedReason!: string | null;
  @ApiProperty({ nullable: true, type: String }) previousSecretValidUntil!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastSuccessAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
  @ApiPropertyOptional({ description: 'Only in the answer that created or rotated it' })
  signingSecret?: string;

  static of(d: DestinationRow, signingSecret?: string): DestinationView {
    const state = !d.enabled ? 'disabled' : d.paused_reason !== null ? 'paused' : 'ok';
    return {
      id: d.id,
      name: d.name,
      kind: d.kind,
      format: d.format,
      url: d.url,
      settings: d.settings,
      credentialNames: d.credential_names,
      batch: { maxEvents: d.batch_max_events, maxBytes: d.batch_max_bytes },
      headerNames: d.header_names,
      enabled: d.enabled,
      state,
      pausedReason: d.paused_reason,
      previousSecretValidUntil:
        d.previous_secret_expires_at && d.previous_secret_expires_at > new Date()
          ? d.previous_secret_expires_at.toISOString()
          : null,
      lastSuccessAt: d.last_success_at?.toISOString() ?? null,
      lastError: d.last_error,
      createdAt: d.created_at.toISOString(),
      updatedAt: d.updated_at.toISOString(),
      ...(signingSecret !== undefined ? { signingSecret } : {}),
    };
  }
}

export class DestinationTestView {
  @ApiProperty() ok!: boolean;
  @ApiProperty({ nullable: true, type: Number }) status!: number | null;
  @ApiProperty() latencyMs!: number;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({ description: "The destination's answer in words" }) answer!: string;
}
