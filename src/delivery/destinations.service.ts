import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { SecretBox } from '../common/crypto/secret-box';
import { ConflictError, InvalidInputError, NotFoundError } from '../common/domain.errors';
import { decodeCursor, DEFAULT_PAGE_SIZE, Page, PageQueryDto, toPage } from '../common/pagination';
import { validateStaticHeaders } from './destination-headers';
import { DestinationRepository, DestinationRow, DestinationWrite } from './destination.repository';
import { DestinationTestView, DestinationView } from './destination.view';
import { BatchDto, CreateDestinationDto, UpdateDestinationDto } from './dto/destination.dto';
import { isHeldPause } from './destination-pause';
import { testEvent } from './formats/test-event';
import { KIND_SETTINGS, DestinationSenders } from './senders/destination-kinds';
import type { DestinationKind, OpenedDestination } from './senders/destination-sender';
import type { KindSettingsSpec } from './senders/kind-settings';
import { generateSigningSecret, parseSigningSecret } from './senders/webhook-signature';

const PREVIOUS_SECRET_TTL_MS = 24 * 3_600_000;

/** Configures where assembled alerts go; signing secrets, static headers and kind credentials are sealed at rest. */
@Injectable()
export class DestinationsService {
  private readonly logger = new Logger(DestinationsService.name);

  constructor(
    private readonly destinations: DestinationRepository,
    private readonly secrets: SecretBox,
    private readonly senders: DestinationSenders,
  ) {}

  async create(dto: CreateDestinationDto): Promise<DestinationView> {
    const name = required('name', dto.name);
    const kind = dto.kind ?? 'webhook';
    const spec = kindSpec(kind);
    const url = spec.checkUrl(required('url', dto.url));
    const { settings, credentials } = spec.parse(dto.settings ?? {});
    const batch = checkedBatch(spec, dto.batch, null);
    const id = randomUUID();
    let shownSecret: string | undefined;
    let signingSecretSealed: string | null = null;
    let headers: Record<string, string> = {};
    if (kind === 'webhook') {
      const signingSecret =
        dto.signingSecret === undefined
          ? (shownSecret = generateSigningSecret())
          : checkedSecret(dto.signingSecret);
      signingSecretSealed = this.secrets.seal(signingSecret, context(id, 'signing'));
      headers = dto.headers === undefined ? {} : validateStaticHeaders(dto.headers);
    } else {
      webhookOnly(dto);
    }
    const row = await this.destinations.insert(id, {
      name,
      kind,
      format: dto.format ?? 'document',
      url,
      settings,
      ...this.sealedCredentials(id, credentials),
      batch_max_events: batch.maxEvents,
      batch_max_bytes: batch.maxBytes,
      signing_secret_sealed: signingSecretSealed,
      previous_secret_sealed: null,
      previous_secret_expires_at: null,
      headers_sealed: this.secrets.seal(JSON.stringify(headers), context(id, 'headers')),
      header_names: Object.keys(headers),
      enabled: dto.enabled ?? true,
    });
    this.logger.log(`destination ${id} (${kind}) created for ${hostOf(url)}`);
    return DestinationView.of(row, shownSecret);
  }

