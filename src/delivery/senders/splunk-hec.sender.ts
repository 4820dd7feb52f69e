import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { DestinationHttp, HttpAnswer } from './destination-http';
import {
  BatchAnswer,
  DestinationSender,
  EventOutcome,
  OpenedDestination,
  OutgoingEvent,
  pausedAnswer,
} from './destination-sender';
import { readSplunkHecSettings, SPLUNK_HEC_ACK_PATH, SplunkHecSettings } from './splunk-hec.settings';

/** HEC's answer body: `{"text","code","invalid-event-number"?,"ackId"?}`. */
interface HecReply {
  text: string | null;
  code: number | null;
  invalidEventNumber: number | null;
  ackId: number | null;
}

/** What one request did to the events it carried. */
type RequestResult =
  | { kind: 'outcomes'; outcomes: EventOutcome[]; summary: string; complete: boolean }
  | { kind: 'split' }
  | { kind: 'pause'; reason: string; delivered: number };

const TOKEN_CODES: ReadonlySet<number> = new Set([1, 2, 3, 4]);
const CONFIG_CODES: ReadonlySet<number> = new Set([7, 10, 11, 14, 16]);
const DATA_CODES: ReadonlySet<number> = new Set([5, 6, 12, 13, 15]);
const RETRY_CODES: ReadonlySet<number> = new Set([8, 9, 18, 19, 20]);
/** The highest of HEC's own answer codes (0-20); a `code` beyond them is not the collector speaking. */
const LAST_HEC_CODE = 20;
const ACK_POLL_INTERVAL_MS = 250;
const MAX_REPLY_TEXT = 200;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Epoch seconds with three decimals, written from integer milliseconds so no float rounding creeps in. */
export function splunkTime(timeMs: number): string | null {
  if (!Number.isFinite(timeMs) || timeMs < 0) {
    return null;
  }
  const ms = Math.round(timeMs);
  return `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`;
}

/** One HEC envelope as text: the metadata as JSON, the event's body embedded byte for byte. */
export function splunkEnvelope(event: OutgoingEvent, settings: SplunkHecSettings): string {
  const parts: string[] = [];
  const time = splunkTime(event.timeMs);
  if (time !== null) {
    parts.push(`"time":${time}`);
  }
  for (const key of ['host', 'source', 'sourcetype', 'index'] as const) {
    const value = settings[key];
    if (value !== undefined) {
      parts.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
    }
  }
  parts.push(`"event":${event.body}`);
  return `{${parts.join(',')}}`;
}

function parseReply(body: string): HecReply {
  const reply: HecReply = { text: null, code: null, invalidEventNumber: null, ackId: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return reply;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return reply;
  }
  const fields = parsed as Record<string, unknown>;
  const integer = (value: unknown): number | null =>
    typeof value === 'number' && Number.isInteger(value) ? value : null;
  reply.text = typeof fields.text === 'string' ? fields.text : null;
  reply.code = integer(fields.code);
  reply.invalidEventNumber = integer(fields['invalid-event-number']);
  reply.ackId = integer(fields.ackId);
  return reply;
}

/**
 * Splits the envelopes into requests of at most `maxBytes` (newline separators counted); an envelope larger than
 * that goes alone, and the collector's own limit (413) decides.
 */
function planRequests(sizes: readonly number[], maxBytes: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let start = 0;
  let bytes = 0;
  sizes.forEach((size, index) => {
    const added = index === start ? size : bytes + 1 + size;
    if (index > start && added > maxBytes) {
      ranges.push([start, index]);
      start = index;
      bytes = size;
    } else {
      bytes = added;
    }
  });
  if (sizes.length > start) {
    ranges.push([start, sizes.length]);
  }
  return ranges;
}

/**
 * Splunk HTTP Event Collector: each batch is one POST of newline-separated JSON envelopes (several only when the byte
 * limit forces it), with optional indexer acknowledgement polled on a channel of its own.
 */
