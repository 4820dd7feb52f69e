import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InvalidInputError } from '../../common/domain.errors';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { DestinationHttp, HttpAnswer } from './destination-http';
import {
  BatchAnswer,
  DestinationSender,
  OpenedDestination,
  OutgoingEvent,
  pausedAnswer,
} from './destination-sender';
import { CallResult, CallVerdict, safeText, sendBatchInCalls } from './batch-calls';
import { ParsedSettings } from './kind-settings';
import { SENTINEL_MAX_CALL_BYTES, SENTINEL_SETTINGS } from './sentinel.settings';

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** One row of the stream: our columns around the event's body, embedded as its raw text. */
export function sentinelRow(event: OutgoingEvent): string {
  const time = Number.isFinite(event.timeMs) ? event.timeMs : Date.now();
  return (
    `{"TimeGenerated":${JSON.stringify(new Date(time).toISOString())}` +
    `,"AlertId":${JSON.stringify(event.alertId)}` +
    `,"AlertVersion":${Number.isFinite(event.version) ? event.version : 0}` +
    `,"Severity":${JSON.stringify(event.severity)}` +
    `,"DeliveryId":${JSON.stringify(event.deliveryId)}` +
    `,"ConsoleUrl":${event.consoleUrl === null ? 'null' : JSON.stringify(event.consoleUrl)}` +
    `,"Alert":${event.body}}`
  );
}

interface SentinelTarget {
  destinationId: string;
  endpoint: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityHost: string;
  dcrImmutableId: string;
  streamName: string;
}

interface CachedToken {
  fingerprint: string;
  token: string;
  renewAtMs: number;
}

type TokenResult =
  | { kind: 'token'; token: string; status: number | null; latencyMs: number }
  | { kind: 'failed'; verdict: CallVerdict; status: number | null; latencyMs: number };

const TOKEN_SCOPE = 'https://monitor.azure.com//.default';
const RENEW_MARGIN_MS = 5 * 60_000;
const SERVICE = 'the Logs Ingestion API';

/**
 * Microsoft Sentinel (Azure Monitor Logs Ingestion API): an Entra ID client-credentials token, then JSON arrays of
 * rows POSTed to a data collection rule's stream, never above 1 MB per call.
 */