  async list(query: PageQueryDto): Promise<Page<DestinationView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.destinations.list(limit + 1, decodeCursor(query.cursor, ['date', 'uuid']));
    return toPage(
      rows,
      limit,
      (r) => DestinationView.of(r),
      (r) => [r.created_at.toISOString(), r.id],
    );
  }

  async get(id: string): Promise<DestinationView> {
    return DestinationView.of(await this.find(id));
  }

  async update(id: string, dto: UpdateDestinationDto): Promise<DestinationView> {
    const row = await this.find(id);
    if (dto.kind !== undefined && dto.kind !== row.kind) {
      throw new InvalidInputError('kind', `cannot change (${row.kind}); create a new destination instead`);
    }
    const spec = kindSpec(row.kind);
    if (row.kind !== 'webhook') {
      webhookOnly(dto);
    }
    if (dto.signingSecret !== undefined && dto.rotateSigningSecret === true) {
      throw new InvalidInputError(
        'rotateSigningSecret',
        'give either signingSecret or rotateSigningSecret, not both',
      );
    }
    const url = dto.url === undefined ? row.url : spec.checkUrl(dto.url);
    if (url !== row.url && row.header_names.length > 0 && dto.headers === undefined) {
      throw new InvalidInputError(
        'headers',
        'required when url changes: the stored headers are only sent to the URL they were given for ({} drops them)',
      );
    }
    const write: DestinationWrite = {
      name: dto.name ?? row.name,
      kind: row.kind,
      format: dto.format ?? row.format,
      url,
      settings: row.settings,
      credentials_sealed: row.credentials_sealed,
      credential_names: row.credential_names,
      batch_max_events: row.batch_max_events,
      batch_max_bytes: row.batch_max_bytes,
      signing_secret_sealed: row.signing_secret_sealed,
      previous_secret_sealed: row.previous_secret_sealed,
      previous_secret_expires_at: row.previous_secret_expires_at,
      headers_sealed: row.headers_sealed,
      header_names: row.header_names,
      enabled: dto.enabled ?? row.enabled,
    };
    const settingsChanged = dto.settings !== undefined || url !== row.url;
    if (settingsChanged) {
      Object.assign(write, this.mergedSettings(row, spec, url, dto.settings ?? {}));
    }
    if (dto.batch !== undefined) {
      const batch = checkedBatch(spec, dto.batch, row);
      write.batch_max_events = batch.maxEvents;
      write.batch_max_bytes = batch.maxBytes;
    }
    let shownSecret: string | undefined;
    const newSecret =
      dto.rotateSigningSecret === true
        ? (shownSecret = generateSigningSecret())
        : dto.signingSecret === undefined
          ? undefined
          : checkedSecret(dto.signingSecret);
    if (newSecret !== undefined) {
      if (row.signing_secret_sealed !== null) {
        const current = this.secrets.open(row.signing_secret_sealed, context(id, 'signing'));
        write.previous_secret_sealed = this.secrets.seal(current, context(id, 'previous'));
        write.previous_secret_expires_at = new Date(Date.now() + PREVIOUS_SECRET_TTL_MS);
      }
      write.signing_secret_sealed = this.secrets.seal(newSecret, context(id, 'signing'));
    }
    if (dto.headers !== undefined) {
      const headers = validateStaticHeaders(dto.headers);
      write.headers_sealed = this.secrets.seal(JSON.stringify(headers), context(id, 'headers'));
      write.header_names = Object.keys(headers);
    }
    // Turning it on resumes it; so does new configuration for a destination paused because it refused the old one.
    const resume = dto.enabled === true || (settingsChanged && isHeldPause(row.paused_reason));
    const saved = await this.destinations.update(id, write, resume);
    return DestinationView.of(saved, shownSecret);
  }

  async remove(id: string): Promise<void> {
    await this.find(id);
    const users = await this.destinations.usedBy(id);
    if (users.length > 0) {
      throw new ConflictError(`destination ${id} is used by integrations: ${users.join(', ')}`);
    }
    await this.destinations.softDelete(id);
  }

  /** Sends one clearly marked test event through the destination's own sender and reports the answer in words. */
  async test(id: string): Promise<DestinationTestView> {
    const destination = this.open(await this.find(id));
    const answer = await this.senders
      .of(destination.kind)
      .sendBatch(destination, [testEvent(destination, new Date())]);
    const outcome = answer.outcomes[0];
    const ok = answer.pause === null && outcome?.kind === 'delivered';
    return {
      ok,
      status: answer.status,
      latencyMs: answer.latencyMs,
      error: ok
        ? null
        : outcome !== undefined && (outcome.kind === 'retry' || outcome.kind === 'rejected')
          ? outcome.error
          : answer.summary,
      answer: answer.summary,
    };
  }

  /** Opens a destination's secrets for sending. */
  open(row: DestinationRow): OpenedDestination {
    const secrets: string[] = [];
    if (row.signing_secret_sealed !== null) {
      secrets.push(this.secrets.open(row.signing_secret_sealed, context(row.id, 'signing')));
    }
    if (
      row.previous_secret_sealed !== null &&
      row.previous_secret_expires_at &&
      row.previous_secret_expires_at > new Date()
    ) {
      secrets.push(this.secrets.open(row.previous_secret_sealed, context(row.id, 'previous')));
    }
    const headers =
      row.headers_sealed === null
        ? {}
        : (JSON.parse(this.secrets.open(row.headers_sealed, context(row.id, 'headers'))) as Record<
            string,
            string
          >);
    return {
      id: row.id,
      name: row.name,
      kind: row.kind,
      format: row.format,
      url: row.url,
      settings: row.settings,
      credentials: this.openCredentials(row),
      secrets,
      headers,
      batch: { maxEvents: row.batch_max_events, maxBytes: row.batch_max_bytes },
    };
  }

  async exists(id: string): Promise<boolean> {
    return this.destinations.exists(id);
  }

  /**
   * The stored settings with the given ones merged in (null removes a field). Changing the url or a field that says
   * where the secrets go needs every stored secret again: a secret is only sent where it was given for.
   */
  private mergedSettings(
    row: DestinationRow,
    spec: KindSettingsSpec,
    url: string,
    given: Record<string, unknown>,
  ): Pick<DestinationWrite, 'settings' | 'credentials_sealed' | 'credential_names'> {
    const movedBy =
      url !== row.url
        ? 'url'
        : spec.targetFields.find((f) => f in given && !sameValue(given[f], row.settings[f]));
    const stored: Record<string, unknown> = { ...row.settings };
    if (movedBy === undefined) {
      Object.assign(stored, this.openCredentials(row));
    } else {
      const missing = row.credential_names.find((name) => !(name in given));
      if (missing !== undefined) {
        throw new InvalidInputError(
          `settings.${missing}`,
          `required again when ${movedBy === 'url' ? 'url' : `settings.${movedBy}`} changes: the stored value is only sent where it was given for`,
        );
      }
    }
    for (const [key, value] of Object.entries(given)) {
      if (value === null) {
        delete stored[key];
      } else {
        stored[key] = value;
      }
    }
    const { settings, credentials } = spec.parse(stored);
    return { settings, ...this.sealedCredentials(row.id, credentials) };
  }

  private sealedCredentials(
    id: string,
    credentials: Record<string, string>,
  ): Pick<DestinationWrite, 'credentials_sealed' | 'credential_names'> {
    const names = Object.keys(credentials);
    return {
      credentials_sealed:
        names.length === 0
          ? null
          : this.secrets.seal(JSON.stringify(credentials), context(id, 'credentials')),
      credential_names: names,
    };
  }

  private openCredentials(row: DestinationRow): Record<string, string> {
    return row.credentials_sealed === null
      ? {}
      : (JSON.parse(this.secrets.open(row.credentials_sealed, context(row.id, 'credentials'))) as Record<
          string,
          string
        >);
  }

  private async find(id: string): Promise<DestinationRow> {
    const row = await this.destinations.find(id);
    if (row === null) {
      throw new NotFoundError(`destination ${id} not found`);
    }
    return row;
  }
}

