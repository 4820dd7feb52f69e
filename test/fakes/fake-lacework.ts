import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, request as httpRequest, Server, ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AddressInfo } from 'node:net';
import {
  AnyScopeName,
  compareAlerts,
  createAlertState,
  createSeededRandom,
  EXTRA_SCOPE_NAMES,
  FakeAlertSeed,
  FakeAlertState,
  FakeSeverity,
  renderListRecord,
  renderObservationTimeline,
  renderScopeData,
  SCOPE_NAMES,
  ScopeName,
  UNSUPPORTED_SCOPE,
} from './fake-lacework-alerts';

export {
  EXTRA_SCOPE_NAMES,
  FAKE_SEVERITIES,
  generateAlerts,
  machineIdFor,
  SCOPE_NAMES,
  type AnyScopeName,
  type FakeAlertSeed,
  type FakeSeverity,
  type FakeStatus,
  type GenerateAlertsOptions,
  type ScopeName,
} from './fake-lacework-alerts';

export interface FakeApiKey {
  keyId: string;
  secret: string;
  account?: string;
  subAccount?: string;
}

/**
 * A limiter per keyId, `limit` requests per `windowSeconds`. Lacework documents none, so the fake offers the models
 * a client must survive: 'rolling-window' (the default: at most `limit` in any window), 'token-bucket' (refills
 * smoothly at `limit` per window, holds `burst` tokens, 10 by default), and 'shared-key' (a token bucket at half
 * the rate: another tool spends the rest of the key's budget).
 */
export interface FakeRateLimit {
  mode?: 'rolling-window' | 'token-bucket' | 'shared-key';
  limit: number;
  windowSeconds: number;
  burst?: number;
  /** Also send Retry-After with a 429 (RateLimit-Reset is always sent). */
  retryAfter?: boolean;
}

export interface FakeLaceworkOptions {
  /** Alerts per listing page, default 500. */
  pageSize?: number;
  /** Upper bound of a token's life, default 3600; `expiresAt` reflects it. */
  tokenTtlSeconds?: number;
  /** Added to every answer, default 0. */
  latencyMs?: number;
  /** Share (0..1) of list and scope calls answered 500/502/503/504 at random. */
  serverErrorRate?: number;
  /** Seed of the RNG behind serverErrorRate, default 1. */
  seed?: number;
  /** Limiter per keyId; token calls count against it but are never refused. */
  rateLimit?: FakeRateLimit | null;
  /** Default true: an empty listing answers 204 with no body; false answers 200 with empty data. */
  emptyAs204?: boolean;
  /** nextPage tokens expire after this many seconds (400); default null = never. */
  pageTokenTtlSeconds?: number | null;
  /** Clock for visibleAt and the default window, default real time. */
  now?: () => Date;
  /** Status for an unknown or expired token, default 401 (the real API also uses 403). */
  authFailureStatus?: 401 | 403;
  /** A listing without startTime/endTime: 'reject' (400, default) or 'last24h' before now(). */
  missingWindow?: 'reject' | 'last24h';
  /** Keep a log of requests in `requests`, default true; counters run either way. */
  recordRequests?: boolean;
}

export type FakeRequestKind = 'token' | 'list' | 'scope' | 'other';

export interface FakeRequestRecord {
  /** Arrival time, epoch milliseconds. */
  at: number;
  method: string;
  path: string;
  /** The query string without its leading `?`. */
  query: string;
  status: number;
  kind: FakeRequestKind;
  scope?: string;
  alertId?: string;
  /** Lower-cased names; values as sent. */
  headers: Record<string, string | undefined>;
  /** keyId of the token (or of the token request body). */
  keyId?: string;
  /** Account-Name header, or the key's subAccount when the header is absent. */
  accountName?: string;
}

interface ResolvedOptions {
  pageSize: number;
  tokenTtlSeconds: number;
  latencyMs: number;
  serverErrorRate: number;
  seed: number;
  rateLimit: FakeRateLimit | null;
  emptyAs204: boolean;
  pageTokenTtlSeconds: number | null;
  now: () => Date;
  authFailureStatus: 401 | 403;
  missingWindow: 'reject' | 'last24h';
  recordRequests: boolean;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string | null;
}

interface RequestContext {
  record: FakeRequestRecord;
  keyId?: string;
}

interface ListingSnapshot {
  readonly opaque: string;
  readonly alerts: readonly FakeAlertState[];
  readonly accountName: string | undefined;
  readonly pageSize: number;
}

interface PageCursor {
  readonly snapshot: ListingSnapshot;
  readonly offset: number;
  readonly issuedAtMs: number;
}

interface InjectedFailure {
  remaining: number;
  status: number;
  headers: Record<string, string>;
}

