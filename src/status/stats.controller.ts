import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { TimeseriesQueryDto } from './dto/timeseries.query';
import { StatsService } from './stats.service';
import { TimeseriesView } from './timeseries.view';

@ApiTags('stats')
@ApiBearerAuth()
@Controller('stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  /** Counts per hour or day for charts. */
  @Get('timeseries')
  @ApiOkResponse({ type: TimeseriesView })
  timeseries(@Query() query: TimeseriesQueryDto): Promise<TimeseriesView> {
    return this.stats.timeseriesOf(query);
  }
}
