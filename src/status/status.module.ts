import { Module } from '@nestjs/common';
import { WritebackModule } from '../writeback/writeback.module';
import { AlertRepository } from './alert.repository';
import { AlertsController } from './alerts.controller';
import { AlertsService } from './alerts.service';
import { StatsController } from './stats.controller';
import { StatsService } from './stats.service';
import { StatusController } from './status.controller';
import { StatusRepository } from './status.repository';
import { StatusService } from './status.service';
import { TimeseriesRepository } from './timeseries.repository';

@Module({
  imports: [WritebackModule],
  controllers: [AlertsController, StatusController, StatsController],
  providers: [
    AlertRepository,
    AlertsService,
    StatusRepository,
    StatusService,
    TimeseriesRepository,
    StatsService,
  ],
  exports: [AlertsService, StatusService],
})
export class StatusModule {}
