import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, QueryFailedError, Repository } from 'typeorm';
import { UNIQUE_VIOLATION } from '../common/pg-error-codes';
import { ConflictError } from '../common/domain.errors';
import { CursorKey } from '../common/pagination';
import { IntegrationEntity } from './integration.entity';

/** Columns an administrator changes; the sync cursor, relist time and rate limit belong to sync runs alone. */
export type IntegrationChanges = Partial<
  Pick<
    IntegrationEntity,
    | 'name'
    | 'organizationUrl'
    | 'account'
    | 'keyId'
    | 'subAccount'
    | 'secretSealed'
    | 'secretHint'
    | 'pollIntervalSeconds'
    | 'initialLookbackHours'
    | 'requestsPerHour'
    | 'enabled'
    | 'minSeverity'
    | 'includeAlertTypes'
    | 'excludeAlertTypes'
    | 'extraScopes'
    | 'destinationId'
    | 'destinationIds'
    | 'nextPollAt'
    | 'lastAuthError'
  >
>;

/** Integrations in PostgreSQL. A deleted integration keeps its row (and history) with `deleted_at` set. */
@Injectable()
export class IntegrationRepository {
  constructor(@InjectRepository(IntegrationEntity) private readonly rows: Repository<IntegrationEntity>) {}

  async insert(integration: IntegrationEntity): Promise<IntegrationEntity> {
    try {
      await this.rows.insert(integration);
    } catch (error) {
      throw uniqueNameConflict(error, integration.name);
    }
    return this.rows.findOneByOrFail({ id: integration.id });
  }

  /**
   * Writes exactly the given columns (and `updated_at`), so columns other writers own, like the sync cursor, keep
   * whatever those writers committed meanwhile. Null when the integration is gone.
   */
  async update(id: string, changes: IntegrationChanges): Promise<IntegrationEntity | null> {
    if (Object.keys(changes).length > 0) {
      try {
        await this.rows.update({ id, deletedAt: IsNull() }, changes);
      } catch (error) {
        throw uniqueNameConflict(error, changes.name ?? '');
      }
    }
    return this.findActive(id);
  }

  /**
   * Gives the open deliveries of an integration that had no destination yet to its destinations now: the first takes
   * each of them, every other destination gets its own copy (same alert version, same webhook-id).
   */
  async routeUnrouted(integrationId: string, destinationIds: readonly string[]): Promise<void> {
    if (destinationIds.length === 0) {
      return;
    }
    await this.rows.manager.transaction(async (m) => {
      await m.query(
        `INSERT INTO deliveries (alert_version_id, alert_row_id, integration_id, destination_id, alert_id, version,
                                 severity_rank, webhook_id, state, next_attempt_at)
         SELECT d.alert_version_id, d.alert_row_id, d.integration_id, t.id, d.alert_id, d.version, d.severity_rank,
                d.webhook_id, 'pending', now()
           FROM deliveries d, unnest($2::uuid[]) AS t(id)
          WHERE d.integration_id = $1 AND d.destination_id IS NULL AND d.state IN ('pending', 'failed')`,
        [integrationId, destinationIds.slice(1)],
      );
      await m.query(
        `UPDATE deliveries SET destination_id = $2
          WHERE integration_id = $1 AND destination_id IS NULL AND state IN ('pending', 'failed')`,
        [integrationId, destinationIds[0]],
      );
    });
  }

  /** Whether a destination exists (and is not deleted); integrations may only point at such. */
  async destinationExists(id: string): Promise<boolean> {
    const rows: unknown[] = await this.rows.manager.query(
      'SELECT 1 FROM destinations WHERE id = $1 AND deleted_at IS NULL',
      [id],
    );
    return rows.length > 0;
  }

  findActive(id: string): Promise<IntegrationEntity | null> {
    return this.rows.findOneBy({ id, deletedAt: IsNull() });
  }

  /** Active integrations ordered by (created_at, id), after `after` when given. */
  listActive(limit: number, after: CursorKey | null): Promise<IntegrationEntity[]> {
    const query = this.rows
      .createQueryBuilder('i')
      .where('i.deleted_at IS NULL')
      .orderBy("date_trunc('milliseconds', i.created_at)", 'ASC')
      .addOrderBy('i.id', 'ASC')
      .limit(limit);
    if (after !== null) {
      query.andWhere("(date_trunc('milliseconds', i.created_at), i.id) > (:at::timestamptz, :id::uuid)", {
        at: after[0],
        id: after[1],
      });
    }
    return query.getMany();
  }

  listAllActive(): Promise<IntegrationEntity[]> {
    return this.rows.find({ where: { deletedAt: IsNull() }, order: { createdAt: 'ASC' } });
  }

  /** Stops an integration's work and hides it; its alerts and history stay. */
  async softDelete(id: string): Promise<void> {
    await this.rows.update({ id }, { deletedAt: new Date(), enabled: false });
  }

  /** Removes the integration with everything it synced (sync runs, alerts, versions, deliveries cascade). */
  async purge(id: string): Promise<void> {
    await this.rows.manager.transaction(async (m) => {
      await m.query('DELETE FROM lacework_calls WHERE integration_id = $1', [id]);
      await m.query('DELETE FROM lacework_requests WHERE integration_id = $1', [id]);
      await m.query('DELETE FROM integrations WHERE id = $1', [id]);
    });
  }
}

function uniqueNameConflict(error: unknown, name: string): unknown {
  if (
    error instanceof QueryFailedError &&
    (error.driverError as { code?: string }).code === UNIQUE_VIOLATION
  ) {
    return new ConflictError(`name: an integration named "${name}" already exists`);
  }
  return error;
}
