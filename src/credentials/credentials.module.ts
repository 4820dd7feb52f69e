import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LaceworkModule } from '../lacework/lacework.module';
import { IntegrationEntity } from './integration.entity';
import { IntegrationRepository } from './integration.repository';
import { IntegrationsController } from './integrations.controller';
import { IntegrationsService } from './integrations.service';

@Module({
  imports: [TypeOrmModule.forFeature([IntegrationEntity]), LaceworkModule],
  controllers: [IntegrationsController],
  providers: [IntegrationRepository, IntegrationsService],
  exports: [IntegrationsService],
})
export class CredentialsModule {}
