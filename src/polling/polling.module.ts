import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { CredentialsModule } from '../credentials/credentials.module';
import { DeliveryModule } from '../delivery/delivery.module';
import { EnrichmentModule } from '../enrichment/enrichment.module';
import { LaceworkModule } from '../lacework/lacework.module';
import { RetentionModule } from '../retention/retention.module';
import { LaceworkHintService } from './lacework-hint.service';
import { LaceworkHookController } from './lacework-hook.controller';
import { LaceworkHookRepository } from './lacework-hook.repository';
import { SyncRunExecutor } from './sync-run.executor';
import { SyncRunRepository } from './sync-run.repository';
import { SyncRunsController } from './sync-runs.controller';
import { SyncService } from './sync.service';
import { SyncScheduler } from './sync.scheduler';

@Module({
  imports: [AuthModule, CredentialsModule, LaceworkModule, EnrichmentModule, DeliveryModule, RetentionModule],
  controllers: [SyncRunsController, LaceworkHookController],
  providers: [
    SyncRunRepository,
    SyncRunExecutor,
    SyncService,
    SyncScheduler,
    LaceworkHookRepository,
    LaceworkHintService,
  ],
  exports: [SyncService],
})
export class PollingModule {}
