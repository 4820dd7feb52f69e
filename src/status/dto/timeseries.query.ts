import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID, ValidateBy } from 'class-validator';
import { isRfc3339DateTime } from './list-alerts.query';

export const TIMESERIES_METRICS = [
  'alerts_synced',
  'alerts_delivered',
  'api_calls',
  'rate_limited',
  'delivery_failures',
] as const;
export type TimeseriesMetric = (typeof TIMESERIES_METRICS)[number];

export const TIMESERIES_BUCKETS = ['1h', '1d'] as const;
export type TimeseriesBucket = (typeof TIMESERIES_BUCKETS)[number];

const IsDateTime = (property: string): PropertyDecorator =>
  ValidateBy(
    { name: 'isRfc3339DateTime', validator: { validate: isRfc3339DateTime } },
    { message: `${property}: must be an RFC 3339 date-time such as 2024-05-01T00:00:00Z` },
  );

/** `GET /stats/timeseries`; every message names its parameter. */
export class TimeseriesQueryDto {
  @ApiProperty({
    enum: TIMESERIES_METRICS,
    description:
      'alerts_synced: alert versions stored (new + changed) by the runs started in the bucket; ' +
      'alerts_delivered: deliveries delivered in the bucket; api_calls: Lacework requests sent; ' +
      'rate_limited: Lacework answers 429; delivery_failures: delivery attempts not answered 2xx',
  })
  @IsIn(TIMESERIES_METRICS, { message: `metric: must be one of ${TIMESERIES_METRICS.join(', ')}` })
  metric!: TimeseriesMetric;

  @ApiPropertyOptional({
    enum: TIMESERIES_BUCKETS,
    default: '1h',
    description: 'Buckets start on UTC hours or days',
  })
  @IsOptional()
  @IsIn(TIMESERIES_BUCKETS, { message: `bucket: must be one of ${TIMESERIES_BUCKETS.join(', ')}` })
  bucket?: TimeseriesBucket;

  @ApiPropertyOptional({ format: 'uuid', description: 'One integration; default all of them' })
  @IsOptional()
  @IsUUID('all', { message: 'integrationId: must be a UUID' })
  integrationId?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Inclusive; default 24 hours (1h buckets) or 30 days (1d buckets) before until',
  })
  @IsOptional()
  @IsDateTime('since')
  since?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive; default now' })
  @IsOptional()
  @IsDateTime('until')
  until?: string;
}
