import { Module } from '@nestjs/common';
import { RetentionPruner } from './retention.pruner';
import { RetentionRepository } from './retention.repository';

/** Age-based pruning of the log tables: Lacework calls, delivery attempts, sync runs. */
@Module({
  providers: [RetentionRepository, RetentionPruner],
  exports: [RetentionPruner],
})
export class RetentionModule {}
