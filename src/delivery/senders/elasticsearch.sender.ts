import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { DestinationHttp, HttpAnswer } from './destination-http';
import {
  BatchAnswer,
  DestinationSender,
  EventOutcome,
  OpenedDestination,
  OutgoingEvent,
} from './destination-sender';

const MIB = 1024 * 1024;
/** Elasticsearch's default `http.max_content_length`: no request is ever larger. */
export const ELASTICSEARCH_MAX_REQUEST_BYTES = 100 * MIB;
const MAX_RESPONSE_BYTES = 32 * MIB;
const MAX_ERROR_TEXT = 500;
// Only what the outcomes need; error answers are never filtered by the cluster.
const BULK_QUERY = '?filter_path=items.*.status,items.*.error,errors';

/** One event made ready to send: its two NDJSON lines, or why it cannot be sent. */
type PreparedEvent = { lines: string; bytes: number } | { problem: string };

/** What the whole request told us, when it did not yield per-item outcomes. */
type RequestVerdict =
  | { kind: 'items'; outcomes: ItemOutcome[] }
  | { kind: 'all'; outcome: EventOutcome }
  | { kind: 'too_large' }
  | { kind: 'pause'; reason: string };

/**
 * An item's outcome: `stored` is a document this id already had (delivered); `refused` means the cluster refused our
 * configuration for it (pauses the destination).
 */
type ItemOutcome = EventOutcome | { kind: 'stored' } | { kind: 'refused'; reason: string };

interface Credentials {
  authorization: string;
  secrets: string[];
}

/** Everything one `sendBatch` call learns as it goes. */
interface BatchState {
  outcomes: (EventOutcome | undefined)[];
  status: number | null;
  latencyMs: number;
  requests: number;
  pause: string | null;
  /** Set after a whole-request failure: parts not yet sent get this outcome instead of being sent. */
  stopped: EventOutcome | null;
  alreadyStored: number;
}

/**
 * Elasticsearch and OpenSearch through `_bulk`: each event is a `create` with `_id` = its delivery id, so a resend
 * never makes a second document (409 on create counts as delivered). The body of every answer is read: items
 * succeed or fail one by one.
 */
