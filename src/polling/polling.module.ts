import { Module } from '@nestjs/common';
import { CredentialsModule } from '../credentials/credentials.module';
import { DeliveryModule } from '../delivery/delivery.module';
import { EnrichmentModule } from '../enrichment/enrichment.module';
import { LaceworkModule } from '../lacework/lacework.module';
import { RetentionModule } from '../retention/retention.module';
import { SyncRunExecutor } from './sync-run.executor';
import { SyncRunRepository } from './sync-run.repository';
import { SyncRunsController } from './sync-runs.controller';
import { SyncService } from './sync.service';
import { SyncScheduler } from './sync.scheduler';

@Module({
  imports: [CredentialsModule, LaceworkModule, EnrichmentModule, DeliveryModule, RetentionModule],
  controllers: [SyncRunsController],
  providers: [SyncRunRepository, SyncRunExecutor, SyncService, SyncScheduler],
  exports: [SyncService],
})
export class PollingModule {}
