import { ApiProperty } from '@nestjs/swagger';
import { TIMESERIES_BUCKETS, TIMESERIES_METRICS } from './dto/timeseries.query';

export class TimeseriesBucketView {
  @ApiProperty({ format: 'date-time', description: 'Start of the UTC hour or day' }) start!: string;
  @ApiProperty() value!: number;
}

/** One metric over time, for a chart; the buckets add up to `total`. */
export class TimeseriesView {
  @ApiProperty({ enum: TIMESERIES_METRICS }) metric!: string;
  @ApiProperty({ enum: TIMESERIES_BUCKETS }) bucket!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'Null: every integration' })
  integrationId!: string | null;

  @ApiProperty({ format: 'date-time', description: 'Inclusive' }) since!: string;
  @ApiProperty({ format: 'date-time', description: 'Exclusive' }) until!: string;
  @ApiProperty({ description: 'Sum of the buckets' }) total!: number;
  @ApiProperty({ type: [TimeseriesBucketView] }) buckets!: TimeseriesBucketView[];
}
