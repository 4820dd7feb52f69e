import { Global, Module } from '@nestjs/common';
import { LaceworkModule } from '../lacework/lacework.module';
import { MetricsController } from './metrics.controller';
import { MetricsRepository } from './metrics.repository';
import { MetricsService } from './metrics.service';

/** Prometheus metrics; global so the delivery worker can report its attempts to MetricsService. */
@Global()
@Module({
  imports: [LaceworkModule],
  controllers: [MetricsController],
  providers: [MetricsRepository, MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