@Injectable()
export class ElasticsearchSender implements DestinationSender {
  readonly kind = 'elasticsearch' as const;
  private readonly http: DestinationHttp;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.http = new DestinationHttp(config);
  }

  /** Sends the batch in as few `_bulk` requests as the cluster takes. Never throws. */
  async sendBatch(destination: OpenedDestination, events: readonly OutgoingEvent[]): Promise<BatchAnswer> {
    const state: BatchState = {
      outcomes: events.map(() => undefined),
      status: null,
      latencyMs: 0,
      requests: 0,
      pause: null,
      stopped: null,
      alreadyStored: 0,
    };
    try {
      const index = destination.settings.index;
      if (typeof index !== 'string' || index === '') {
        return pausedWith(state, events, 'the destination has no index setting: set settings.index');
      }
      const credentials = credentialsOf(destination);
      if (typeof credentials === 'string') {
        return pausedWith(state, events, credentials);
      }
      const bulkUrl = `${destination.url.replace(/\/+$/, '')}/_bulk`;
      const prepared = events.map((event) => prepareEvent(index, event));
      const ready: number[] = [];
      prepared.forEach((item, position) => {
        if ('problem' in item) {
          state.outcomes[position] = { kind: 'rejected', error: item.problem };
        } else {
          ready.push(position);
        }
      });
      for (const part of splitByBytes(ready, prepared)) {
        await this.sendPart(bulkUrl, credentials, part, prepared, state);
        if (state.pause !== null) {
          break;
        }
      }
      return finish(state, events, bulkUrl, credentials.secrets);
    } catch (error) {
      // A bug of ours, not an answer of the cluster: retry everything not yet decided.
      const reason = `internal error while sending: ${error instanceof Error ? error.name : 'unknown'}`;
      return {
        status: state.status,
        latencyMs: state.latencyMs,
        outcomes: events.map((_, i) => state.outcomes[i] ?? { kind: 'retry', error: reason }),
        pause: null,
        summary: reason,
      };
    }
  }

  /** One `_bulk` request for `part` (positions into the batch); halves it on 413. */
  private async sendPart(
    bulkUrl: string,
    credentials: Credentials,
    part: number[],
    prepared: PreparedEvent[],
    state: BatchState,
  ): Promise<void> {
    if (state.stopped !== null) {
      for (const position of part) {
        state.outcomes[position] = state.stopped;
      }
      return;
    }
    const body = part.map((position) => (prepared[position] as { lines: string }).lines).join('');
    const answer = await this.http.request(bulkUrl + BULK_QUERY, body, {
      headers: {
        authorization: credentials.authorization,
        'content-type': 'application/x-ndjson',
        accept: 'application/json',
      },
      maxResponseBytes: MAX_RESPONSE_BYTES,
    });
    state.requests += 1;
    state.status = answer.status;
    state.latencyMs += answer.latencyMs;
    const verdict = judgeAnswer(answer, part.length, bulkUrl, credentials.secrets);
    switch (verdict.kind) {
      case 'items':
        verdict.outcomes.forEach((outcome, i) => {
          if (outcome.kind === 'refused') {
            state.pause ??= outcome.reason;
          } else if (outcome.kind === 'stored') {
            state.alreadyStored += 1;
            state.outcomes[part[i]] = { kind: 'delivered' };
          } else {
            state.outcomes[part[i]] = outcome;
          }
        });
        return;
      case 'all':
        for (const position of part) {
          state.outcomes[position] = verdict.outcome;
        }
        if (verdict.outcome.kind === 'retry') {
          // The cluster is struggling: the rest of the batch waits with the same delay instead of adding to it.
          state.stopped = verdict.outcome;
        }
        return;
      case 'pause':
        state.pause = verdict.reason;
        return;
      case 'too_large': {
        if (part.length === 1) {
          state.outcomes[part[0]] = {
            kind: 'rejected',
            error: `the cluster refused the event as too large (HTTP 413, ${(prepared[part[0]] as { bytes: number }).bytes} bytes in the request)`,
          };
          return;
        }
        const half = Math.ceil(part.length / 2);
        await this.sendPart(bulkUrl, credentials, part.slice(0, half), prepared, state);
        if (state.pause === null) {
          await this.sendPart(bulkUrl, credentials, part.slice(half), prepared, state);
        }
        return;
      }
    }
  }
}

/** The Authorization header and the secret texts never to repeat, or why the destination cannot authenticate. */
function credentialsOf(destination: OpenedDestination): Credentials | string {
  const auth = destination.settings.auth;
  if (auth === 'api_key') {
    const apiKey = destination.credentials.apiKey;
    if (typeof apiKey !== 'string' || apiKey === '') {
      return 'the destination has no API key: set settings.apiKey';
    }
    return { authorization: `ApiKey ${apiKey}`, secrets: [apiKey] };
  }
  if (auth === 'basic') {
    const username = destination.settings.username;
    const password = destination.credentials.password;
    if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
      return 'the destination lacks a username or password: set settings.username and settings.password';
    }
    const encoded = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
    return { authorization: `Basic ${encoded}`, secrets: [password, encoded] };
  }
  return 'the destination has no valid auth setting: set settings.auth to api_key or basic';
}

/** The action line and the source line (the body with `@timestamp` first), both newline-terminated. */
function prepareEvent(index: string, event: OutgoingEvent): PreparedEvent {
  const body = event.body;
  if (/[\r\n]/.test(body)) {
    return { problem: 'the event body spans several lines; _bulk needs one line per document' };
  }
  const start = body.search(/\S/);
  if (start < 0 || body[start] !== '{') {
    return { problem: 'the event body is not a JSON object' };
  }
  const rest = body.slice(start + 1);
  let source: string;
  if (body.includes('"@timestamp"') && hasTopLevelTimestamp(body)) {
    // Elasticsearch refuses a duplicate field: the body's own @timestamp stands.
    source = body;
  } else {
    const time = new Date(event.timeMs);
    if (!Number.isFinite(time.getTime())) {
      return { problem: `the event has no valid time (timeMs ${String(event.timeMs)})` };
    }
    const member = `"@timestamp":${JSON.stringify(time.toISOString())}`;
    source = rest.trimStart().startsWith('}') ? `{${member}${rest}` : `{${member},${rest}`;
  }
  const action = JSON.stringify({ create: { _index: index, _id: event.deliveryId } });
  const lines = `${action}\n${source}\n`;
  const bytes = Buffer.byteLength(lines, 'utf8');
  if (bytes > ELASTICSEARCH_MAX_REQUEST_BYTES) {
    return {
      problem: `the event is ${bytes} bytes in _bulk form, above the ${ELASTICSEARCH_MAX_REQUEST_BYTES}-byte request limit`,
    };
  }
  return { lines, bytes };
}