@Injectable()
export class SentinelSender implements DestinationSender {
  readonly kind = 'sentinel' as const;
  private readonly http: DestinationHttp;
  /** One token per destination, valid while its authority, tenant, client and secret stay the same. */
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, { fingerprint: string; result: Promise<TokenResult> }>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.http = new DestinationHttp(config);
  }

  async sendBatch(destination: OpenedDestination, events: readonly OutgoingEvent[]): Promise<BatchAnswer> {
    let target: SentinelTarget;
    try {
      target = openTarget(destination);
    } catch (error) {
      const reason =
        error instanceof InvalidInputError
          ? `the destination's settings are not valid: ${error.message}`
          : "the destination's settings are not valid";
      return pausedAnswer(events, null, 0, reason);
    }
    const rows = events.map(sentinelRow);
    return sendBatchInCalls(events, {
      service: SERVICE,
      maxCallBytes: SENTINEL_MAX_CALL_BYTES,
      openBytes: 1,
      closeBytes: 1,
      separatorBytes: 1,
      partBytes: rows.map((row) => Buffer.byteLength(row, 'utf8')),
      tooLargeError: (bytes) => `the row is ${bytes} bytes, above ${SERVICE}'s 1 MB per call`,
      send: (indices) => this.upload(target, `[${indices.map((i) => rows[i]).join(',')}]`),
    });
  }

  /** One upload call; a 401 drops the cached token and tries once more at once with a fresh one. */
  private async upload(target: SentinelTarget, body: string): Promise<CallResult> {
    let latencyMs = 0;
    let lastStatus: number | null = null;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const token = await this.token(target);
      latencyMs += token.latencyMs;
      if (token.kind === 'failed') {
        return { status: token.status, latencyMs, verdict: token.verdict };
      }
      const answer = await this.http.request(uploadUrl(target), body, {
        headers: {
          authorization: `Bearer ${token.token}`,
          'content-type': 'application/json',
          'x-ms-client-request-id': randomUUID(),
        },
        maxResponseBytes: 64 * 1024,
      });
      latencyMs += answer.latencyMs;
      lastStatus = answer.status;
      if (answer.status === 401) {
        this.forgetToken(target.destinationId, token.token);
        continue;
      }
      return { status: answer.status, latencyMs, verdict: uploadVerdict(target, answer) };
    }
    return {
      status: lastStatus,
      latencyMs,
      verdict: {
        kind: 'retry',
        error: `${SERVICE} refused a freshly issued token (HTTP 401)`,
        retryAfterMs: null,
      },
    };
  }

  private forgetToken(destinationId: string, token: string): void {
    if (this.tokens.get(destinationId)?.token === token) {
      this.tokens.delete(destinationId);
    }
  }

  /** The cached token, or a new one; concurrent batches of one destination share one token request. */
  private async token(target: SentinelTarget): Promise<TokenResult> {
    const fingerprint = [
      target.authorityHost,
      target.tenantId,
      target.clientId,
      createHash('sha256').update(target.clientSecret).digest('hex'),
    ].join('\n');
    const cached = this.tokens.get(target.destinationId);
    if (cached !== undefined && cached.fingerprint === fingerprint && Date.now() < cached.renewAtMs) {
      return { kind: 'token', token: cached.token, status: null, latencyMs: 0 };
    }
    const inFlight = this.pending.get(target.destinationId);
    if (inFlight !== undefined && inFlight.fingerprint === fingerprint) {
      const shared = await inFlight.result;
      return { ...shared, latencyMs: 0 };
    }
    const result = this.requestToken(target, fingerprint);
    this.pending.set(target.destinationId, { fingerprint, result });
    try {
      return await result;
    } finally {
      if (this.pending.get(target.destinationId)?.result === result) {
        this.pending.delete(target.destinationId);
      }
    }
  }

  private async requestToken(target: SentinelTarget, fingerprint: string): Promise<TokenResult> {
    const form = new URLSearchParams({
      client_id: target.clientId,
      client_secret: target.clientSecret,
      grant_type: 'client_credentials',
      scope: TOKEN_SCOPE,
    }).toString();
    const url = `${target.authorityHost}/${encodeURIComponent(target.tenantId)}/oauth2/v2.0/token`;
    const started = Date.now();
    const answer = await this.http.request(url, form, {
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      maxResponseBytes: 64 * 1024,
    });
    const failed = (verdict: CallVerdict): TokenResult => ({
      kind: 'failed',
      verdict,
      status: answer.status,
      latencyMs: answer.latencyMs,
    });
    if (answer.status === null) {
      return failed({
        kind: 'retry',
        error: `no answer from the token endpoint: ${answer.error}`,
        retryAfterMs: null,
      });
    }
    const json = parseJson(answer.body);
    if (answer.status >= 200 && answer.status < 300) {
      const token = field(json, 'access_token');
      const tokenType = field(json, 'token_type');
      if (
        typeof token !== 'string' ||
        token === '' ||
        (typeof tokenType === 'string' && !/^bearer$/i.test(tokenType))
      ) {
        return failed({
          kind: 'retry',
          error: `the token endpoint answered HTTP ${answer.status} without a bearer access_token`,
          retryAfterMs: null,
        });
      }
      const expiresIn = Number(field(json, 'expires_in') ?? 3599);
      const lifetimeMs = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : 0;
      if (lifetimeMs > 0) {
        const renewAtMs = started + lifetimeMs - Math.min(RENEW_MARGIN_MS, lifetimeMs / 2);
        this.tokens.set(target.destinationId, { fingerprint, token, renewAtMs });
      }
      return { kind: 'token', token, status: answer.status, latencyMs: answer.latencyMs };
    }
    const words = entraError(json, answer.body, target.clientSecret);
    if (answer.status === 429 || answer.status >= 500) {
      return failed({
        kind: 'retry',
        error: `the token endpoint answered HTTP ${answer.status}${words === '' ? '' : `: ${words}`}`,
        retryAfterMs: answer.retryAfterMs,
      });
    }
    return failed({
      kind: 'pause',
      reason:
        `Microsoft Entra ID refused the app's credentials for tenant ${target.tenantId}` +
        `${words === '' ? '' : `: ${words}`} (HTTP ${answer.status})`,
    });
  }
}