@Injectable()
export class SplunkHecSender implements DestinationSender {
  readonly kind = 'splunk_hec' as const;
  private readonly http: DestinationHttp;
  /** One acknowledgement channel per destination for the life of this sender. */
  private readonly channels = new Map<string, string>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.http = new DestinationHttp(config);
  }

  async sendBatch(destination: OpenedDestination, events: readonly OutgoingEvent[]): Promise<BatchAnswer> {
    const started = performance.now();
    try {
      return await this.sendEnvelopes(destination, events, started);
    } catch {
      // Not expected (the HTTP client never throws); kept so a stored value we did not foresee cannot escape.
      const error = 'the Splunk HEC sender failed unexpectedly';
      return {
        status: null,
        latencyMs: Math.round(performance.now() - started),
        outcomes: events.map(() => ({ kind: 'retry', error })),
        pause: null,
        summary: error,
      };
    }
  }

  private async sendEnvelopes(
    destination: OpenedDestination,
    events: readonly OutgoingEvent[],
    started: number,
  ): Promise<BatchAnswer> {
    const elapsed = (): number => Math.round(performance.now() - started);
    const token = destination.credentials.token;
    if (typeof token !== 'string' || token === '') {
      return pausedAnswer(events, null, 0, 'Splunk HEC token is missing: set settings.token again');
    }
    if (events.length === 0) {
      return { status: null, latencyMs: 0, outcomes: [], pause: null, summary: 'nothing sent' };
    }
    const settings = readSplunkHecSettings(destination.settings);
    const envelopes = events.map((event) => splunkEnvelope(event, settings));
    const sizes = envelopes.map((envelope) => Buffer.byteLength(envelope, 'utf8'));
    const headers: Record<string, string> = {
      authorization: `Splunk ${token}`,
      'content-type': 'application/json',
    };
    if (settings.useAck) {
      headers['x-splunk-request-channel'] = this.channelFor(destination.id);
    }
    const context = { destination, settings, token, headers };

    const outcomes: Array<EventOutcome | undefined> = new Array<EventOutcome | undefined>(events.length);
    const queue = planRequests(sizes, Math.max(1, destination.batch.maxBytes));
    let status: number | null = null;
    let summary = '';
    let problem: string | null = null;
    let requests = 0;
    while (queue.length > 0) {
      const [from, to] = queue.shift() as [number, number];
      const body = envelopes.slice(from, to).join('\n');
      const answer = await this.http.request(destination.url, body, { headers, maxResponseBytes: 64 * 1024 });
      status = answer.status;
      requests += 1;
      const result = await this.judge(context, answer, to - from);
      if (result.kind === 'split') {
        const middle = from + Math.ceil((to - from) / 2);
        queue.unshift([from, middle], [middle, to]);
        continue;
      }
      if (result.kind === 'pause') {
        for (let index = from; index < from + result.delivered; index += 1) {
          outcomes[index] = { kind: 'delivered' };
        }
        return {
          status,
          latencyMs: elapsed(),
          outcomes: events.map((_, index) => outcomes[index] ?? { kind: 'not_sent' }),
          pause: { reason: result.reason },
          summary: result.reason,
        };
      }
      result.outcomes.forEach((outcome, offset) => {
        outcomes[from + offset] = outcome;
      });
      summary = result.summary;
      if (problem === null && result.outcomes.some((outcome) => outcome.kind !== 'delivered')) {
        problem = result.summary;
      }
      // Anything left unsent here stays unsent: sending later events would overtake it.
      if (!result.complete) {
        break;
      }
    }
    const final = events.map((_, index): EventOutcome => outcomes[index] ?? { kind: 'not_sent' });
    if (problem === null && requests > 1) {
      const verb = settings.useAck ? 'indexed' : 'accepted';
      summary = `Splunk HEC ${verb} ${events.length} events in ${requests} requests (HTTP ${status})`;
    }
    return { status, latencyMs: elapsed(), outcomes: final, pause: null, summary: problem ?? summary };
  }

  private channelFor(destinationId: string): string {
    let channel = this.channels.get(destinationId);
    if (channel === undefined) {
      channel = randomUUID();
      this.channels.set(destinationId, channel);
    }
    return channel;
  }

  /** Maps one answer of the event endpoint onto the `count` events the request carried. */
  private async judge(context: SendContext, answer: HttpAnswer, count: number): Promise<RequestResult> {
    const every = (outcome: EventOutcome): EventOutcome[] => Array.from({ length: count }, () => outcome);
    if (answer.status === null) {
      const error = `no answer from Splunk HEC: ${answer.error}`;
      return { kind: 'outcomes', outcomes: every({ kind: 'retry', error }), summary: error, complete: false };
    }
    const status = answer.status;
    const reply = parseReply(answer.body);
    const words = describeReply(reply, status, context.token);
    if (status === 413) {
      if (count > 1) {
        return { kind: 'split' };
      }
      const error = `the event is larger than the collector's max_content_length (HTTP 413)`;
      return {
        kind: 'outcomes',
        outcomes: every({ kind: 'rejected', error }),
        summary: error,
        complete: true,
      };
    }
    if (status >= 200 && status < 300 && (reply.code === null || reply.code === 0)) {
      if (!context.settings.useAck) {
        const summary = `Splunk HEC accepted ${count} event${count === 1 ? '' : 's'} (HTTP ${status})`;
        return { kind: 'outcomes', outcomes: every({ kind: 'delivered' }), summary, complete: true };
      }
      if (reply.ackId === null) {
        return {
          kind: 'pause',
          delivered: count,
          reason:
            'Splunk HEC accepted the events without an ackId: indexer acknowledgement is not enabled on this token; ' +
            'enable it on the token or turn settings.useAck off',
        };
      }
      return this.awaitAck(context, reply.ackId, count);
    }
    const code = reply.code;
    if (code !== null && TOKEN_CODES.has(code)) {
      return { kind: 'pause', delivered: 0, reason: `Splunk HEC refused the token: ${words}` };
    }
    if (code !== null && CONFIG_CODES.has(code)) {
      const index =
        code === 7 && context.settings.index !== undefined ? ` (index "${context.settings.index}")` : '';
      return {
        kind: 'pause',
        delivered: 0,
        reason: `Splunk HEC refused the configuration: ${words}${index}`,
      };
    }
    if (code !== null && DATA_CODES.has(code)) {
      const error = `Splunk HEC ${words}`;
      const n = reply.invalidEventNumber;
      if (n === null || n < 0 || n >= count) {
        return {
          kind: 'outcomes',
          outcomes: every({ kind: 'rejected', error }),
          summary: error,
          complete: true,
        };
      }
      const outcomes = Array.from({ length: count }, (_, index): EventOutcome => {
        if (index < n) {
          return { kind: 'delivered' };
        }
        return index === n ? { kind: 'rejected', error } : { kind: 'not_sent' };
      });
      return {
        kind: 'outcomes',
        outcomes,
        summary: `Splunk HEC refused event ${n + 1} of ${count} in the request: ${words}`,
        complete: n === count - 1,
      };
    }
    if (code !== null && RETRY_CODES.has(code)) {
      const error = `Splunk HEC ${words}`;
      return {
        kind: 'outcomes',
        outcomes: every({ kind: 'retry', error, retryAfterMs: answer.retryAfterMs }),
        summary: error,
        complete: false,
      };
    }
    if (status === 401 || status === 403) {
      return { kind: 'pause', delivered: 0, reason: `Splunk HEC refused the token: ${words}` };
    }
    if (!isHecCode(code) && (status === 404 || status === 405 || (status >= 300 && status < 400))) {
      // Splunk Web, a proxy or a server without the collector: sending again can never reach HEC.
      return {
        kind: 'pause',
        delivered: 0,
        reason: notHecEndpoint(context, status, answer.headers.location),
      };
    }
    const error = reply.text === null ? `HTTP ${status}` : `Splunk HEC ${words}`;
    return {
      kind: 'outcomes',
      outcomes: every({ kind: 'retry', error, retryAfterMs: answer.retryAfterMs }),
      summary: error,
      complete: false,
    };
  }

  /** Polls the ack endpoint until the indexers confirm `ackId` or the settings' timeout passes. */
  private async awaitAck(context: SendContext, ackId: number, count: number): Promise<RequestResult> {
    const { settings } = context;
    const ackUrl = `${new URL(context.destination.url).origin}${SPLUNK_HEC_ACK_PATH}`;
    const deadline = performance.now() + settings.ackTimeoutMs;
    const every = (outcome: EventOutcome): EventOutcome[] => Array.from({ length: count }, () => outcome);
    let lastProblem: string | null = null;
    for (;;) {
      const answer = await this.http.request(ackUrl, JSON.stringify({ acks: [ackId] }), {
        headers: context.headers,
        maxResponseBytes: 64 * 1024,
      });
      if (answer.status === null) {
        lastProblem = `no answer: ${answer.error}`;
      } else if (answer.status >= 200 && answer.status < 300) {
        if (ackAnswered(answer.body, ackId)) {
          const summary = `Splunk HEC indexed ${count} event${count === 1 ? '' : 's'} (acknowledged, ackId ${ackId})`;
          return { kind: 'outcomes', outcomes: every({ kind: 'delivered' }), summary, complete: true };
        }
        lastProblem = null;
      } else {
        const reply = parseReply(answer.body);
        const words = describeReply(reply, answer.status, context.token);
        // The events were accepted (200) before the poll was refused: sending them again would duplicate them.
        if (reply.code !== null && TOKEN_CODES.has(reply.code)) {
          return { kind: 'pause', delivered: count, reason: `Splunk HEC refused the token: ${words}` };
        }
        if (reply.code !== null && CONFIG_CODES.has(reply.code)) {
          return {
            kind: 'pause',
            delivered: count,
            reason: `Splunk HEC refused the acknowledgement request: ${words}`,
          };
        }
        lastProblem = words;
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        const error =
          `not acknowledged by the indexers within ${settings.ackTimeoutMs} ms (ackId ${ackId})` +
          (lastProblem === null ? '' : `; last ack answer: ${lastProblem}`);
        return {
          kind: 'outcomes',
          outcomes: every({ kind: 'retry', error }),
          summary: error,
          complete: false,
        };
      }
      await sleep(Math.min(ACK_POLL_INTERVAL_MS, left));
    }
  }
}

