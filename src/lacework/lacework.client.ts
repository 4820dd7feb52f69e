import axios, { AxiosError, type AxiosInstance, type AxiosResponse } from 'axios';
import { isLosslessNumber } from 'lossless-json';
import { withRequestDeadline } from '../common/net/request-deadline';
import { normalizeOrganizationUrl } from '../credentials/organization-url';
import { realSleep } from '../common/time';
import {
  LaceworkAlertGoneError,
  LaceworkAuthError,
  type LaceworkCallContext,
  LaceworkForeignOriginError,
  LaceworkRateLimitedError,
  LaceworkRequestError,
  LaceworkUnavailableError,
} from './lacework.errors';
import type {
  AlertPage,
  CallEvent,
  CallKind,
  CallOutcome,
  LaceworkConnection,
  LaceworkToken,
  ListedAlert,
  ScopeName,
  ScopeResult,
  WriteBackAnswer,
} from './lacework.types';
import { parseLossless, stringifyLossless } from './lossless-json';
import type { RequestBudget } from './request-budget';
import { backoffDelayMs, rateLimitWaitMs } from './retry-policy';
import { type LookupFunction, safeLookup } from './safe-lookup';
import { TokenCache } from './token-cache';

export interface LaceworkClientOptions {
  budget: RequestBudget;
  /** Total deadline of one request, connect to last byte; 60 s by default. */
  timeoutMs?: number;
  /**
   * Hosts (or host:port) admitted besides `*.lacework.net`, as configured now; every request's organization URL is
   * checked against them, whatever was stored. None by default.
   */
  extraAllowedHosts?: readonly string[];
  /** Attempts per request across 429, 5xx, network errors and timeouts; 4 by default. */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Wait after a 429 that carries neither `Retry-After` nor `RateLimit-Reset`; 60 s by default. */
  rateLimitDefaultWaitMs?: number;
  /** A 429 asking for a longer wait is not waited out in-call; LaceworkRateLimitedError is thrown at once. */
  rateLimitMaxWaitMs?: number;
  /** Renew a token when less than this remains before it expires; 60 s by default. */
  tokenRenewBeforeMs?: number;
  /** `expiryTime` requested for new tokens; 3600 s by default. */
  tokenExpirySeconds?: number;
  /** Budget waits at least this long are reported through `onCall` as `budget_wait`; 250 ms by default. */
  budgetWaitReportMs?: number;
  /** Pages one listing may follow; a next-page chain longer than this fails the listing. 1000 by default. */
  maxPages?: number;
  /** Largest answer body accepted; 64 MiB by default. */
  maxResponseBytes?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onCall?: (event: CallEvent) => void;
  lookup?: LookupFunction;
}

interface OutgoingRequest {
  kind: CallKind;
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

const MAX_WINDOW_MS = 7 * 24 * 3_600_000;
const ALERT_ID_PATTERN = /^\d{1,30}$/;
const UNSAFE_ADDRESS_CODE = 'ERR_LACEWORK_UNSAFE_ADDRESS';
const UPSTREAM_MESSAGE_MAX = 200;
const WRITE_ANSWER_MAX = 4_000;
// Tokens and secrets are long unbroken runs; an echoed one must not reach an error message.
const TOKEN_LIKE = /[A-Za-z0-9_\-.+/=]{24,}/g;

/**
 * The only code that talks to the Lacework API v2: tokens, alert listing with paging, alert scopes, the
 * per-key request budget, retries and rate-limit handling.
 */
export class LaceworkClient {
  private readonly http: AxiosInstance;
  private readonly timeoutMs: number;
  private readonly extraAllowedHosts: readonly string[];
  private readonly budget: RequestBudget;
  private readonly tokens: TokenCache;
  private readonly maxAttempts: number;
  private readonly maxPages: number;
  private readonly backoffBaseMs: number;
  private readonly backoffCapMs: number;
  private readonly rateLimitDefaultWaitMs: number;
  private readonly rateLimitMaxWaitMs: number;
  private readonly tokenExpirySeconds: number;
  private readonly budgetWaitReportMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly onCall: ((event: CallEvent) => void) | undefined;

