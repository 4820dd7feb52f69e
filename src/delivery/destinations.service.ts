import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { SecretBox } from '../common/crypto/secret-box';
import { ConflictError, InvalidInputError, NotFoundError } from '../common/domain.errors';
import { decodeCursor, DEFAULT_PAGE_SIZE, Page, PageQueryDto, toPage } from '../common/pagination';
import { validateStaticHeaders } from './destination-headers';
import { DestinationRepository, DestinationRow, DestinationWrite } from './destination.repository';
import { validateDestinationUrl } from './destination-url';
import { DestinationTestView, DestinationView } from './destination.view';
import { CreateDestinationDto, UpdateDestinationDto } from './dto/destination.dto';
import { WebhookSender } from './senders/webhook.sender';
import { generateSigningSecret, parseSigningSecret } from './senders/webhook-signature';

const PREVIOUS_SECRET_TTL_MS = 24 * 3_600_000;

/** What the worker needs to send to a destination, opened in memory. */
export interface OpenedDestination {
  id: string;
  url: string;
  secrets: string[];
  headers: Record<string, string>;
}

/** Configures where assembled alerts go; signing secrets and static headers are sealed at rest. */
@Injectable()
export class DestinationsService {
  private readonly logger = new Logger(DestinationsService.name);

  constructor(
    private readonly destinations: DestinationRepository,
    private readonly secrets: SecretBox,
    private readonly sender: WebhookSender,
  ) {}

  async create(dto: CreateDestinationDto): Promise<DestinationView> {
    const name = required('name', dto.name);
    const url = checkedUrl(required('url', dto.url));
    const signingSecret =
      dto.signingSecret === undefined ? generateSigningSecret() : checkedSecret(dto.signingSecret);
    const headers = dto.headers === undefined ? {} : validateStaticHeaders(dto.headers);
    const id = randomUUID();
    const row = await this.destinations.insert(id, {
      name,
      url,
      signing_secret_sealed: this.secrets.seal(signingSecret, context(id, 'signing')),
      previous_secret_sealed: null,
      previous_secret_expires_at: null,
      headers_sealed: this.secrets.seal(JSON.stringify(headers), context(id, 'headers')),
      header_names: Object.keys(headers),
      enabled: dto.enabled ?? true,
    });
    this.logger.log(`destination ${id} created for ${new URL(url).origin}`);
    return DestinationView.of(row, dto.signingSecret === undefined ? signingSecret : undefined);
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
    if (dto.signingSecret !== undefined && dto.rotateSigningSecret === true) {
      throw new InvalidInputError(
        'rotateSigningSecret',
        'give either signingSecret or rotateSigningSecret, not both',
      );
    }
    const url = dto.url === undefined ? row.url : checkedUrl(dto.url);
    if (url !== row.url && row.header_names.length > 0 && dto.headers === undefined) {
      throw new InvalidInputError(
        'headers',
        'required when url changes: the stored headers are only sent to the URL they were given for ({} drops them)',
      );
    }
    const write: DestinationWrite = {
      name: dto.name ?? row.name,
      url,
      signing_secret_sealed: row.signing_secret_sealed,
      previous_secret_sealed: row.previous_secret_sealed,
      previous_secret_expires_at: row.previous_secret_expires_at,
      headers_sealed: row.headers_sealed,
      header_names: row.header_names,
      enabled: dto.enabled ?? row.enabled,
    };
    let shownSecret: string | undefined;
    const newSecret =
      dto.rotateSigningSecret === true
        ? (shownSecret = generateSigningSecret())
        : dto.signingSecret === undefined
          ? undefined
          : checkedSecret(dto.signingSecret);
    if (newSecret !== undefined) {
      const current = this.secrets.open(row.signing_secret_sealed, context(id, 'signing'));
      write.previous_secret_sealed = this.secrets.seal(current, context(id, 'previous'));
      write.previous_secret_expires_at = new Date(Date.now() + PREVIOUS_SECRET_TTL_MS);
      write.signing_secret_sealed = this.secrets.seal(newSecret, context(id, 'signing'));
    }
    if (dto.headers !== undefined) {
      const headers = validateStaticHeaders(dto.headers);
      write.headers_sealed = this.secrets.seal(JSON.stringify(headers), context(id, 'headers'));
      write.header_names = Object.keys(headers);
    }
    const resume = dto.enabled === true;
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

  /** Sends one signed test event and reports the answer. */
  async test(id: string): Promise<DestinationTestView> {
    const destination = this.open(await this.find(id));
    const body = JSON.stringify({
      type: 'connector.test',
      destinationId: id,
      sentAt: new Date().toISOString(),
    });
    const answer = await this.sender.send({
      url: destination.url,
      webhookId: `lw_test_${randomUUID()}`,
      body,
      secrets: destination.secrets,
      headers: destination.headers,
    });
    return {
      ok: answer.status !== null && answer.status >= 200 && answer.status < 300,
      status: answer.status,
      latencyMs: answer.latencyMs,
      error: answer.error,
    };
  }

  /** Opens a destination's secrets for sending. */
  open(row: DestinationRow): OpenedDestination {
    const secrets = [this.secrets.open(row.signing_secret_sealed, context(row.id, 'signing'))];
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
    return { id: row.id, url: row.url, secrets, headers };
  }

  async exists(id: string): Promise<boolean> {
    return this.destinations.exists(id);
  }

  private async find(id: string): Promise<DestinationRow> {
    const row = await this.destinations.find(id);
    if (row === null) {
      throw new NotFoundError(`destination ${id} not found`);
    }
    return row;
  }
}

function context(id: string, what: 'signing' | 'previous' | 'headers'): string {
  return `destination:${id}:${what}`;
}

function required<T>(field: string, value: T | undefined): T {
  if (value === undefined) {
    throw new InvalidInputError(field, 'is required');
  }
  return value;
}

function checkedUrl(url: string): string {
  const result = validateDestinationUrl(url);
  if (!result.ok) {
    throw new InvalidInputError('url', result.reason);
  }
  return result.url;
}

function checkedSecret(secret: string): string {
  try {
    parseSigningSecret(secret);
  } catch (error) {
    throw new InvalidInputError('signingSecret', (error as Error).message);
  }
  return secret;
}
