import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InvalidInputError, NotFoundError } from '../common/domain.errors';
import { SecretBox } from '../common/crypto/secret-box';
import { decodeCursor, DEFAULT_PAGE_SIZE, Page, PageQueryDto, toPage } from '../common/pagination';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { LaceworkClient } from '../lacework/lacework.client';
import { LaceworkError } from '../lacework/lacework.errors';
import type { LaceworkConnection } from '../lacework/lacework.types';
import { resolveCredentials, secretHint } from './credentials-resolver';
import { IntegrationFieldsDto } from './dto/integration-fields';
import { IntegrationEntity } from './integration.entity';
import { IntegrationChanges, IntegrationRepository } from './integration.repository';
import { ConnectionTestView, IntegrationView, withOrganizationUrlNotice } from './integration.view';

/** Fields a request sets as given, with no rule beyond the DTO's. */
const PLAIN_FIELDS = [
  'name',
  'pollIntervalSeconds',
  'initialLookbackHours',
  'requestsPerHour',
  'enabled',
  'minSeverity',
  'includeAlertTypes',
  'excludeAlertTypes',
  'extraScopes',
] as const;

const DEFAULTS = { pollIntervalSeconds: 300, initialLookbackHours: 24, requestsPerHour: 480, enabled: true };

/** Configures Lacework organizations and their API keys; the secret is sealed before it reaches the database. */
@Injectable()
export class IntegrationsService {
  private readonly logger = new Logger(IntegrationsService.name);
  private readonly changeListeners = new Set<(integrationId: string) => void>();

  constructor(
    private readonly integrations: IntegrationRepository,
    private readonly secrets: SecretBox,
    private readonly lacework: LaceworkClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(dto: IntegrationFieldsDto): Promise<IntegrationView> {
    const destinationIds = (await this.checkDestinations(dto)) ?? [];
    const creds = resolveCredentials(dto, this.config.laceworkExtraAllowedHosts);
    const name = requireValue('name', dto.name);
    const organizationUrl = requireValue('organizationUrl', creds.organizationUrl);
    const keyId = requireValue('keyId', creds.keyId);
    const secret = requireValue('secret', creds.secret);
    const row = new IntegrationEntity();
    Object.assign(row, {
      id: randomUUID(),
      name,
      organizationUrl,
      account: creds.account,
      keyId,
      subAccount: creds.subAccount ?? null,
      secretHint: secretHint(secret),
      pollIntervalSeconds: dto.pollIntervalSeconds ?? DEFAULTS.pollIntervalSeconds,
      initialLookbackHours: dto.initialLookbackHours ?? DEFAULTS.initialLookbackHours,
      requestsPerHour: dto.requestsPerHour ?? DEFAULTS.requestsPerHour,
      enabled: dto.enabled ?? DEFAULTS.enabled,
      minSeverity: dto.minSeverity ?? null,
      includeAlertTypes: dto.includeAlertTypes ?? null,
      excludeAlertTypes: dto.excludeAlertTypes ?? null,
      extraScopes: dto.extraScopes ?? [],
      destinationId: destinationIds[0] ?? null,
      destinationIds,
      nextPollAt: new Date(),
    });
    row.secretSealed = this.secrets.seal(secret, sealingContext(row.id));
    const saved = await this.integrations.insert(row);
    this.logger.log(`integration ${saved.id} created for ${saved.organizationUrl}`);
    return withOrganizationUrlNotice(IntegrationView.of(saved), creds.organizationUrlGiven);
  }

  async list(query: PageQueryDto): Promise<Page<IntegrationView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = decodeCursor(query.cursor, ['date', 'uuid']);
    const rows = await this.integrations.listActive(limit + 1, after);
    return toPage(rows, limit, IntegrationView.of, (r) => [r.createdAt.toISOString(), r.id]);
  }

  async get(id: string): Promise<IntegrationView> {
    return IntegrationView.of(await this.find(id));
  }

  /** The stored integration, or NotFoundError. For other modules (sync, delivery). */
  async find(id: string): Promise<IntegrationEntity> {
    const row = await this.integrations.findActive(id);
    if (row === null) {
      throw new NotFoundError(`integration ${id} not found`);
    }
    return row;
  }