  constructor(options: LaceworkClientOptions) {
    this.budget = options.budget;
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 4));
    this.maxPages = Math.max(1, Math.floor(options.maxPages ?? 1000));
    this.backoffBaseMs = options.backoffBaseMs ?? 1000;
    this.backoffCapMs = options.backoffCapMs ?? 30_000;
    this.rateLimitDefaultWaitMs = options.rateLimitDefaultWaitMs ?? 60_000;
    this.rateLimitMaxWaitMs = options.rateLimitMaxWaitMs ?? 5 * 60_000;
    this.tokenExpirySeconds = options.tokenExpirySeconds ?? 3600;
    this.budgetWaitReportMs = options.budgetWaitReportMs ?? 250;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.onCall = options.onCall;
    this.tokens = new TokenCache({ renewBeforeMs: options.tokenRenewBeforeMs, now: this.now });
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.extraAllowedHosts = options.extraAllowedHosts ?? [];
    this.http = axios.create({
      maxRedirects: 0,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      maxContentLength: options.maxResponseBytes ?? 64 * 1024 * 1024,
      lookup: options.lookup ?? safeLookup,
      // A proxy would resolve the name itself and bypass the address check in the lookup.
      proxy: false,
    });
  }

  /**
   * Mints a new access token for the connection's key (always a new one; use the cached path for calls).
   * Goes through the request budget and the retry policy.
   * @throws LaceworkAuthError when Lacework refuses the key (401 or 403).
   */
  async mintToken(conn: LaceworkConnection): Promise<LaceworkToken> {
    const url = `${originOf(conn)}/api/v2/access/tokens`;
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'Content-Type': 'application/json',
      'X-LW-UAKS': conn.secret,
      ...subAccountHeader(conn),
    };
    const body = JSON.stringify({ keyId: conn.keyId, expiryTime: this.tokenExpirySeconds });
    const request: OutgoingRequest = { kind: 'token', method: 'POST', url, headers, body };
    const response = await this.send(conn, request);
    const context = contextOf(request, response.status);
    if (response.status === 401 || response.status === 403) {
      throw new LaceworkAuthError(
        response.status === 401 ? 'invalid_credentials' : 'forbidden',
        `key refused${upstreamReason(response.data, conn)}`,
        context,
      );
    }
    if (response.status !== 200 && response.status !== 201) {
      throw unexpectedStatus(response, context, conn);
    }
    return this.parseToken(response.data, context);
  }

  /**
   * Lists the alerts whose start time lies in `window`, one page at a time, following `paging.urls.nextPage`
   * (query string kept) until it is null or absent. Every page answered 200 is yielded, even an empty one; a
   * 204 ends the listing without a page.
   * @throws LaceworkRequestError before sending anything when the window is empty or longer than 7 days.
   * @throws LaceworkForeignOriginError when a nextPage points at another origin; nothing is sent to it.
   * @throws LaceworkRequestError when a page past `maxPages` is offered; nothing is sent for it.
   */
  async *listAlerts(conn: LaceworkConnection, window: { start: Date; end: Date }): AsyncGenerator<AlertPage> {
    const startMs = window.start.getTime();
    const endMs = window.end.getTime();
    if (Number.isNaN(startMs) || Number.isNaN(endMs) || endMs <= startMs) {
      throw new LaceworkRequestError('bad_request', 'alert window must have a start before its end');
    }
    if (endMs - startMs > MAX_WINDOW_MS) {
      throw new LaceworkRequestError('bad_request', 'alert window longer than 7 days');
    }
    const origin = originOf(conn);
    let url: string | null =
      `${origin}/api/v2/Alerts?startTime=${window.start.toISOString()}&endTime=${window.end.toISOString()}`;
    const visited = new Set<string>();
    let pageNumber = 0;
    while (url !== null) {
      visited.add(url);
      const request: OutgoingRequest = { kind: 'list', method: 'GET', url, headers: {} };
      const response = await this.authorizedSend(conn, request);
      const context = contextOf(request, response.status);
      if (response.status === 204) {
        return;
      }
      if (response.status !== 200) {
        throw unexpectedStatus(response, context, conn);
      }
      const envelope = parseBody(response.data, context);
      const alerts = parseAlertList(envelope, context);
      const next = nextPageOf(envelope, url, context);
      pageNumber += 1;
      if (next !== null) {
        const nextOrigin = new URL(next).origin;
        if (nextOrigin !== origin) {
          throw new LaceworkForeignOriginError(nextOrigin, context);
        }
        if (visited.has(next)) {
          throw new LaceworkRequestError('bad_response', 'nextPage repeats an earlier page', context);
        }
        if (pageNumber >= this.maxPages) {
          // A next-page chain that never ends would keep a run (and its lane) busy for ever.
          throw new LaceworkRequestError(
            'bad_response',
            `the listing still offers a next page after ${this.maxPages} pages (LACEWORK_MAX_PAGES)`,
            context,
          );
        }
      }
      yield { alerts, pageNumber };
      url = next;
    }
  }

  /**
   * Fetches one scope of an alert. 200 gives the `data` field as lossless JSON text (`[]` stays `[]`);
   * 404 (or 204) gives `empty`.
   * @throws LaceworkAlertGoneError when the Details scope answers 404.
   */
  async fetchScope(conn: LaceworkConnection, alertId: string, scope: ScopeName): Promise<ScopeResult> {
    if (!ALERT_ID_PATTERN.test(alertId)) {
      throw new LaceworkRequestError('bad_request', 'alert id must be a decimal integer');
    }
    const url = `${originOf(conn)}/api/v2/Alerts/${alertId}?scope=${scope}`;
    const request: OutgoingRequest = { kind: 'scope', method: 'GET', url, headers: {} };
    const response = await this.authorizedSend(conn, request);
    const context = contextOf(request, response.status);
    if (response.status === 404) {
      if (scope === 'Details') {
        throw new LaceworkAlertGoneError(alertId, context);
      }
      return { kind: 'empty' };
    }
    if (response.status === 204 && scope !== 'Details') {
      return { kind: 'empty' };
    }
    if (
      response.status === 400 &&
      scope !== 'Details' &&
      UNSUPPORTED_SCOPE.test(upstreamReason(response.data, conn))
    ) {
      return { kind: 'unsupported' };
    }
    if (response.status !== 200) {
      throw unexpectedStatus(response, context, conn);
    }
    const body = parseBody(response.data, context);
    if (!isRecord(body) || !('data' in body)) {
      throw new LaceworkRequestError('bad_response', 'answer has no data field', context);
    }
    return { kind: 'data', dataJson: stringifyLossless(body.data) };
  }

  /**
   * Checks a connection end to end: mints a fresh token, then lists the last hour and counts its alerts.
   * `latencyMs` is the time the token took to mint, any wait for the request budget included.
   */
  async testConnection(conn: LaceworkConnection): Promise<{ latencyMs: number; alertsLastHour: number }> {
    this.tokens.invalidate(conn.integrationId);
    const started = this.now();
    await this.tokens.get(conn, () => this.mintToken(conn));
    const latencyMs = Math.max(0, this.now() - started);
    const end = new Date(this.now());
    const start = new Date(end.getTime() - 3_600_000);
    let alertsLastHour = 0;
    for await (const page of this.listAlerts(conn, { start, end })) {
      alertsLastHour += page.alerts.length;
    }
    return { latencyMs, alertsLastHour };
  }

  /**
   * Closes an alert (`POST /api/v2/Alerts/{id}/close`, answered 204). One HTTP attempt only: the caller keeps the
   * action durable and decides on retries, so a close is never sent twice by a hidden retry loop.
   * @returns `refused` with Lacework's status and message for any other 4xx (unknown alert, already closed, ...).
   * @throws LaceworkRateLimitedError, LaceworkUnavailableError, LaceworkAuthError when it may be retried later.
   */
  async closeAlert(
    conn: LaceworkConnection,
    alertId: string,
    close: { reason: number; comment: string | null },
  ): Promise<WriteBackAnswer> {
    const body: Record<string, unknown> = { reason: close.reason };
    if (close.comment !== null) {
      body.comment = close.comment;
    }
    return this.writeBack(conn, alertId, 'close', body);
  }

  /**
   * Adds a comment to an alert's timeline (`POST /api/v2/Alerts/{id}/comment`); the answer's `data` is the new
   * timeline entry. One HTTP attempt only, as for {@link closeAlert}.
   */
  async commentAlert(
    conn: LaceworkConnection,
    alertId: string,
    comment: { comment: string; format: 'plaintext' | 'markdown' },
  ): Promise<WriteBackAnswer> {
    return this.writeBack(conn, alertId, 'comment', { comment: comment.comment, format: comment.format });
  }

  /** Drops the cached token of an integration, e.g. after its key was replaced. */
  invalidateToken(integrationId: string): void {
    this.tokens.invalidate(integrationId);
  }

  private async writeBack(
    conn: LaceworkConnection,
    alertId: string,
    action: 'close' | 'comment',
    body: Record<string, unknown>,
  ): Promise<WriteBackAnswer> {
    if (!ALERT_ID_PATTERN.test(alertId)) {
      throw new LaceworkRequestError('bad_request', 'alert id must be a decimal integer');
    }
    const url = `${originOf(conn)}/api/v2/Alerts/${alertId}/${action}`;
    const request: OutgoingRequest = {
      kind: 'write',
      method: 'POST',
      url,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    };
    const response = await this.authorizedSend(conn, request, 1);
    const text = typeof response.data === 'string' ? response.data : '';
    if (response.status >= 200 && response.status < 300) {
      return { outcome: 'done', status: response.status, answer: text.slice(0, WRITE_ANSWER_MAX) || null };
    }
    return {
      outcome: 'refused',
      status: response.status,
      answer: upstreamReason(text, conn).replace(/^: /, '') || `status ${response.status}`,
    };
  }

  private async authorizedSend(
    conn: LaceworkConnection,
    request: OutgoingRequest,
    maxAttempts = this.maxAttempts,
  ): Promise<AxiosResponse<string>> {
    const token = await this.tokens.get(conn, () => this.mintToken(conn));
    const response = await this.send(conn, withToken(request, token, conn), maxAttempts);
    if (response.status !== 401 && response.status !== 403) {
      return response;
    }
    this.tokens.invalidate(conn.integrationId, token);
    const renewed = await this.tokens.get(conn, () => this.mintToken(conn));
    const retried = await this.send(conn, withToken(request, renewed, conn), maxAttempts);
    if (retried.status === 401 || retried.status === 403) {
      throw new LaceworkAuthError(
        retried.status === 401 ? 'invalid_credentials' : 'forbidden',
        `token refused after renewal${upstreamReason(retried.data, conn)}`,
        contextOf(request, retried.status),
      );
    }
    return retried;
  }

  /** Sends one request with budget, retries on 429/5xx/network/timeout; returns any other answer. */
  private async send(
    conn: LaceworkConnection,
    request: OutgoingRequest,
    maxAttempts = this.maxAttempts,
  ): Promise<AxiosResponse<string>> {
    this.assertAllowedOrigin(request);
    for (let attempt = 1; ; attempt += 1) {
      await this.acquireBudget(conn, request.kind);
      const started = this.now();
      let response: AxiosResponse<string>;
      try {
        response = await withRequestDeadline(this.timeoutMs, (signal) =>
          this.http.request<string>({
            method: request.method,
            url: request.url,
            headers: request.headers,
            data: request.body,
            signal,
          }),
        );
      } catch (error: unknown) {
        const failure = classifyFailure(error);
        this.report(conn, request.kind, failure.outcome, null, started);
        const context = contextOf(request, null);
        if (failure.outcome === 'client_error') {
          throw new LaceworkRequestError('bad_response', failure.reason, context);
        }
        if (!failure.retryable || attempt >= maxAttempts) {
          throw new LaceworkUnavailableError(`${failure.reason} after ${attempt} attempt(s)`, context);
        }
        await this.sleep(backoffDelayMs(attempt - 1, this.backoffBaseMs, this.backoffCapMs, this.random));
        continue;
      }
      const status = response.status;
      this.report(conn, request.kind, outcomeOf(status), status, started);
      if (status === 429) {
        const waitMs = rateLimitWaitMs(response.headers, this.now(), this.rateLimitDefaultWaitMs);
        const retryAt = new Date(this.now() + waitMs);
        await this.budget.reportRateLimited(conn, retryAt);
        if (attempt >= maxAttempts || waitMs > this.rateLimitMaxWaitMs) {
          throw new LaceworkRateLimitedError(
            retryAt,
            `rate limited until ${retryAt.toISOString()}`,
            contextOf(request, status),
          );
        }
        await this.sleep(waitMs);
        continue;
      }
      if (status >= 500) {
        if (attempt >= maxAttempts) {
          throw new LaceworkUnavailableError(
            `server error after ${attempt} attempt(s)${upstreamReason(response.data, conn)}`,
            contextOf(request, status),
          );
        }
        await this.sleep(backoffDelayMs(attempt - 1, this.backoffBaseMs, this.backoffCapMs, this.random));
        continue;
      }
      return response;
    }
  }

  /**
   * Applies today's host policy to the stored organization URL before any connection: a row written by hand, or a
   * host since removed from the allow-list, is refused. Names under lacework.net are checked again after DNS.
   */
  private assertAllowedOrigin(request: OutgoingRequest): void {
    const origin = new URL(request.url).origin;
    const allowed = normalizeOrganizationUrl(origin, this.extraAllowedHosts);
    if (!allowed.ok) {
      throw new LaceworkRequestError(
        'bad_request',
        `organization URL is not allowed: ${allowed.reason}`,
        contextOf(request, null),
      );
    }
  }

  private async acquireBudget(conn: LaceworkConnection, kind: CallKind): Promise<void> {
    const started = this.now();
    await this.budget.acquire(conn);
    if (this.now() - started >= this.budgetWaitReportMs) {
      this.report(conn, kind, 'budget_wait', null, started);
    }
  }

  private report(
    conn: LaceworkConnection,
    kind: CallKind,
    outcome: CallOutcome,
    status: number | null,
    started: number,
  ): void {
    if (!this.onCall) {
      return;
    }
    const event: CallEvent = {
      integrationId: conn.integrationId,
      kind,
      outcome,
      status,
      durationMs: Math.max(0, this.now() - started),
      at: new Date(started),
    };
    try {
      this.onCall(event);
    } catch {
      // A failing listener must not turn a good Lacework answer into an error.
    }
  }

  private parseToken(text: string, context: LaceworkCallContext): LaceworkToken {
    const body = parseBody(text, context);
    const candidate = tokenRecordOf(body);
    if (!candidate || typeof candidate.token !== 'string' || candidate.token.length === 0) {
      throw new LaceworkRequestError('bad_response', 'token answer has no token', context);
    }
    const expiresMs = typeof candidate.expiresAt === 'string' ? Date.parse(candidate.expiresAt) : Number.NaN;
    const expiresAt = Number.isNaN(expiresMs)
      ? new Date(this.now() + this.tokenExpirySeconds * 1000)
      : new Date(expiresMs);
    return { token: candidate.token, expiresAt };
  }
}