const ALERTS_PATH = '/api/v2/Alerts';
const TOKEN_PATH = '/api/v2/access/tokens';
const PAGE_PREFIX = 'pg';
const MAX_WINDOW_MS = 7 * 86_400_000;
const MAX_TOKEN_EXPIRY_SECONDS = 86_400;
const MAX_PAGE_CURSORS = 10_000;
const MAX_BODY_BYTES = 64 * 1024;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const TRANSIENT_STATUSES = [500, 502, 503, 504] as const;
/** Rolling window of request times per key. */
class RollingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  /** Takes a slot unless the window is full; `force` takes one regardless. */
  take(
    key: string,
    nowMs: number,
    limit: number,
    windowMs: number,
    force: boolean,
  ): { allowed: boolean; remaining: number; resetSeconds: number } {
    let times = this.hits.get(key);
    if (times === undefined) {
      times = [];
      this.hits.set(key, times);
    }
    let expired = 0;
    while (expired < times.length && times[expired] <= nowMs - windowMs) {
      expired++;
    }
    if (expired > 0) {
      times.splice(0, expired);
    }
    const allowed = force || times.length < limit;
    if (allowed) {
      times.push(nowMs);
    }
    const resetMs = times.length > 0 ? times[0] + windowMs - nowMs : 0;
    return {
      allowed,
      remaining: Math.max(0, limit - times.length),
      resetSeconds: Math.max(0, Math.ceil(resetMs / 1000)),
    };
  }

  clear(): void {
    this.hits.clear();
  }
}

/** Token bucket per key: refills at a steady rate, holds at most `burst`; forced takes may run into debt. */
class TokenBucketLimiter {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  take(
    key: string,
    nowMs: number,
    ratePerMs: number,
    burst: number,
    force: boolean,
  ): { allowed: boolean; remaining: number; resetSeconds: number } {
    const bucket = this.buckets.get(key) ?? { tokens: burst, atMs: nowMs };
    bucket.tokens = Math.min(burst, bucket.tokens + (nowMs - bucket.atMs) * ratePerMs);
    bucket.atMs = nowMs;
    this.buckets.set(key, bucket);
    const allowed = force || bucket.tokens >= 1;
    if (allowed) {
      bucket.tokens -= 1;
    }
    const untilOneMs = bucket.tokens >= 1 ? 0 : (1 - bucket.tokens) / ratePerMs;
    return {
      allowed,
      remaining: Math.max(0, Math.floor(bucket.tokens)),
      resetSeconds: Math.max(0, Math.ceil(untilOneMs / 1000)),
    };
  }

  clear(): void {
    this.buckets.clear();
  }
}

function jsonAnswer(status: number, body: string, headers: Record<string, string> = {}): Answer {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body };
}

function messageAnswer(status: number, message: string, headers: Record<string, string> = {}): Answer {
  return jsonAnswer(status, JSON.stringify({ message }), headers);
}

function transientAnswer(status: number): Answer {
  // Gateway errors come from the proxy in front of the API, as HTML.
  if (status === 502 || status === 504) {
    const title = status === 502 ? '502 Bad Gateway' : '504 Gateway Time-out';
    return {
      status,
      headers: { 'content-type': 'text/html' },
      body: `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center></body></html>`,
    };
  }
  return messageAnswer(status, status === 503 ? 'Service Unavailable' : 'Internal Server Error');
}