interface SendContext {
  destination: OpenedDestination;
  settings: SplunkHecSettings;
  token: string;
  headers: Record<string, string>;
}

/** True when the ack endpoint's `{"acks":{"<id>":true}}` confirms the id. */
function ackAnswered(body: string, ackId: number): boolean {
  try {
    const parsed = JSON.parse(body) as { acks?: Record<string, unknown> } | null;
    return parsed?.acks?.[String(ackId)] === true;
  } catch {
    return false;
  }
}

/** True for one of HEC's own answer codes (a proxy or Splunk Web answers with none). */
function isHecCode(code: number | null): boolean {
  return code !== null && code >= 0 && code <= LAST_HEC_CODE;
}

/** Removes any echo of the token and control characters, and cuts the text short. */
function clean(text: string, token: string): string {
  let cleaned = token === '' ? text : text.split(token).join('[token]');
  cleaned = cleaned.replace(/\p{Cc}+/gu, ' ').trim();
  return cleaned.length > MAX_REPLY_TEXT ? `${cleaned.slice(0, MAX_REPLY_TEXT)}…` : cleaned;
}

/**
 * Why a 404, 405 or 3xx without a HEC code pauses the destination: the URL leads somewhere other than the collector
 * (Splunk Web, a proxy, a server without HEC), and sending again cannot change that.
 */
function notHecEndpoint(context: SendContext, status: number, location: string | undefined): string {
  const where = `the URL does not lead to a Splunk HEC endpoint: ${context.destination.url} answered HTTP ${status}`;
  let reason: string;
  if (status >= 300 && status < 400) {
    const target = clean(location ?? '', context.token);
    reason =
      `${where}${target === '' ? '' : ` redirecting to ${target}`}; redirects are not followed: ` +
      'set the URL to the collector itself (HEC listens on port 8088 by default)';
  } else {
    reason =
      `${where}, not a HEC answer: check the host, the port (HEC listens on 8088 by default, Splunk Web on 8000) ` +
      'and the path';
  }
  return context.token === '' ? reason : reason.split(context.token).join('[token]');
}

/** "code 4 Invalid token (HTTP 403)", with the collector's text cut short and any echo of the token removed. */
function describeReply(reply: HecReply, status: number, token: string): string {
  const text = clean(reply.text ?? '', token);
  const parts: string[] = [];
  if (reply.code !== null) {
    parts.push(`code ${reply.code}`);
  }
  if (text !== '') {
    parts.push(text);
  }
  parts.push(`(HTTP ${status})`);
  return parts.join(' ');
}