function originOf(conn: LaceworkConnection): string {
  let url: URL;
  try {
    url = new URL(conn.organizationUrl);
  } catch {
    throw new LaceworkRequestError('bad_request', 'organization URL is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new LaceworkRequestError('bad_request', 'organization URL must use http or https');
  }
  return url.origin;
}

function subAccountHeader(conn: LaceworkConnection): Record<string, string> {
  return conn.subAccount ? { 'Account-Name': conn.subAccount } : {};
}

function withToken(request: OutgoingRequest, token: string, conn: LaceworkConnection): OutgoingRequest {
  return {
    ...request,
    headers: {
      ...request.headers,
      Accept: 'application/json',
      Authorization: `Bearer ${token}`,
      ...subAccountHeader(conn),
    },
  };
}

function contextOf(request: OutgoingRequest, status: number | null): LaceworkCallContext {
  return { method: request.method, path: new URL(request.url).pathname, status };
}

function outcomeOf(status: number): CallOutcome {
  if (status >= 200 && status < 300) {
    return 'ok';
  }
  if (status === 404) {
    return 'not_found';
  }
  if (status === 429) {
    return 'rate_limited';
  }
  if (status === 401 || status === 403) {
    return 'auth_error';
  }
  if (status >= 500) {
    return 'server_error';
  }
  return 'client_error';
}

interface Failure {
  outcome: 'timeout' | 'network_error' | 'client_error';
  retryable: boolean;
  reason: string;
}

function classifyFailure(error: unknown): Failure {
  // Only the error code is read: axios errors carry the request config, headers and token included.
  const code = isRecord(error) ? stringField(error, 'code') : null;
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
    return { outcome: 'timeout', retryable: true, reason: 'request timed out' };
  }
  if (code === UNSAFE_ADDRESS_CODE) {
    return { outcome: 'network_error', retryable: false, reason: 'host resolved to a non-public address' };
  }
  if (code === AxiosError.ERR_BAD_RESPONSE) {
    return { outcome: 'client_error', retryable: false, reason: 'answer too large or unreadable' };
  }
  return { outcome: 'network_error', retryable: true, reason: `network error ${code ?? 'unknown'}` };
}

