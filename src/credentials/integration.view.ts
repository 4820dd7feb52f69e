import { ApiProperty } from '@nestjs/swagger';
import { IntegrationEntity } from './integration.entity';

/** An integration as every response shows it: never the secret, only its last characters. */
export class IntegrationView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'https://acme.lacework.net' }) organizationUrl!: string;
  @ApiProperty() keyId!: string;
  @ApiProperty({ nullable: true, type: String }) subAccount!: string | null;
  @ApiProperty({ description: 'Last 4 characters of the secret (empty for short secrets)' })
  secretHint!: string;
  @ApiProperty() pollIntervalSeconds!: number;
  @ApiProperty() initialLookbackHours!: number;
  @ApiProperty() requestsPerHour!: number;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ nullable: true, type: String }) minSeverity!: string | null;
  @ApiProperty({ nullable: true, type: [String] }) includeAlertTypes!: string[] | null;
  @ApiProperty({ nullable: true, type: [String] }) excludeAlertTypes!: string[] | null;
  @ApiProperty({ type: [String], description: 'Scopes each document carries after the six' })
  extraScopes!: string[];
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'The first of destinationIds' })
  destinationId!: string | null;
  @ApiProperty({ type: [String], description: 'Every destination alerts go to' }) destinationIds!: string[];
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
  @ApiProperty({
    required: false,
    type: [String],
    description: 'Set on create/update when a value was stored in another form than given',
  })
  notices?: string[];

  static of(i: IntegrationEntity): IntegrationView {
    return {
      id: i.id,
      name: i.name,
      organizationUrl: i.organizationUrl,
      keyId: i.keyId,
      subAccount: i.subAccount,
      secretHint: i.secretHint,
      pollIntervalSeconds: i.pollIntervalSeconds,
      initialLookbackHours: i.initialLookbackHours,
      requestsPerHour: i.requestsPerHour,
      enabled: i.enabled,
      minSeverity: i.minSeverity,
      includeAlertTypes: i.includeAlertTypes,
      excludeAlertTypes: i.excludeAlertTypes,
      extraScopes: i.extraScopes,
      destinationId: i.destinationId,
      destinationIds: i.destinationIds,
      createdAt: i.createdAt.toISOString(),
      updatedAt: i.updatedAt.toISOString(),
    };
  }
}

/** The view with a notice when the organization URL was stored in another form than the one given. */
export function withOrganizationUrlNotice(view: IntegrationView, given: string | null): IntegrationView {
  return given === null
    ? view
    : { ...view, notices: [`organizationUrl: stored as ${view.organizationUrl} (given: ${given})`] };
}

export class ConnectionTestErrorView {
  @ApiProperty({ enum: ['invalid_credentials', 'forbidden', 'unreachable', 'rate_limited', 'bad_response'] })
  code!: 'invalid_credentials' | 'forbidden' | 'unreachable' | 'rate_limited' | 'bad_response';

  @ApiProperty() message!: string;
}

export class ConnectionTestView {
  @ApiProperty() ok!: boolean;
  @ApiProperty({ required: false }) latencyMs?: number;
  @ApiProperty({ required: false }) alertsLastHour?: number;
  @ApiProperty({ required: false, type: ConnectionTestErrorView }) error?: ConnectionTestErrorView;
}
