import { ApiPropertyOptional } from '@nestjs/swagger';
import { Optional } from '../../common/optional.decorator';
import { IsBoolean, IsIn, IsObject, IsString, MaxLength, MinLength } from 'class-validator';
import {
  DESTINATION_FORMATS,
  DESTINATION_KINDS,
  type DestinationFormat,
  type DestinationKind,
} from '../senders/destination-sender';

/** How many alert versions one request may carry. */
export class BatchDto {
  @ApiPropertyOptional({ description: 'Most events per request (1 for webhooks)' })
  maxEvents?: number;

  @ApiPropertyOptional({ description: "Most bytes per request, within the kind's hard limit" })
  maxBytes?: number;
}

/** Fields of a destination; create requires name and url (checked by the service so the message names them). */
export class DestinationFieldsDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 100 })
  @Optional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({
    enum: DESTINATION_KINDS,
    default: 'webhook',
    description: 'Where alerts go; fixed once created',
  })
  @Optional()
  @IsIn(DESTINATION_KINDS, { message: `kind must be one of ${DESTINATION_KINDS.join(', ')}` })
  kind?: DestinationKind;

  @ApiPropertyOptional({
    enum: DESTINATION_FORMATS,
    default: 'document',
    description: 'document: the assembled alert byte for byte; ocsf: an OCSF 1.5.0 Detection Finding',
  })
  @Optional()
  @IsIn(DESTINATION_FORMATS, { message: `format must be one of ${DESTINATION_FORMATS.join(', ')}` })
  format?: DestinationFormat;

  @ApiPropertyOptional({
    description:
      "The kind's settings (see the README); tokens, keys, passwords and client secrets in it are write-only. A PATCH merges the given fields; a field set to null is removed",
    type: 'object',
    additionalProperties: true,
  })
  @Optional()
  @IsObject({ message: 'settings must be an object' })
  settings?: Record<string, unknown>;

  @ApiPropertyOptional({ type: BatchDto })
  @Optional()
  @IsObject({ message: 'batch must be an object' })
  batch?: BatchDto;

  @ApiPropertyOptional({
    example: 'https://pipeline.internal:8443/lacework',
    maxLength: 2048,
    description:
      'webhook: the receiver; splunk_hec: the collector; elasticsearch: the cluster; sentinel: the data collection endpoint; secops: the feed endpoint; syslog: tls://host:port',
  })
  @Optional()
  @IsString()
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({
    writeOnly: true,
    description: 'whsec_ + base64 of 24-64 random bytes; generated (and returned once) when omitted',
  })
  @Optional()
  @IsString()
  @MaxLength(200)
  signingSecret?: string;

  @ApiPropertyOptional({
    writeOnly: true,
    description:
      'Extra static headers sent with every delivery (e.g. an ingest token); stored encrypted. Required again (`{}` drops them) when a PATCH changes url',
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  @Optional()
  @IsObject()
  headers?: Record<string, unknown>;

  @ApiPropertyOptional({
    default: true,
    description: 'false stops deliveries; true resumes a paused destination',
  })
  @Optional()
  @IsBoolean()
  enabled?: boolean;
}

export class CreateDestinationDto extends DestinationFieldsDto {}

export class UpdateDestinationDto extends DestinationFieldsDto {
  @ApiPropertyOptional({
    description: 'Generate a new signing secret (returned once); the old one stays valid 24 h',
  })
  @Optional()
  @IsBoolean()
  rotateSigningSecret?: boolean;
}
