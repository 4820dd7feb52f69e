import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Optional } from '../../common/optional.decorator';
import { EXTRA_SCOPE_NAMES, ExtraScopeName } from '../../lacework/lacework.types';

export const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', 'Info'] as const;
export type Severity = (typeof SEVERITIES)[number];
const PRINTABLE = /^[\x21-\x7e]+$/;

/** Fields shared by create and update; all optional here, create makes some required by its own rules. */
export class IntegrationFieldsDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 100 })
  @Optional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ example: 'https://acme.lacework.net' })
  @Optional()
  @IsString()
  @MaxLength(2048)
  organizationUrl?: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 128 })
  @Optional()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  @Matches(PRINTABLE, { message: 'keyId must be printable characters without spaces' })
  keyId?: string;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: 256,
    writeOnly: true,
    description: 'Required again (or apiKeyFile) when a PATCH changes organizationUrl',
  })
  @Optional()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  secret?: string;

  @ApiPropertyOptional({ nullable: true, maxLength: 128 })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  @Matches(/^[A-Za-z0-9._-]+$/, {
    message: 'subAccount must be letters, digits, dots, dashes or underscores',
  })
  subAccount?: string | null;

  @ApiPropertyOptional({
    writeOnly: true,
    description:
      'The JSON key file the Lacework console downloads (keyId, secret, account, subAccount), as an object or its ' +
      'text; or the text of a FortiCloud API credentials file (apiId: and password: lines; give organizationUrl too)',
    oneOf: [
      { type: 'object', additionalProperties: true },
      { type: 'string', maxLength: 65536 },
    ],
  })
  @IsOptional()
  @ValidateIf((_, v) => typeof v !== 'string')
  @IsObject({ message: 'apiKeyFile must be a JSON object or the text of a key file' })
  apiKeyFile?: Record<string, unknown> | string;

  @ApiPropertyOptional({ minimum: 60, maximum: 86400, default: 300 })
  @Optional()
  @IsInt()
  @Min(60)
  @Max(86400)
  pollIntervalSeconds?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 168, default: 24 })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(168)
  initialLookbackHours?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100000, default: 480 })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(100000)
  requestsPerHour?: number;

  @ApiPropertyOptional({ default: true })
  @Optional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({
    enum: SEVERITIES,
    nullable: true,
    description: 'Alerts below it are stored, not enriched',
  })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsIn(SEVERITIES)
  minSeverity?: Severity | null;

  @ApiPropertyOptional({ type: [String], nullable: true })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  includeAlertTypes?: string[] | null;

  @ApiPropertyOptional({ type: [String], nullable: true })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  excludeAlertTypes?: string[] | null;

  @ApiPropertyOptional({
    type: [String],
    enum: EXTRA_SCOPE_NAMES,
    default: [],
    description:
      'Scopes added to each document after the six (one more Lacework call per alert each); applies to alert ' +
      'versions enriched from now on',
  })
  @Optional()
  @IsArray()
  @ArrayUnique({ message: 'extraScopes must not repeat a scope' })
  @IsIn(EXTRA_SCOPE_NAMES, {
    each: true,
    message: `extraScopes must be among: ${EXTRA_SCOPE_NAMES.join(', ')}`,
  })
  extraScopes?: ExtraScopeName[];

  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    description: 'One destination (the same as destinationIds with one entry; null for none)',
  })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsUUID('all', { message: 'destinationId must be a UUID' })
  destinationId?: string | null;

  @ApiPropertyOptional({
    type: [String],
    description: 'Every destination alerts go to (at most 10): each gets every alert version once',
  })
  @Optional()
  @IsArray({ message: 'destinationIds must be an array' })
  @ArrayMaxSize(10, { message: 'destinationIds must have at most 10 entries' })
  @ArrayUnique({ message: 'destinationIds must not repeat a destination' })
  @IsUUID('all', { each: true, message: 'destinationIds must hold UUIDs' })
  destinationIds?: string[];
}

export class CreateIntegrationDto extends IntegrationFieldsDto {}

export class UpdateIntegrationDto extends IntegrationFieldsDto {}

export class DeleteIntegrationQueryDto {
  @ApiPropertyOptional({ description: 'Also delete its alerts, versions, deliveries and sync history' })
  @Optional()
  @Type(() => String)
  @IsIn(['true', 'false'])
  purge?: 'true' | 'false';
}