function hasTopLevelTimestamp(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as unknown;
    return typeof parsed === 'object' && parsed !== null && Object.hasOwn(parsed, '@timestamp');
  } catch {
    return false;
  }
}

/** Consecutive runs of events whose request stays within the hard limit (each event alone is within it). */
function splitByBytes(ready: number[], prepared: PreparedEvent[]): number[][] {
  const parts: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const position of ready) {
    const size = (prepared[position] as { bytes: number }).bytes;
    if (bytes + size > ELASTICSEARCH_MAX_REQUEST_BYTES && current.length > 0) {
      parts.push(current);
      current = [];
      bytes = 0;
    }
    current.push(position);
    bytes += size;
  }
  if (current.length > 0) {
    parts.push(current);
  }
  return parts;
}

/** What one HTTP answer means for the events of its request. */
function judgeAnswer(answer: HttpAnswer, count: number, bulkUrl: string, secrets: string[]): RequestVerdict {
  if (answer.status === null) {
    return { kind: 'all', outcome: { kind: 'retry', error: `no answer from the cluster: ${answer.error}` } };
  }
  const status = answer.status;
  const said = describeErrorBody(answer.body, secrets);
  const saying = said === null ? '' : `: ${said}`;
  if (status === 401 || status === 403) {
    return { kind: 'pause', reason: `the cluster refused the credentials${saying} (HTTP ${status})` };
  }
  if (status === 404) {
    return { kind: 'pause', reason: `no _bulk endpoint at ${bulkUrl} (HTTP 404): check the URL` };
  }
  if (status === 413) {
    return { kind: 'too_large' };
  }
  if (status === 429 || status === 408 || status >= 500) {
    return {
      kind: 'all',
      outcome: {
        kind: 'retry',
        error: `the cluster answered HTTP ${status}${saying}`,
        retryAfterMs: answer.retryAfterMs,
      },
    };
  }
  if (status >= 300 && status < 400) {
    const location = answer.headers.location;
    return {
      kind: 'pause',
      reason: `the cluster redirected the request (HTTP ${status}${location ? ` to ${cut(scrub(location, secrets))}` : ''}): set the URL to the cluster itself`,
    };
  }
  if (status < 200 || status >= 300) {
    return { kind: 'pause', reason: `the cluster refused the bulk request${saying} (HTTP ${status})` };
  }
  return judgeItems(answer.body, count, status, secrets);
}

/** Per-item outcomes of a 2xx bulk answer, in request order; anything else is retried for all. */
function judgeItems(body: string, count: number, status: number, secrets: string[]): RequestVerdict {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const items = isObject(parsed) ? parsed.items : undefined;
  if (!Array.isArray(items)) {
    return {
      kind: 'all',
      outcome: {
        kind: 'retry',
        error: `the cluster answered HTTP ${status} without a bulk answer (no items)`,
      },
    };
  }
  if (items.length !== count) {
    return {
      kind: 'all',
      outcome: {
        kind: 'retry',
        error: `the cluster answered ${items.length} bulk items for ${count} documents (HTTP ${status})`,
      },
    };
  }
  return { kind: 'items', outcomes: items.map((item) => judgeItem(item, secrets)) };
}

