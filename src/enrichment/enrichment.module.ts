import { Module } from '@nestjs/common';
import { CredentialsModule } from '../credentials/credentials.module';
import { DeliveryModule } from '../delivery/delivery.module';
import { LaceworkModule } from '../lacework/lacework.module';
import { AlertIntakeRepository } from './alert-intake.repository';
import { AlertVersionRetryService } from './alert-version-retry.service';
import { AlertVersionRepository } from './alert-version.repository';
import { AlertVersionsController } from './alert-versions.controller';
import { EnrichmentWorker } from './enrichment.worker';
import { AlertIntakeService } from './alert-intake.service';

@Module({
  imports: [LaceworkModule, CredentialsModule, DeliveryModule],
  controllers: [AlertVersionsController],
  providers: [
    AlertIntakeRepository,
    AlertVersionRepository,
    EnrichmentWorker,
    AlertIntakeService,
    AlertVersionRetryService,
  ],
  exports: [EnrichmentWorker, AlertIntakeService],
})
export class EnrichmentModule {}