function parseTime(value: string | null): number | undefined {
  if (value === null || !RFC3339.test(value)) {
    return undefined;
  }
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function lowerBound(alerts: readonly FakeAlertState[], startMs: number): number {
  let low = 0;
  let high = alerts.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (alerts[mid].startMs < startMs) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  return low;
}

function sameAccount(a: string | undefined, b: string | undefined): boolean {
  return (a ?? '').toLowerCase() === (b ?? '').toLowerCase();
}

/** A local, controllable stand-in for the Lacework API v2 alert endpoints. */
export class FakeLacework {
  readonly requests: FakeRequestRecord[] = [];

  private baseUrl = '';
  private options: ResolvedOptions;
  private random: () => number;
  private readonly server: Server;
  private readonly keys = new Map<string, FakeApiKey>();
  private readonly tokens = new Map<string, { keyId: string; expiresAtMs: number }>();
  private sortedAlerts: FakeAlertState[] = [];
  private readonly alertsById = new Map<string, FakeAlertState>();
  private readonly cursors = new Map<string, PageCursor>();
  private readonly scopeFailures = new Map<string, number>();
  private readonly injected: InjectedFailure[] = [];
  private readonly limiter = new RollingWindowLimiter();
  private readonly bucket = new TokenBucketLimiter();
  private readonly counts: Record<FakeRequestKind, number> = { token: 0, list: 0, scope: 0, other: 0 };
  private readonly pendingTimers = new Set<NodeJS.Timeout>();
  private readonly writeBack = new FakeWriteBack();
  private lastPagesServed = 0;

  private constructor(options: FakeLaceworkOptions) {
    this.options = FakeLacework.resolve(options);
    this.random = createSeededRandom(this.options.seed);
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = 5_000;
  }

  /** Starts a fake on 127.0.0.1 with an ephemeral port. */
  static async start(options: FakeLaceworkOptions = {}): Promise<FakeLacework> {
    const fake = new FakeLacework(options);
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(0, '127.0.0.1', () => {
        fake.server.off('error', reject);
        resolve();
      });
    });
    const address = fake.server.address() as AddressInfo;
    fake.baseUrl = `http://127.0.0.1:${address.port}`;
    return fake;
  }

  /** Base URL, `http://127.0.0.1:<port>`, without a trailing slash. */
  get url(): string {
    return this.baseUrl;
  }

  private static resolve(options: FakeLaceworkOptions, base?: ResolvedOptions): ResolvedOptions {
    const merged: ResolvedOptions = {
      pageSize: 500,
      tokenTtlSeconds: 3600,
      latencyMs: 0,
      serverErrorRate: 0,
      seed: 1,
      rateLimit: null,
      emptyAs204: true,
      pageTokenTtlSeconds: null,
      now: () => new Date(),
      authFailureStatus: 401,
      missingWindow: 'reject',
      recordRequests: true,
      ...base,
    };
    for (const [name, value] of Object.entries(options)) {
      if (value !== undefined) {
        (merged as unknown as Record<string, unknown>)[name] = value;
      }
    }
    if (!Number.isInteger(merged.pageSize) || merged.pageSize < 1) {
      throw new Error(`pageSize must be a positive integer, got ${merged.pageSize}`);
    }
    if (!(merged.tokenTtlSeconds > 0)) {
      throw new Error(`tokenTtlSeconds must be positive, got ${merged.tokenTtlSeconds}`);
    }
    if (!(merged.serverErrorRate >= 0 && merged.serverErrorRate <= 1)) {
      throw new Error(`serverErrorRate must be within 0..1, got ${merged.serverErrorRate}`);
    }
    if (!(merged.latencyMs >= 0)) {
      throw new Error(`latencyMs must not be negative, got ${merged.latencyMs}`);
    }
    if (merged.rateLimit !== null && !(merged.rateLimit.limit >= 1 && merged.rateLimit.windowSeconds > 0)) {
      throw new Error('rateLimit needs limit >= 1 and windowSeconds > 0');
    }
    return merged;
  }

  /** Registers an API key that may mint tokens. */
  addKey(key: FakeApiKey): void {
    this.keys.set(key.keyId, { ...key });
  }

  /** Revokes an API key: it mints no more tokens, and the tokens it minted are refused. */
  revokeKey(keyId: string): void {
    this.keys.delete(keyId);
    for (const [token, held] of this.tokens) {
      if (held.keyId === keyId) {
        this.tokens.delete(token);
      }
    }
  }

  /** Adds alerts; an alertId that already exists is an error. */
  addAlerts(seeds: FakeAlertSeed[]): void {
    const states = seeds.map((seed) => createAlertState(seed));
    const fresh = new Set<string>();
    for (const state of states) {
      if (this.alertsById.has(state.alertId) || fresh.has(state.alertId)) {
        throw new Error(`alert ${state.alertId} already exists`);
      }
      fresh.add(state.alertId);
    }
    for (const state of states) {
      this.alertsById.set(state.alertId, state);
    }
    if (states.length < 64) {
      for (const state of states) {
        this.sortedAlerts.splice(this.insertionIndex(state), 0, state);
      }
    } else {
      this.sortedAlerts = this.sortedAlerts.concat(states).sort(compareAlerts);
    }
  }

  /** Changes status or severity of an alert's list record; startTime stays. */
  updateAlert(alertId: string, change: Partial<Pick<FakeAlertSeed, 'status' | 'severity'>>): void {
    const alert = this.requireAlert(alertId);
    if (change.status !== undefined) {
      alert.status = change.status;
    }
    if (change.severity !== undefined) {
      alert.severity = change.severity;
    }
    alert.listText = undefined;
  }

  /** Removes an alert from listings; its scopes answer 404 afterwards. */
  removeAlert(alertId: string): void {
    const alert = this.requireAlert(alertId);
    this.alertsById.delete(alertId);
    const index = this.insertionIndex(alert);
    if (this.sortedAlerts[index] === alert) {
      this.sortedAlerts.splice(index, 1);
    }
  }

  /** Makes one scope of one alert answer `status` from now on; null restores it. */
  failScope(alertId: string, scope: ScopeName, status: number | null): void {
    const key = `${alertId}|${scope}`;
    if (status === null) {
      this.scopeFailures.delete(key);
      return;
    }
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new Error(`failScope needs a 4xx or 5xx status, got ${status}`);
    }
    this.scopeFailures.set(key, status);
  }

  /** The next `n` non-token requests answer `status` with `headers`, before any other check. */
  failNext(n: number, status: number, headers: Record<string, string> = {}): void {
    if (n > 0) {
      this.injected.push({ remaining: n, status, headers: { ...headers } });
    }
  }

  /** Invalidates every token issued so far. */
  expireAllTokens(): void {
    this.tokens.clear();
  }

  /** Changes options of the running fake; a new seed restarts the RNG. */
  setOptions(patch: Partial<FakeLaceworkOptions>): void {
    this.options = FakeLacework.resolve(patch, this.options);
    if (patch.seed !== undefined) {
      this.random = createSeededRandom(this.options.seed);
    }
  }

  /**
   * The raw `data` text a scope call answers with, or null when it answers 404
   * (alert removed, scope empty, or failScope(..., 404)). Other injected failures are ignored.
   */
  expectedScopeData(alertId: string, scope: AnyScopeName): string | null {
    const alert = this.alertsById.get(alertId);
    if (alert === undefined || this.scopeFailures.get(`${alertId}|${scope}`) === 404) {
      return null;
    }
    const data =
      scope === 'ObservationTimeline'
        ? renderObservationTimeline(alert)
        : this.withWrittenTimeline(alertId, scope, renderScopeData(alert, scope));
    return typeof data === 'string' ? data : null;
  }

  /** Raw JSON text of the alert's list record as currently served. */
  listRecordText(alertId: string): string {
    return renderListRecord(this.requireAlert(alertId));
  }

  /** Closes and comments received, in order (method POST, path ending /close or /comment). */
  writeBackRequests(): FakeRequestRecord[] {
    return this.requests.filter((r) => WRITE_BACK_PATH.test(r.path));
  }

  /** Pushes a webhook hint to `target` whenever createAlert() creates an alert of a matching severity; null stops. */
  sendHintsTo(target: FakeHintTarget | null): void {
    this.writeBack.hintTarget = target;
  }

  /** Hints pushed so far, with the status the receiver answered (null: no answer). */
  get hintsSent(): readonly FakeHintRecord[] {
    return this.writeBack.hintsSent;
  }

  /** Adds one alert as Lacework raises it: listed from now on, and pushed as a hint when a target is set. */
  async createAlert(seed: FakeAlertSeed): Promise<void> {
    this.addAlerts([seed]);
    await this.writeBack.pushHint(this.requireAlert(seed.alertId));
  }

  /** Number of requests of a kind since start or the last reset(). */
  count(kind: FakeRequestKind): number {
    return this.counts[kind];
  }

  /** Clears the request log, the counters and the rate limiter; keeps alerts, keys and injected failures. */
  reset(): void {
    this.requests.length = 0;
    this.counts.token = 0;
    this.counts.list = 0;
    this.counts.scope = 0;
    this.counts.other = 0;
    this.limiter.clear();
    this.bucket.clear();
  }

  /** Stops listening and drops open connections; a second call does nothing. */
  async close(): Promise<void> {
    for (const timer of this.pendingTimers) {
      clearTimeout(timer);
    }
    this.pendingTimers.clear();
    if (!this.server.listening) {
      return;
    }
    await new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      this.server.closeAllConnections();
    });
  }

  private requireAlert(alertId: string): FakeAlertState {
    const alert = this.alertsById.get(alertId);
    if (alert === undefined) {
      throw new Error(`unknown alert ${alertId}`);
    }
    return alert;
  }

  private insertionIndex(alert: FakeAlertState): number {
    let low = 0;
    let high = this.sortedAlerts.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareAlerts(this.sortedAlerts[mid], alert) < 0) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const arrivedAt = Date.now();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
      }
    });
    req.on('end', () => {
      const body = size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8');
      this.respond(req, res, arrivedAt, body);
    });
    req.on('error', () => res.destroy());
  }

  private respond(req: IncomingMessage, res: ServerResponse, arrivedAt: number, body: string | null): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const record: FakeRequestRecord = {
      at: arrivedAt,
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search.startsWith('?') ? url.search.slice(1) : url.search,
      status: 0,
      kind: 'other',
      headers,
    };
    let answer: Answer;
    try {
      answer = this.answer({ record }, url, body);
    } catch (error) {
      answer = messageAnswer(500, `fake failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    record.status = answer.status;
    this.counts[record.kind]++;
    if (this.options.recordRequests) {
      this.requests.push(record);
    }
    const send = (): void => {
      if (res.destroyed) {
        return;
      }
      const outHeaders: Record<string, string | number> = { ...answer.headers };
      if (answer.body !== null) {
        outHeaders['content-length'] = Buffer.byteLength(answer.body);
      }
      res.writeHead(answer.status, outHeaders);
      res.end(answer.body ?? undefined);
    };
    if (this.options.latencyMs > 0) {
      const timer = setTimeout(() => {
        this.pendingTimers.delete(timer);
        send();
      }, this.options.latencyMs);
      this.pendingTimers.add(timer);
    } else {
      send();
    }
  }

  private answer(context: RequestContext, url: URL, body: string | null): Answer {
    const { record } = context;
    const path = url.pathname;
    if (path === TOKEN_PATH) {
      record.kind = 'token';
      return record.method === 'POST'
        ? this.answerToken(context, body)
        : messageAnswer(405, 'Method not allowed');
    }
    let alertSegment: string | undefined;
    if (path === ALERTS_PATH) {
      record.kind = 'list';
    } else if (path.startsWith(`${ALERTS_PATH}/`) && !path.slice(ALERTS_PATH.length + 1).includes('/')) {
      alertSegment = decodeURIComponent(path.slice(ALERTS_PATH.length + 1));
      if (/^\d+$/.test(alertSegment)) {
        record.kind = 'scope';
        record.alertId = alertSegment;
        record.scope = url.searchParams.get('scope') ?? undefined;
      } else {
        record.kind = 'list';
      }
    }

    const failure = this.injected[0];
    if (failure !== undefined) {
      failure.remaining--;
      if (failure.remaining <= 0) {
        this.injected.shift();
      }
      return failure.status >= 500 && Object.keys(failure.headers).length === 0
        ? transientAnswer(failure.status)
        : messageAnswer(failure.status, 'Injected failure', failure.headers);
    }

    const unauthorized = this.authenticate(context);
    if (unauthorized !== undefined) {
      return unauthorized;
    }
    const accountHeader = record.headers['account-name'];
    const key = this.keys.get(context.keyId ?? '');
    record.accountName = accountHeader ?? key?.subAccount;
    const writeBack = this.answerWriteBack(record, path, body);
    if (writeBack !== undefined) {
      return writeBack;
    }
    if (record.kind === 'other') {
      return messageAnswer(404, 'Not found');
    }
    if (record.method !== 'GET') {
      return messageAnswer(405, 'Method not allowed');
    }

    const limitHeaders: Record<string, string> = {};
    const rateLimit = this.options.rateLimit;
    if (rateLimit !== null) {
      const verdict = this.takeFromLimiter(context.keyId ?? '', Date.now(), false);
      limitHeaders['RateLimit-Limit'] = String(rateLimit.limit);
      limitHeaders['RateLimit-Remaining'] = String(verdict.remaining);
      limitHeaders['RateLimit-Reset'] = String(verdict.resetSeconds);
      if (!verdict.allowed) {
        if (rateLimit.retryAfter === true) {
          limitHeaders['Retry-After'] = String(verdict.resetSeconds);
        }
        return messageAnswer(429, 'Rate limit exceeded', limitHeaders);
      }
    }
    if (this.options.serverErrorRate > 0 && this.random() < this.options.serverErrorRate) {
      return transientAnswer(TRANSIENT_STATUSES[Math.floor(this.random() * TRANSIENT_STATUSES.length)]);
    }

    const answer =
      record.kind === 'scope'
        ? this.answerScope(record, url)
        : alertSegment === undefined
          ? this.answerFirstPage(record, url)
          : this.answerNextPage(record, alertSegment, url);
    answer.headers = { ...limitHeaders, ...answer.headers };
    return answer;
  }

  private answerWriteBack(record: FakeRequestRecord, path: string, body: string | null): Answer | undefined {
    return this.writeBack.answer(this.alertsById, record, path, body);
  }

  private withWrittenTimeline(alertId: string, scope: string, data: string | 404): string | 404 {
    return this.writeBack.merge(alertId, scope, data);
  }

  private answerToken(context: RequestContext, body: string | null): Answer {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body ?? '');
    } catch {
      return messageAnswer(400, 'Request body must be JSON with keyId');
    }
    if (typeof parsed !== 'object' || parsed === null) {
      return messageAnswer(400, 'Request body must be JSON with keyId');
    }
    const { keyId, expiryTime } = parsed as { keyId?: unknown; expiryTime?: unknown };
    if (typeof keyId !== 'string') {
      return messageAnswer(400, 'keyId is required');
    }
    context.record.keyId = keyId;
    const requestedSeconds = expiryTime ?? 3600;
    if (
      typeof requestedSeconds !== 'number' ||
      !Number.isInteger(requestedSeconds) ||
      requestedSeconds < 1 ||
      requestedSeconds > MAX_TOKEN_EXPIRY_SECONDS
    ) {
      return messageAnswer(400, `expiryTime must be an integer from 1 to ${MAX_TOKEN_EXPIRY_SECONDS}`);
    }
    const key = this.keys.get(keyId);
    if (key === undefined || context.record.headers['x-lw-uaks'] !== key.secret) {
      return messageAnswer(401, 'Invalid API key or secret');
    }
    const nowMs = Date.now();
    this.takeFromLimiter(keyId, nowMs, true);
    const ttlSeconds = Math.min(requestedSeconds, this.options.tokenTtlSeconds);
    const expiresAtMs = nowMs + Math.round(ttlSeconds * 1000);
    const token = `_${randomBytes(24).toString('hex')}`;
    this.tokens.set(token, { keyId, expiresAtMs });
    return jsonAnswer(201, JSON.stringify({ token, expiresAt: new Date(expiresAtMs).toISOString() }));
  }

  /** Counts one request against the configured limiter, if any; `force` counts it even when over the limit. */
  private takeFromLimiter(
    keyId: string,
    nowMs: number,
    force: boolean,
  ): { allowed: boolean; remaining: number; resetSeconds: number } {
    const rateLimit = this.options.rateLimit;
    if (rateLimit === null) {
      return { allowed: true, remaining: 0, resetSeconds: 0 };
    }
    const windowMs = rateLimit.windowSeconds * 1000;
    switch (rateLimit.mode ?? 'rolling-window') {
      case 'rolling-window':
        return this.limiter.take(keyId, nowMs, rateLimit.limit, windowMs, force);
      case 'token-bucket':
        return this.bucket.take(keyId, nowMs, rateLimit.limit / windowMs, rateLimit.burst ?? 10, force);
      case 'shared-key':
        return this.bucket.take(keyId, nowMs, rateLimit.limit / 2 / windowMs, rateLimit.burst ?? 10, force);
    }
  }

  private authenticate(context: RequestContext): Answer | undefined {
    const status = this.options.authFailureStatus;
    const header = context.record.headers.authorization;
    if (header === undefined || header.trim() === '') {
      return messageAnswer(status, 'Missing authorization token');
    }
    const token = header.replace(/^bearer\s+/i, '').trim();
    const issued = this.tokens.get(token);
    if (issued === undefined) {
      return messageAnswer(status, 'Invalid or expired token');
    }
    if (issued.expiresAtMs <= Date.now()) {
      this.tokens.delete(token);
      return messageAnswer(status, 'Token expired');
    }
    context.keyId = issued.keyId;
    context.record.keyId = issued.keyId;
    return undefined;
  }

  private answerFirstPage(record: FakeRequestRecord, url: URL): Answer {
    const startText = url.searchParams.get('startTime');
    const endText = url.searchParams.get('endTime');
    let startMs: number | undefined;
    let endMs: number | undefined;
    if (startText === null && endText === null && this.options.missingWindow === 'last24h') {
      endMs = this.options.now().getTime();
      startMs = endMs - 86_400_000;
    } else {
      startMs = parseTime(startText);
      endMs = parseTime(endText);
    }
    if (startMs === undefined || endMs === undefined) {
      return messageAnswer(
        400,
        'startTime and endTime must be RFC 3339 timestamps, e.g. 2024-05-01T00:00:00.000Z',
      );
    }
    if (endMs <= startMs) {
      return messageAnswer(400, 'endTime must be after startTime');
    }
    if (endMs - startMs > MAX_WINDOW_MS) {
      return messageAnswer(400, 'The time window must not exceed 7 days');
    }
    const nowMs = this.options.now().getTime();
    const accountName = record.headers['account-name'];
    const selected: FakeAlertState[] = [];
    for (let i = lowerBound(this.sortedAlerts, startMs); i < this.sortedAlerts.length; i++) {
      const alert = this.sortedAlerts[i];
      if (alert.startMs >= endMs) {
        break;
      }
      if (
        (alert.visibleAtMs === undefined || alert.visibleAtMs <= nowMs) &&
        sameAccount(alert.subAccount, accountName)
      ) {
        selected.push(alert);
      }
    }
    const snapshot: ListingSnapshot = {
      opaque: `${PAGE_PREFIX}${randomBytes(12).toString('hex')}`,
      alerts: selected,
      accountName,
      pageSize: this.options.pageSize,
    };
    return this.servePage(snapshot, 0);
  }

  private answerNextPage(record: FakeRequestRecord, opaque: string, url: URL): Answer {
    const pageToken = url.searchParams.get('pageToken');
    if (pageToken === null) {
      return messageAnswer(400, 'pageToken is missing: follow nextPage with its query string');
    }
    const cursor = this.cursors.get(pageToken);
    if (cursor === undefined || cursor.snapshot.opaque !== opaque) {
      return messageAnswer(400, 'Invalid page token');
    }
    const ttl = this.options.pageTokenTtlSeconds;
    if (ttl !== null && cursor.issuedAtMs + ttl * 1000 <= Date.now()) {
      return messageAnswer(400, 'Page token expired');
    }
    if (!sameAccount(cursor.snapshot.accountName, record.headers['account-name'])) {
      return messageAnswer(400, 'Page token belongs to another account');
    }
    return this.servePage(cursor.snapshot, cursor.offset);
  }

  private servePage(snapshot: ListingSnapshot, offset: number): Answer {
    const total = snapshot.alerts.length;
    if (total === 0) {
      if (this.options.emptyAs204) {
        return { status: 204, headers: {}, body: null };
      }
      return jsonAnswer(200, '{"paging":{"rows":0,"totalRows":0,"urls":{"nextPage":null}},"data":[]}');
    }
    const page = snapshot.alerts.slice(offset, offset + snapshot.pageSize);
    let urls: string;
    if (offset + page.length < total) {
      const pageToken = randomBytes(16).toString('hex');
      this.rememberCursor(pageToken, { snapshot, offset: offset + page.length, issuedAtMs: Date.now() });
      const nextPage = `${this.baseUrl}${ALERTS_PATH}/${snapshot.opaque}?pageToken=${pageToken}&x=1`;
      urls = `{"nextPage":${JSON.stringify(nextPage)}}`;
    } else {
      // The real API ends a listing with nextPage null or without it; alternate so clients meet both.
      this.lastPagesServed++;
      urls = this.lastPagesServed % 2 === 1 ? '{"nextPage":null}' : '{}';
    }
    const data = page.map((alert) => renderListRecord(alert)).join(',');
    return jsonAnswer(
      200,
      `{"paging":{"rows":${page.length},"totalRows":${total},"urls":${urls}},"data":[${data}]}`,
    );
  }

  private rememberCursor(pageToken: string, cursor: PageCursor): void {
    this.cursors.set(pageToken, cursor);
    if (this.cursors.size > MAX_PAGE_CURSORS) {
      const oldest = this.cursors.keys().next();
      if (oldest.done !== true) {
        this.cursors.delete(oldest.value);
      }
    }
  }

  private answerScope(record: FakeRequestRecord, url: URL): Answer {
    const scope = url.searchParams.get('scope') ?? 'Details';
    record.scope = scope;
    const alertId = record.alertId ?? '';
    const known: readonly string[] = [...SCOPE_NAMES, ...EXTRA_SCOPE_NAMES];
    if (!known.includes(scope)) {
      return messageAnswer(400, `Invalid scope ${scope}; expected one of ${known.join(', ')}`);
    }
    const alert = this.alertsById.get(alertId);
    if (alert === undefined || !sameAccount(alert.subAccount, record.headers['account-name'])) {
      return messageAnswer(404, 'Not found');
    }
    const failure = this.scopeFailures.get(`${alertId}|${scope}`);
    if (failure !== undefined) {
      return failure === 404 ? messageAnswer(404, 'Not found') : transientOrMessage(failure);
    }
    const data =
      scope === 'ObservationTimeline'
        ? renderObservationTimeline(alert)
        : this.withWrittenTimeline(alert.alertId, scope, renderScopeData(alert, scope as ScopeName));
    if (data === 404) {
      return messageAnswer(404, 'Not found');
    }
    if (data === UNSUPPORTED_SCOPE) {
      return messageAnswer(400, `Scope ${scope} is not supported for alert type ${alert.alertType}`);
    }
    return jsonAnswer(200, `{"data":${data}}`);
  }
}

const WRITE_BACK_PATH = /^\/api\/v2\/Alerts\/(\d+)\/(close|comment)$/;
const CLOSE_REASONS = [
  'Other',
  'False positive',
  'Not enough information',
  'Malicious and have resolution in place',
  'Expected because of routine testing',
  'Expected behavior',
];

/** One Lacework webhook hint, as the fake sent it. */
export interface FakeHintRecord {
  at: number;
  alertId: string;
  status: number | null;
}

/** Where the fake pushes a webhook hint when it creates an alert, like a Lacework "Webhook" alert channel. */
export interface FakeHintTarget {
  url: string;
  /** Only alerts of these severities are pushed; default Critical only. */
  severities?: readonly FakeSeverity[];
  /** CA certificate to trust for an https URL. */
  ca?: string | Buffer;
}

/**
 * Writing back and the alert channel: close and comment as the real API answers them (204 on close, the new
 * timeline entry on comment, a timeline entry for each), and webhook hints pushed when an alert is created.
 */
class FakeWriteBack {
  readonly hintsSent: FakeHintRecord[] = [];
  readonly timeline = new Map<string, string[]>();
  hintTarget: FakeHintTarget | null = null;
  private entryId = 5_000_000;

  answer(
    alerts: Map<string, FakeAlertState>,
    record: FakeRequestRecord,
    path: string,
    body: string | null,
  ): Answer | undefined {
    const match = WRITE_BACK_PATH.exec(path);
    if (match === null) {
      return undefined;
    }
    const [, alertId, action] = match;
    record.alertId = alertId;
    if (record.method !== 'POST') {
      return messageAnswer(405, 'Method not allowed');
    }
    let parsed: Record<string, unknown>;
    try {
      const value: unknown = JSON.parse(body ?? '');
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new Error('not an object');
      }
      parsed = value as Record<string, unknown>;
    } catch {
      return messageAnswer(400, 'Request body must be a JSON object');
    }
    const comment = typeof parsed.comment === 'string' ? parsed.comment : undefined;
    if (action === 'comment') {
      if (comment === undefined || comment.trim() === '') {
        return messageAnswer(400, 'comment is required');
      }
      const format = parsed.format === undefined ? 'plaintext' : parsed.format;
      if (format !== 'plaintext' && format !== 'markdown') {
        return messageAnswer(400, 'format must be plaintext or markdown');
      }
      const alert = alerts.get(alertId);
      if (alert === undefined) {
        return messageAnswer(404, 'Not found');
      }
      const entry = this.addEntry(alert, 'UserComment', comment, format);
      return jsonAnswer(200, `{"data":${entry}}`);
    }
    const reason = parsed.reason;
    if (typeof reason !== 'number' || !Number.isInteger(reason) || reason < 0 || reason > 5) {
      return messageAnswer(400, 'reason must be an integer from 0 to 5');
    }
    if (reason === 0 && (comment === undefined || comment.trim() === '')) {
      return messageAnswer(400, 'comment is required when reason is 0 (Other)');
    }
    const alert = alerts.get(alertId);
    if (alert === undefined) {
      return messageAnswer(404, 'Not found');
    }
    if (alert.status === 'Closed') {
      return messageAnswer(400, `Alert ${alertId} is already closed`);
    }
    alert.status = 'Closed';
    alert.listText = undefined;
    const text = `Closed: ${CLOSE_REASONS[reason]}${comment === undefined ? '' : `. ${comment}`}`;
    this.addEntry(alert, 'StatusChange', text, 'plaintext');
    return { status: 204, headers: {}, body: null };
  }

  /** The Timeline scope with the entries written through the API appended. */
  merge(alertId: string, scope: string, data: string | 404): string | 404 {
    const written = scope === 'Timeline' ? this.timeline.get(alertId) : undefined;
    if (written === undefined || written.length === 0) {
      return data;
    }
    const earlier = data === 404 ? '' : data.trim().slice(1, -1).trim();
    return `[${[earlier, ...written].filter((e) => e !== '').join(',')}]`;
  }

  /** Posts Lacework's webhook body for the alert to the hint target, if one is set and the severity matches. */
  async pushHint(alert: FakeAlertState): Promise<void> {
    const target = this.hintTarget;
    if (target === null || !(target.severities ?? ['Critical']).includes(alert.severity)) {
      return;
    }
    const record: FakeHintRecord = { at: Date.now(), alertId: alert.alertId, status: null };
    this.hintsSent.push(record);
    record.status = await postHint(target, hintBody(alert));
  }

  private addEntry(alert: FakeAlertState, entryType: string, value: string, format: string): string {
    this.entryId += 1;
    const entry = JSON.stringify({
      id: this.entryId,
      alertId: Number(alert.alertId),
      entryType,
      entryAuthorType: 'Api',
      message: { value, format },
      externalTime: new Date().toISOString(),
      user: { userGuid: 'API_USER_0000', username: 'api-key' },
      updateContext: {},
    });
    const entries = this.timeline.get(alert.alertId) ?? [];
    entries.push(entry);
    this.timeline.set(alert.alertId, entries);
    return entry;
  }
}

const SEVERITY_NUMBERS: Record<FakeSeverity, string> = {
  Critical: '1',
  High: '2',
  Medium: '3',
  Low: '4',
  Info: '5',
};

/** The ten string fields Lacework's "Webhook" alert channel posts. */
export function hintBody(alert: { alertId: string; alertName: string; severity: FakeSeverity }): string {
  const d = new Date();
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const stamp = `${String(d.getUTCDate()).padStart(2, '0')} ${month} ${d.getUTCFullYear()} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')} GMT`;
  return JSON.stringify({
    event_title: alert.alertName,
    event_link: `https://fake.lacework.net/ui/investigation/monitor/AlertInbox/${alert.alertId}/details`,
    lacework_account: 'fake',
    event_source: 'AWS',
    event_description: `${alert.alertName} (${alert.severity})`,
    event_timestamp: stamp,
    event_type: 'Alert',
    event_id: alert.alertId,
    event_severity: SEVERITY_NUMBERS[alert.severity],
    rec_id: '',
  });
}

function postHint(target: FakeHintTarget, body: string): Promise<number | null> {
  const url = new URL(target.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        ca: target.ca,
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? null));
      },
    );
    req.on('error', () => resolve(null));
    req.on('timeout', () => req.destroy());
    req.end(body);
  });
}

function transientOrMessage(status: number): Answer {
  return status >= 500 ? transientAnswer(status) : messageAnswer(status, 'Injected failure');
}