function context(id: string, what: 'signing' | 'previous' | 'headers' | 'credentials'): string {
  return `destination:${id}:${what}`;
}

function kindSpec(kind: DestinationKind): KindSettingsSpec {
  return KIND_SETTINGS[kind];
}

function required<T>(field: string, value: T | undefined): T {
  if (value === undefined) {
    throw new InvalidInputError(field, 'is required');
  }
  return value;
}

/** Fields that only a webhook has. */
function webhookOnly(dto: UpdateDestinationDto): void {
  for (const field of ['signingSecret', 'rotateSigningSecret', 'headers'] as const) {
    if (dto[field] !== undefined) {
      throw new InvalidInputError(field, 'only a webhook destination has it; put credentials in settings');
    }
  }
}

function checkedBatch(
  spec: KindSettingsSpec,
  given: BatchDto | undefined,
  row: DestinationRow | null,
): { maxEvents: number; maxBytes: number } {
  const unknown = Object.keys(given ?? {}).find((k) => k !== 'maxEvents' && k !== 'maxBytes');
  if (unknown !== undefined) {
    throw new InvalidInputError(`batch.${unknown}`, 'is not a batch setting (maxEvents, maxBytes)');
  }
  const maxEvents = given?.maxEvents ?? row?.batch_max_events ?? spec.batch.defaultMaxEvents;
  const maxBytes = given?.maxBytes ?? row?.batch_max_bytes ?? spec.batch.defaultMaxBytes;
  if (!Number.isInteger(maxEvents) || maxEvents < 1 || maxEvents > spec.batch.maxMaxEvents) {
    throw new InvalidInputError(
      'batch.maxEvents',
      `must be an integer from 1 to ${spec.batch.maxMaxEvents} for a ${spec.kind} destination`,
    );
  }
  if (!Number.isInteger(maxBytes) || maxBytes < 1024 || maxBytes > spec.batch.maxMaxBytes) {
    throw new InvalidInputError(
      'batch.maxBytes',
      `must be an integer from 1024 to ${spec.batch.maxMaxBytes} for a ${spec.kind} destination`,
    );
  }
  return { maxEvents, maxBytes };
}

function checkedSecret(secret: string): string {
  try {
    parseSigningSecret(secret);
  } catch (error) {
    throw new InvalidInputError('signingSecret', (error as Error).message);
  }
  return secret;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
}