function judgeItem(item: unknown, secrets: string[]): ItemOutcome {
  const result = isObject(item) ? Object.values(item)[0] : undefined;
  const status = isObject(result) ? result.status : undefined;
  if (!isObject(result) || typeof status !== 'number') {
    return { kind: 'retry', error: 'the cluster answered a bulk item without a status' };
  }
  // 409 on create: a document with this id is already stored, by an earlier attempt of this very event.
  if (status === 409) {
    return { kind: 'stored' };
  }
  if (status >= 200 && status < 300) {
    return { kind: 'delivered' };
  }
  const error = `${describeError(result.error, secrets) ?? 'no reason given'} (item status ${status})`;
  if (status === 401 || status === 403 || status === 404) {
    // Privileges, a read-only block or a missing index (auto-create off): every event would fail the same way.
    return { kind: 'refused', reason: `the cluster refused to write to the index: ${error}` };
  }
  if (status === 429 || status >= 500 || status < 400) {
    return { kind: 'retry', error };
  }
  return { kind: 'rejected', error };
}

/** `type: reason` of an Elasticsearch error object, with its first cause. */
function describeError(error: unknown, secrets: string[]): string | null {
  if (typeof error === 'string') {
    return cut(scrub(error, secrets));
  }
  if (!isObject(error)) {
    return null;
  }
  const words = [error.type, error.reason].filter((w): w is string => typeof w === 'string').join(': ');
  const cause = error.caused_by;
  const causeWords = isObject(cause)
    ? [cause.type, cause.reason].filter((w): w is string => typeof w === 'string').join(': ')
    : '';
  const text = causeWords === '' ? words : `${words} (caused by ${causeWords})`;
  return text === '' ? null : cut(scrub(text, secrets));
}

/** The error an error answer carries (`{"error":{…},"status":N}`), or null when it carries none we can read. */
function describeErrorBody(body: string, secrets: string[]): string | null {
  try {
    const parsed = JSON.parse(body) as unknown;
    return isObject(parsed) ? describeError(parsed.error, secrets) : null;
  } catch {
    return null;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function cut(text: string): string {
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT - 1)}…` : text;
}

/** Text from the far side never carries our secrets back into a log or a summary. */
function scrub(text: string, secrets: string[]): string {
  return secrets.reduce((t, secret) => (secret === '' ? t : t.split(secret).join('[redacted]')), text);
}

function pausedWith(state: BatchState, events: readonly OutgoingEvent[], reason: string): BatchAnswer {
  return {
    status: state.status,
    latencyMs: state.latencyMs,
    outcomes: events.map((_, i) => keptWhenPaused(state.outcomes[i])),
    pause: { reason },
    summary: reason,
  };
}

/** On a pause, what the cluster took or refused for good stands; the rest is due again once resumed. */
function keptWhenPaused(outcome: EventOutcome | undefined): EventOutcome {
  return outcome !== undefined && (outcome.kind === 'delivered' || outcome.kind === 'rejected')
    ? outcome
    : { kind: 'not_sent' };
}

function finish(
  state: BatchState,
  events: readonly OutgoingEvent[],
  bulkUrl: string,
  secrets: string[],
): BatchAnswer {
  if (state.pause !== null) {
    return pausedWith(state, events, cut(scrub(state.pause, secrets)));
  }
  const outcomes = events.map((_, i): EventOutcome => state.outcomes[i] ?? { kind: 'not_sent' });
  return {
    status: state.status,
    latencyMs: state.latencyMs,
    outcomes,
    pause: null,
    summary: summarize(outcomes, state, bulkUrl),
  };
}

function summarize(outcomes: EventOutcome[], state: BatchState, bulkUrl: string): string {
  if (outcomes.length === 0) {
    return 'nothing sent';
  }
  const count = (kind: EventOutcome['kind']) => outcomes.filter((o) => o.kind === kind).length;
  const delivered = count('delivered');
  const rejected = count('rejected');
  const retry = count('retry');
  const parts = [`the cluster took ${delivered} of ${outcomes.length}`];
  if (state.alreadyStored > 0) {
    parts[0] += ` (${state.alreadyStored} already stored)`;
  }
  if (rejected > 0) {
    parts.push(`${rejected} rejected`);
  }
  if (retry > 0) {
    parts.push(`${retry} to retry`);
  }
  const firstError = outcomes.find((o): o is Extract<EventOutcome, { error: string }> => 'error' in o);
  const where = state.requests === 0 ? 'no request made' : `${state.requests} request(s) to ${bulkUrl}`;
  const status = state.status === null ? '' : `, last HTTP ${state.status}`;
  return `${parts.join(', ')} (${where}${status})${firstError ? `; first error: ${firstError.error}` : ''}`;
}
