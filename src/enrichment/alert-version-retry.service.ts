import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError } from '../common/domain.errors';
import { AlertVersionRepository } from './alert-version.repository';
import { EnrichmentWorker } from './enrichment.worker';

/** An operator's replay of an alert version whose enrichment failed for good. */
@Injectable()
export class AlertVersionRetryService {
  constructor(
    private readonly versions: AlertVersionRepository,
    private readonly worker: EnrichmentWorker,
  ) {}

  /**
   * Puts a `failed` version back in the enrichment queue with a fresh count of attempts; the scope answers it
   * already has are kept, so only the missing ones are fetched.
   * @throws NotFoundError when the alert or version does not exist; ConflictError when it is not `failed` or a
   * newer version replaced it.
   */
  async retry(
    alertRowId: string,
    version: number,
  ): Promise<{ id: string; version: number; state: 'pending' }> {
    const outcome = await this.versions.requeueFailed(alertRowId, version);
    switch (outcome) {
      case 'not_found':
        throw new NotFoundError(`alert ${alertRowId} has no version ${version}`);
      case 'not_failed':
        throw new ConflictError(
          `alert ${alertRowId} version ${version} is not failed; only a failed version is retried`,
        );
      case 'superseded':
        throw new ConflictError(`alert ${alertRowId} version ${version} was replaced by a newer version`);
      case 'requeued':
        void this.worker.pumpAll().catch(() => undefined);
        return { id: alertRowId, version, state: 'pending' };
    }
  }
}
