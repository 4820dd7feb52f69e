import { Module } from '@nestjs/common';
import { CredentialsModule } from '../credentials/credentials.module';
import { LaceworkModule } from '../lacework/lacework.module';
import { AlertActionRepository } from './alert-action.repository';
import { WritebackController } from './writeback.controller';
import { WritebackService } from './writeback.service';
import { WritebackWorker } from './writeback.worker';

/** Closing and commenting on Lacework alerts from the SOC: stored first, then sent by a worker through lacework/. */
@Module({
  imports: [CredentialsModule, LaceworkModule],
  controllers: [WritebackController],
  providers: [AlertActionRepository, WritebackService, WritebackWorker],
  exports: [WritebackService],
})
export class WritebackModule {}
