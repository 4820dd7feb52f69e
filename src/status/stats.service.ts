import { Injectable } from '@nestjs/common';
import { InvalidInputError, NotFoundError } from '../common/domain.errors';
import { HOUR_MS } from '../common/time';
import { TimeseriesBucket, TimeseriesQueryDto } from './dto/timeseries.query';
import { TimeseriesRepository } from './timeseries.repository';
import { TimeseriesView } from './timeseries.view';

const BUCKET_MS: Record<TimeseriesBucket, number> = { '1h': HOUR_MS, '1d': 24 * HOUR_MS };
const DEFAULT_RANGE_MS: Record<TimeseriesBucket, number> = { '1h': 24 * HOUR_MS, '1d': 30 * 24 * HOUR_MS };
export const MAX_BUCKETS = 1000;

/** Counts over time for the dashboard's charts. */
@Injectable()
export class StatsService {
  constructor(private readonly timeseries: TimeseriesRepository) {}

  /** One metric in UTC hour or day buckets over `[since, until)`; InvalidInputError naming the bad parameter. */
  async timeseriesOf(query: TimeseriesQueryDto, nowMs = Date.now()): Promise<TimeseriesView> {
    const bucket = query.bucket ?? '1h';
    const until = query.until === undefined ? new Date(nowMs) : new Date(query.until);
    const since =
      query.since === undefined
        ? new Date(until.getTime() - DEFAULT_RANGE_MS[bucket])
        : new Date(query.since);
    if (since.getTime() >= until.getTime()) {
      throw new InvalidInputError('until', 'must be after since');
    }
    if ((until.getTime() - since.getTime()) / BUCKET_MS[bucket] > MAX_BUCKETS) {
      throw new InvalidInputError('since', `the range holds more than ${MAX_BUCKETS} buckets of ${bucket}`);
    }
    const integrationId = query.integrationId ?? null;
    if (integrationId !== null && !(await this.timeseries.integrationExists(integrationId))) {
      throw new NotFoundError(`integration ${integrationId} not found`);
    }
    const rows = await this.timeseries.buckets(query.metric, bucket, since, until, integrationId);
    return {
      metric: query.metric,
      bucket,
      integrationId,
      since: since.toISOString(),
      until: until.toISOString(),
      total: rows.reduce((sum, r) => sum + r.value, 0),
      buckets: rows.map((r) => ({ start: r.bucket_start.toISOString(), value: r.value })),
    };
  }
}