// Lacework's words when an alert has no such scope at all (many alert types lack Timeline or ObservationTimeline).
const UNSUPPORTED_SCOPE = /not supported|unsupported|not available for/i;

function unexpectedStatus(
  response: AxiosResponse<string>,
  context: LaceworkCallContext,
  conn: LaceworkConnection,
): LaceworkRequestError {
  const status = response.status;
  const code = status >= 400 && status < 500 ? 'bad_request' : 'bad_response';
  return new LaceworkRequestError(code, `unexpected answer${upstreamReason(response.data, conn)}`, context);
}

/** Lacework's own error message, shortened, with the secret and anything token-like removed. */
function upstreamReason(text: unknown, conn: LaceworkConnection): string {
  if (typeof text !== 'string' || text.length === 0) {
    return '';
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return '';
  }
  const message = isRecord(body)
    ? (stringField(body, 'message') ?? (isRecord(body.data) ? stringField(body.data, 'message') : null))
    : null;
  if (!message) {
    return '';
  }
  let cleaned = conn.secret ? message.split(conn.secret).join('[redacted]') : message;
  cleaned = cleaned.replace(TOKEN_LIKE, '[redacted]').slice(0, UPSTREAM_MESSAGE_MAX);
  return `: ${cleaned}`;
}

function parseBody(text: unknown, context: LaceworkCallContext): unknown {
  if (typeof text !== 'string' || text.trim().length === 0) {
    throw new LaceworkRequestError('bad_response', 'answer has no body', context);
  }
  try {
    return parseLossless(text);
  } catch {
    throw new LaceworkRequestError('bad_response', 'answer is not valid JSON', context);
  }
}