  /**
   * Changes only the columns the request names: the scheduler's state (cursor, next poll, rate limit, auth error)
   * belongs to sync runs, which may commit while this request waits, so it is never written back from `row`.
   */
  async update(id: string, dto: IntegrationFieldsDto): Promise<IntegrationView> {
    const row = await this.find(id);
    const destinationIds = await this.checkDestinations(dto);
    const creds = resolveCredentials(dto, this.config.laceworkExtraAllowedHosts);
    const changes: IntegrationChanges = {};
    if (creds.organizationUrl !== undefined && creds.organizationUrl !== row.organizationUrl) {
      if (creds.secret === undefined) {
        throw new InvalidInputError(
          'secret',
          'required when organizationUrl changes: the stored secret is only sent to the organization it was given for',
        );
      }
      changes.organizationUrl = creds.organizationUrl;
      changes.account = creds.account ?? row.account;
    }
    if (creds.keyId !== undefined && creds.keyId !== row.keyId) {
      changes.keyId = creds.keyId;
    }
    if (creds.subAccount !== undefined) {
      changes.subAccount = creds.subAccount;
    }
    if (creds.secret !== undefined) {
      changes.secretSealed = this.secrets.seal(creds.secret, sealingContext(row.id));
      changes.secretHint = secretHint(creds.secret);
    } else if (this.secrets.needsReseal(row.secretSealed)) {
      changes.secretSealed = this.secrets.seal(this.openSecret(row), sealingContext(row.id));
    }
    const keyChanged = creds.secret !== undefined || changes.keyId !== undefined;
    if (keyChanged) {
      // A new key has not been refused yet: the integration stops showing `failing` until a run says otherwise.
      changes.lastAuthError = null;
    }
    for (const field of PLAIN_FIELDS) {
      if (dto[field] !== undefined) {
        (changes as Record<string, unknown>)[field] = dto[field];
      }
    }
    if (destinationIds !== undefined) {
      changes.destinationIds = destinationIds;
      changes.destinationId = destinationIds[0] ?? null;
    }
    if (dto.enabled === true || dto.pollIntervalSeconds !== undefined) {
      changes.nextPollAt = new Date();
    }
    const saved = await this.integrations.update(id, changes);
    if (saved === null) {
      throw new NotFoundError(`integration ${id} not found`);
    }
    if (destinationIds !== undefined) {
      await this.integrations.routeUnrouted(id, destinationIds);
    }
    if (keyChanged) {
      this.lacework.invalidateToken(id);
      this.logger.log(`integration ${id}: API key rotated (key ${saved.keyId})`);
    }
    this.changeListeners.forEach((listener) => listener(id));
    return withOrganizationUrlNotice(IntegrationView.of(saved), creds.organizationUrlGiven);
  }

  /** Calls `listener` after an integration of this process was changed, so caches of its settings can be dropped. */
  onChange(listener: (integrationId: string) => void): void {
    this.changeListeners.add(listener);
  }

  async remove(id: string, purge: boolean): Promise<void> {
    await this.find(id);
    this.lacework.invalidateToken(id);
    if (purge) {
      await this.integrations.purge(id);
    } else {
      await this.integrations.softDelete(id);
    }
  }

  async testStored(id: string): Promise<ConnectionTestView> {
    return this.testConnection(this.connectionFor(await this.find(id)));
  }

  async testUnsaved(dto: IntegrationFieldsDto): Promise<ConnectionTestView> {
    const creds = resolveCredentials(dto, this.config.laceworkExtraAllowedHosts);
    return this.testConnection({
      integrationId: randomUUID(),
      organizationUrl: requireValue('organizationUrl', creds.organizationUrl),
      keyId: requireValue('keyId', creds.keyId),
      secret: requireValue('secret', creds.secret),
      subAccount: creds.subAccount ?? null,
      requestsPerHour: dto.requestsPerHour ?? DEFAULTS.requestsPerHour,
    });
  }

  /** What the Lacework client needs to act for this integration (the secret opened in memory only). */
  connectionFor(row: IntegrationEntity): LaceworkConnection {
    return {
      integrationId: row.id,
      organizationUrl: row.organizationUrl,
      keyId: row.keyId,
      secret: this.openSecret(row),
      subAccount: row.subAccount,
      requestsPerHour: row.requestsPerHour,
    };
  }

  /** The destinations a request sets (undefined when it sets none), each checked to exist. */
  private async checkDestinations(dto: IntegrationFieldsDto): Promise<string[] | undefined> {
    if (dto.destinationIds !== undefined && dto.destinationId !== undefined) {
      const same =
        dto.destinationId === null
          ? dto.destinationIds.length === 0
          : dto.destinationIds[0] === dto.destinationId;
      if (!same) {
        throw new InvalidInputError('destinationIds', 'give destinationId or destinationIds, not both');
      }
    }
    const field = dto.destinationIds !== undefined ? 'destinationIds' : 'destinationId';
    const ids =
      dto.destinationIds ??
      (dto.destinationId === undefined ? undefined : dto.destinationId === null ? [] : [dto.destinationId]);
    for (const id of ids ?? []) {
      if (!(await this.integrations.destinationExists(id))) {
        throw new InvalidInputError(field, `no destination ${id}`);
      }
    }
    return ids;
  }

  private openSecret(row: IntegrationEntity): string {
    return this.secrets.open(row.secretSealed, sealingContext(row.id));
  }

  private async testConnection(conn: LaceworkConnection): Promise<ConnectionTestView> {
    try {
      const result = await this.lacework.testConnection(conn);
      return { ok: true, latencyMs: result.latencyMs, alertsLastHour: result.alertsLastHour };
    } catch (error) {
      if (error instanceof LaceworkError) {
        return { ok: false, error: { code: testErrorCode(error.code), message: error.message } };
      }
      throw error;
    }
  }
}

function sealingContext(integrationId: string): string {
  return `integration:${integrationId}:secret`;
}

function requireValue<T>(field: string, value: T | undefined | null): T {
  if (value === undefined || value === null) {
    throw new InvalidInputError(field, 'is required');
  }
  return value;
}

function testErrorCode(code: string): NonNullable<ConnectionTestView['error']>['code'] {
  switch (code) {
    case 'invalid_credentials':
    case 'forbidden':
    case 'unreachable':
    case 'rate_limited':
      return code;
    default:
      return 'bad_response';
  }
}
