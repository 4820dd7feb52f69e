import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  ValidateBy,
  ValidationOptions,
} from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { SEVERITIES, Severity } from '../../credentials/dto/integration-fields';

export const ALERT_STATES = ['pending', 'complete', 'incomplete', 'filtered', 'gone', 'failed'] as const;
export type AlertState = (typeof ALERT_STATES)[number];
export const ALERT_DELIVERY_FILTERS = [
  'pending',
  'failed',
  'delivered',
  'dead',
  'superseded',
  'none',
] as const;

const RFC3339_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;

/** True for a full RFC 3339 date-time with an offset, naming a day that exists (no 2024-02-30). */
export function isRfc3339DateTime(value: unknown): value is string {
  if (typeof value !== 'string') {
    return false;
  }
  const m = RFC3339_DATE_TIME.exec(value);
  if (m === null) {
    return false;
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const offsetHours = m[9] === undefined ? 0 : Number(m[9]);
  const offsetMinutes = m[10] === undefined ? 0 : Number(m[10]);
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    year >= 1 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    // PostgreSQL refuses offsets beyond 15:59; no real zone comes near.
    offsetHours <= 15 &&
    offsetMinutes <= 59
  );
}

const MAX_BIGINT = 9223372036854775807n;

/** True for the decimal text of a `bigint` row id: 1 to 2^63-1, digits only. */
export function isRowId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    /^[0-9]{1,19}$/.test(value) &&
    BigInt(value) >= 1n &&
    BigInt(value) <= MAX_BIGINT
  );
}

function IsRfc3339DateTime(options: ValidationOptions): PropertyDecorator {
  return ValidateBy({ name: 'isRfc3339DateTime', validator: { validate: isRfc3339DateTime } }, options);
}

const MAX_INT4 = 2147483647;

// One check, so a bad value yields one message rather than one per broken rule.
function IsPositiveInt4(options: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPositiveInt4',
      validator: { validate: (v: unknown) => Number.isInteger(v) && Number(v) >= 1 && Number(v) <= MAX_INT4 },
    },
    options,
  );
}

// A query string holds one value for `?severity=High` and an array for `?severity=High&severity=Low`.
const toArray = ({ value }: { value: unknown }): unknown => (Array.isArray(value) ? value : [value]);

/** Filters of `GET /alerts`; every message names its parameter. */
export class ListAlertsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'integrationId: must be a UUID' })
  integrationId?: string;

  @ApiPropertyOptional({ enum: SEVERITIES, isArray: true, description: 'Repeat to match any of several' })
  @IsOptional()
  @Transform(toArray)
  @IsArray({ message: 'severity: must be one or more severities' })
  @ArrayMaxSize(SEVERITIES.length * 4, { message: 'severity: too many values' })
  @IsIn(SEVERITIES, { each: true, message: `severity: must be one of ${SEVERITIES.join(', ')}` })
  severity?: Severity[];

  @ApiPropertyOptional({ example: 'Open' })
  @IsOptional()
  @IsString({ message: 'status: must be a single string' })
  @MaxLength(32, { message: 'status: must be at most 32 characters' })
  status?: string;

  @ApiPropertyOptional({ enum: ALERT_STATES })
  @IsOptional()
  @IsIn(ALERT_STATES, { message: `state: must be one of ${ALERT_STATES.join(', ')}` })
  state?: AlertState;

  @ApiPropertyOptional({ example: 'UnauthorizedAPICall', description: 'Lacework alert type, exactly' })
  @IsOptional()
  @IsString({ message: 'alertType: must be a single string' })
  @MaxLength(200, { message: 'alertType: must be at most 200 characters' })
  alertType?: string;

  @ApiPropertyOptional({
    enum: ALERT_DELIVERY_FILTERS,
    description: "State of the current version's delivery; none: it has no delivery",
  })
  @IsOptional()
  @IsIn(ALERT_DELIVERY_FILTERS, { message: `delivery: must be one of ${ALERT_DELIVERY_FILTERS.join(', ')}` })
  delivery?: (typeof ALERT_DELIVERY_FILTERS)[number];

  @ApiPropertyOptional({ format: 'date-time', description: 'start_time at or after (inclusive)' })
  @IsOptional()
  @IsRfc3339DateTime({ message: 'since: must be an RFC 3339 date-time such as 2024-05-01T00:00:00Z' })
  since?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'start_time before (exclusive)' })
  @IsOptional()
  @IsRfc3339DateTime({ message: 'until: must be an RFC 3339 date-time such as 2024-05-01T00:00:00Z' })
  until?: string;
}

/** `?version=` of `GET /alerts/:id/document`. */
export class AlertDocumentQueryDto {
  @ApiPropertyOptional({ minimum: 1, description: 'Default: the newest version that has a document' })
  @IsOptional()
  @Type(() => Number)
  @IsPositiveInt4({ message: 'version: must be a positive integer' })
  version?: number;
}