function tokenRecordOf(body: unknown): Record<string, unknown> | null {
  if (!isRecord(body)) {
    return null;
  }
  if (typeof body.token === 'string') {
    return body;
  }
  // Older API versions wrapped the token in data, as an object or a one-element list.
  const data = Array.isArray(body.data) ? (body.data[0] as unknown) : body.data;
  return isRecord(data) ? data : null;
}

function parseAlertList(envelope: unknown, context: LaceworkCallContext): ListedAlert[] {
  if (!isRecord(envelope) || !Array.isArray(envelope.data)) {
    throw new LaceworkRequestError('bad_response', 'alert list has no data array', context);
  }
  return envelope.data.map((record: unknown) => {
    if (!isRecord(record)) {
      throw new LaceworkRequestError('bad_response', 'alert list entry is not an object', context);
    }
    const alertId = decimalId(record.alertId);
    if (alertId === null) {
      throw new LaceworkRequestError('bad_response', 'alert list entry has no integer alertId', context);
    }
    return {
      alertId,
      severity: textField(record, 'severity'),
      status: textField(record, 'status'),
      alertType: textField(record, 'alertType'),
      alertName: textField(record, 'alertName'),
      startTime: textField(record, 'startTime'),
      endTime: textField(record, 'endTime'),
      recordJson: stringifyLossless(record),
    };
  });
}

function nextPageOf(envelope: unknown, currentUrl: string, context: LaceworkCallContext): string | null {
  if (!isRecord(envelope) || !isRecord(envelope.paging) || !isRecord(envelope.paging.urls)) {
    return null;
  }
  const next = envelope.paging.urls.nextPage;
  if (next === null || next === undefined || next === '') {
    return null;
  }
  if (typeof next !== 'string') {
    throw new LaceworkRequestError('bad_response', 'nextPage is not a string', context);
  }
  let resolved: URL;
  try {
    resolved = new URL(next, currentUrl);
  } catch {
    throw new LaceworkRequestError('bad_response', 'nextPage is not a valid URL', context);
  }
  return resolved.href;
}

function decimalId(value: unknown): string | null {
  const text = isLosslessNumber(value) ? value.toString() : typeof value === 'string' ? value.trim() : null;
  return text !== null && ALERT_ID_PATTERN.test(text) ? text : null;
}

function textField(record: Record<string, unknown>, key: string): string {
  const value = record[key];
  return typeof value === 'string' ? value : '';
}

function stringField(record: object, key: string): string | null {
  const value = (record as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