function openTarget(destination: OpenedDestination): SentinelTarget {
  const endpoint = SENTINEL_SETTINGS.checkUrl(destination.url);
  const parsed: ParsedSettings = SENTINEL_SETTINGS.parse({
    ...destination.settings,
    clientSecret: destination.credentials.clientSecret,
  });
  const settings = parsed.settings as Record<string, string>;
  return {
    destinationId: destination.id,
    endpoint,
    tenantId: settings.tenantId,
    clientId: settings.clientId,
    clientSecret: parsed.credentials.clientSecret,
    authorityHost: settings.authorityHost,
    dcrImmutableId: settings.dcrImmutableId,
    streamName: settings.streamName,
  };
}

function uploadUrl(target: SentinelTarget): string {
  return (
    `${target.endpoint}/dataCollectionRules/${encodeURIComponent(target.dcrImmutableId)}` +
    `/streams/${encodeURIComponent(target.streamName)}?api-version=2023-01-01`
  );
}

/** Entra's error in words: `invalid_client AADSTS7000215: Invalid client secret provided.` (first line only). */
function entraError(json: unknown, body: string, secret: string): string {
  const error = field(json, 'error');
  const description = field(json, 'error_description');
  if (typeof error !== 'string') {
    return safeText(body, [secret], 200);
  }
  const firstLine = typeof description === 'string' ? description.split(/\r?\n/)[0] : '';
  return safeText(`${error} ${firstLine}`, [secret], 300);
}

/** Azure's error in words: the `x-ms-error-code` header or `error.code`, then `error.message`. */
function azureError(answer: Extract<HttpAnswer, { status: number }>): string {
  const error = field(parseJson(answer.body), 'error');
  const code = answer.headers['x-ms-error-code'] ?? field(error, 'code');
  const message = field(error, 'message');
  const words = [typeof code === 'string' ? code : '', typeof message === 'string' ? message : '']
    .filter((part) => part !== '')
    .join(': ');
  return safeText(words === '' ? answer.body : words, [], 300);
}

function uploadVerdict(target: SentinelTarget, answer: HttpAnswer): CallVerdict {
  if (answer.status === null) {
    return { kind: 'retry', error: `no answer: ${answer.error}`, retryAfterMs: null };
  }
  const status = answer.status;
  if (status >= 200 && status < 300) {
    return { kind: 'delivered' };
  }
  const words = azureError(answer);
  const said = words === '' ? '' : `: ${words}`;
  switch (status) {
    case 400:
      return { kind: 'refused', error: `${SERVICE} refused the data${said} (HTTP 400)` };
    case 403:
      return {
        kind: 'pause',
        reason: `the app lacks Monitoring Metrics Publisher on the DCR ${target.dcrImmutableId}${said} (HTTP 403)`,
      };
    case 404:
      return {
        kind: 'pause',
        reason:
          `${SERVICE} knows no data collection rule ${target.dcrImmutableId} with stream ${target.streamName} ` +
          `at this endpoint${said} (HTTP 404)`,
      };
    case 413:
      return { kind: 'too_large', error: `${SERVICE} refused the call as too large${said} (HTTP 413)` };
    default:
      return {
        kind: 'retry',
        error: `${SERVICE} answered HTTP ${status}${said}`,
        retryAfterMs: answer.retryAfterMs,
      };
  }
}
