import { Module } from '@nestjs/common';
import { CredentialsModule } from '../credentials/credentials.module';
import { DeliveryModule } from '../delivery/delivery.module';
import { LaceworkModule } from '../lacework/lacework.module';
import { AlertIntakeRepository } from './alert-intake.repository';
import { AlertVersionRepository } from './alert-version.repository';
import { EnrichmentWorker } from './enrichment.worker';
import { AlertIntakeService } from './alert-intake.service';

@Module({
  imports: [LaceworkModule, CredentialsModule, DeliveryModule],
  providers: [AlertIntakeRepository, AlertVersionRepository, EnrichmentWorker, AlertIntakeService],
  exports: [EnrichmentWorker, AlertIntakeService],
})
export class EnrichmentModule {}
