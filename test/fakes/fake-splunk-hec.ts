import { IncomingMessage, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { AnswerGate } from './fake-http';

/** A token the fake collector knows. */
export interface FakeHecToken {
  token: string;
  /** Indexes an envelope may name; absent: any. */
  indexes?: string[];
  /** Where an envelope without `index` goes; default `main`. */
  defaultIndex?: string;
  /** Indexer acknowledgement on: a channel is required and answers carry an ackId. */
  useAck?: boolean;
  disabled?: boolean;
}

export interface FakeSplunkHecOptions {
  tokens: FakeHecToken[];
  /** Largest request body accepted (`max_content_length`); default 800 MiB like Splunk Enterprise. */
  maxContentLength?: number;
}

/** One event the fake indexed, with its envelope's metadata as sent. */
export interface IndexedHecEvent {
  path: string;
  token: string;
  channel: string | null;
  /** The envelope's `time` as parsed, and exactly as written. */
  time: number | null;
  timeText: string | null;
  host: string | null;
  source: string | null;
  sourcetype: string | null;
  /** The index it landed in (the token's default when the envelope named none). */
  index: string;
  fields: Record<string, unknown> | null;
  /** The `event` value exactly as sent. */
  rawEvent: string;
  /** The whole envelope exactly as sent. */
  envelope: string;
}

/** One request as the fake saw it, with what it answered. */
export interface RecordedHecRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  bytes: number;
  status: number;
  reply: string;
}

export interface FakeSplunkHec {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `url` + `/services/collector/event` */
  eventUrl: string;
  received: IndexedHecEvent[];
  requests: RecordedHecRequest[];
  /** Requests to the event endpoints only. */
  eventRequests(): RecordedHecRequest[];
  close(): Promise<void>;
  /** The next `count` event requests get 503 code 9, with Retry-After when given. */
  busyFor(count: number, retryAfterSeconds?: number): void;
  /** The next `count` event requests get 503 with code 18, 19 or 20. */
  unhealthyFor(count: number, code?: 18 | 19 | 20): void;
  /**
   * The next `count` event requests get this status and body, whatever they carry; `headers` (e.g. a `content-type`
   * of text/html or a `location`) answer like a server that is not a collector.
   */
  answerNext(count: number, status: number, body: string, headers?: Record<string, string>): void;
  setMaxContentLength(bytes: number): void;
  /** Acks turn true this long after the events were indexed; `never` keeps them false. */
  setAckDelay(delay: number | 'never'): void;
  disableToken(token: string): void;
  /** Envelopes whose `event` text the rule picks are invalid data (code 6 with their `invalid-event-number`). */
  rejectEvents(rule: ((rawEvent: string) => boolean) | null): void;
  /**
   * Event requests are indexed on arrival but answered only after `delay` ms, or, with `hold`, once
   * `releaseAnswers()` is called: a collector slow to reply while the client waits. 0 answers at once.
   */
  delayAnswers(delay: number | 'hold'): void;
  /** Writes every held answer now. */
  releaseAnswers(): void;
}

interface HecError {
  status: number;
  code: number;
  text: string;
}

const EVENT_PATHS: ReadonlySet<string> = new Set([
  '/services/collector',
  '/services/collector/event',
  '/services/collector/event/1.0',
]);
const HEALTH_PATHS: ReadonlySet<string> = new Set([
  '/services/collector/health',
  '/services/collector/health/1.0',
]);
const ACK_PATH = '/services/collector/ack';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UNHEALTHY_TEXT: Record<18 | 19 | 20, string> = {
  18: 'HEC is unhealthy, queues are full',
  19: 'HEC is unhealthy, ack service unavailable',
  20: 'HEC is unhealthy, queues are full, ack service unavailable',
};

const HEC_ERRORS = {
  tokenDisabled: { status: 403, code: 1, text: 'Token disabled' },
  tokenRequired: { status: 401, code: 2, text: 'Token is required' },
  invalidAuthorization: { status: 401, code: 3, text: 'Invalid authorization' },
  invalidToken: { status: 403, code: 4, text: 'Invalid token' },
  noData: { status: 400, code: 5, text: 'No data' },
  invalidFormat: { status: 400, code: 6, text: 'Invalid data format' },
  incorrectIndex: { status: 400, code: 7, text: 'Incorrect index' },
  busy: { status: 503, code: 9, text: 'Server is busy' },
  channelMissing: { status: 400, code: 10, text: 'Data channel is missing' },
  invalidChannel: { status: 400, code: 11, text: 'Invalid data channel' },
  eventRequired: { status: 400, code: 12, text: 'Event field is required' },
  eventBlank: { status: 400, code: 13, text: 'Event field cannot be blank' },
  ackDisabled: { status: 400, code: 14, text: 'ACK is disabled' },
  indexedFields: { status: 400, code: 15, text: 'Error in handling indexed fields' },
} satisfies Record<string, HecError>;

function isWhitespace(char: string): boolean {
  return char === ' ' || char === '\t' || char === '\n' || char === '\r';
}

/** The end (exclusive) of the JSON string starting at `start` (a `"`), or -1 when it is not closed. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i += 1) {
    if (text[i] === '\\') {
      i += 1;
    } else if (text[i] === '"') {
      return i + 1;
    }
  }
  return -1;
}

/** The end (exclusive) of the object or array starting at `start`, brackets matched outside strings; -1 if open. */
function bracketEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i += 1) {
    const char = text[i];
    if (char === '"') {
      const end = stringEnd(text, i);
      if (end < 0) {
        return -1;
      }
      i = end - 1;
    } else if (char === '{' || char === '[') {
      depth += 1;
    } else if (char === '}' || char === ']') {
      depth -= 1;
      if (depth === 0) {
        return i + 1;
      }
    }
  }
  return -1;
}

/**
 * Splits a body of JSON objects written one after another (whitespace between allowed), as HEC reads it. Stops at
 * the first piece that is not an object: `bad` is its position in the sequence.
 */
export function splitConcatenatedObjects(text: string): { objects: string[]; bad: number | null } {
  const objects: string[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && isWhitespace(text[i])) {
      i += 1;
    }
    if (i >= text.length) {
      return { objects, bad: null };
    }
    if (text[i] !== '{') {
      return { objects, bad: objects.length };
    }
    const end = bracketEnd(text, i);
    if (end < 0) {
      return { objects, bad: objects.length };
    }
    objects.push(text.slice(i, end));
    i = end;
  }
}

/** The raw text of each top-level member's value of a (valid) JSON object. */
function memberTexts(objectText: string): Map<string, string> {
  const members = new Map<string, string>();
  let i = 1;
  const skipSpace = (): void => {
    while (i < objectText.length && isWhitespace(objectText[i])) {
      i += 1;
    }
  };
  for (;;) {
    skipSpace();
    if (objectText[i] === '}' || i >= objectText.length) {
      return members;
    }
    if (objectText[i] === ',') {
      i += 1;
      skipSpace();
    }
    const keyEnd = stringEnd(objectText, i);
    const key = JSON.parse(objectText.slice(i, keyEnd)) as string;
    i = keyEnd;
    skipSpace();
    i += 1; // the colon
    skipSpace();
    const start = i;
    const char = objectText[i];
    let end: number;
    if (char === '"') {
      end = stringEnd(objectText, i);
    } else if (char === '{' || char === '[') {
      end = bracketEnd(objectText, i);
    } else {
      end = i;
      while (end < objectText.length && !/[\s,}]/.test(objectText[end])) {
        end += 1;
      }
    }
    members.set(key, objectText.slice(start, end));
    i = end;
  }
}

function isFlatValue(value: unknown): boolean {
  const scalar = (v: unknown): boolean => typeof v === 'string' || typeof v === 'number';
  return scalar(value) || (Array.isArray(value) && value.every(scalar));
}

/**
 * A Splunk HTTP Event Collector on 127.0.0.1 for tests: token auth, concatenated envelopes checked and indexed in
 * order up to the first bad one (`invalid-event-number`), indexer acknowledgement per channel, and switchable
 * failures (busy, unhealthy, too large, slow acks, disabled tokens).
 */
export async function startFakeSplunkHec(options: FakeSplunkHecOptions): Promise<FakeSplunkHec> {
  const tokens = new Map(options.tokens.map((t) => [t.token, { ...t }]));
  let maxContentLength = options.maxContentLength ?? 800 * 1024 * 1024;
  let ackDelay: number | 'never' = 0;
  const planned: Array<{ status: number; body: string; headers: Record<string, string> }> = [];
  /** token -> channel -> next ackId and the pending ids (ready time, or null for never). */
  const channels = new Map<string, Map<string, { next: number; pending: Map<number, number | null> }>>();
  const received: IndexedHecEvent[] = [];
  const requests: RecordedHecRequest[] = [];
  let rejectRule: ((rawEvent: string) => boolean) | null = null;
  const gate = new AnswerGate();

  const channelState = (token: string, channel: string) => {
    let perToken = channels.get(token);
    if (perToken === undefined) {
      perToken = new Map();
      channels.set(token, perToken);
    }
    let state = perToken.get(channel);
    if (state === undefined) {
      state = { next: 0, pending: new Map() };
      perToken.set(channel, state);
    }
    return state;
  };

  const authenticate = (req: IncomingMessage): FakeHecToken | HecError => {
    const header = req.headers.authorization;
    if (header === undefined || header === '') {
      return HEC_ERRORS.tokenRequired;
    }
    let presented: string | null = null;
    const splunk = /^Splunk (\S+)$/.exec(header);
    const basic = /^Basic (\S+)$/.exec(header);
    if (splunk !== null) {
      presented = splunk[1];
    } else if (basic !== null) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      presented = colon < 0 ? null : decoded.slice(colon + 1);
    }
    if (presented === null) {
      return HEC_ERRORS.invalidAuthorization;
    }
    const token = tokens.get(presented);
    if (token === undefined) {
      return HEC_ERRORS.invalidToken;
    }
    return token.disabled === true ? HEC_ERRORS.tokenDisabled : token;
  };

  /** The request's channel for an ack-enabled token, or the error HEC gives. */
  const channelOf = (req: IncomingMessage, query: URLSearchParams): string | HecError => {
    const header = req.headers['x-splunk-request-channel'];
    const channel = (typeof header === 'string' ? header : null) ?? query.get('channel');
    if (channel === null || channel === '') {
      return HEC_ERRORS.channelMissing;
    }
    return GUID.test(channel) ? channel : HEC_ERRORS.invalidChannel;
  };

  /** Checks one envelope; returns the event to index or the error that stops the request. */
  const readEnvelope = (
    text: string,
    token: FakeHecToken,
    path: string,
    channel: string | null,
  ): IndexedHecEvent | HecError => {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return HEC_ERRORS.invalidFormat;
    }
    const members = memberTexts(text);
    const rawEvent = members.get('event');
    if (rawEvent === undefined) {
      return HEC_ERRORS.eventRequired;
    }
    if (rejectRule?.(rawEvent) === true) {
      return HEC_ERRORS.invalidFormat;
    }
    const event = parsed.event;
    if (event === null || (typeof event === 'string' && event.trim() === '')) {
      return HEC_ERRORS.eventBlank;
    }
    const time = parsed.time;
    if (
      time !== undefined &&
      typeof time !== 'number' &&
      !(typeof time === 'string' && /^\d+(\.\d+)?$/.test(time))
    ) {
      return HEC_ERRORS.invalidFormat;
    }
    const meta: Record<'host' | 'source' | 'sourcetype' | 'index', string | null> = {
      host: null,
      source: null,
      sourcetype: null,
      index: null,
    };
    for (const key of ['host', 'source', 'sourcetype', 'index'] as const) {
      const value = parsed[key];
      if (value !== undefined && typeof value !== 'string') {
        return HEC_ERRORS.invalidFormat;
      }
      meta[key] = value ?? null;
    }
    const fields = parsed.fields;
    if (
      fields !== undefined &&
      (typeof fields !== 'object' ||
        fields === null ||
        Array.isArray(fields) ||
        !Object.values(fields).every(isFlatValue))
    ) {
      return HEC_ERRORS.indexedFields;
    }
    if (meta.index !== null && token.indexes !== undefined && !token.indexes.includes(meta.index)) {
      return HEC_ERRORS.incorrectIndex;
    }
    return {
      path,
      token: token.token,
      channel,
      time: time === undefined ? null : Number(time),
      timeText: members.get('time') ?? null,
      host: meta.host,
      source: meta.source,
      sourcetype: meta.sourcetype,
      index: meta.index ?? token.defaultIndex ?? 'main',
      fields: (fields as Record<string, unknown> | undefined) ?? null,
      rawEvent,
      envelope: text,
    };
  };

  type Answer = { status: number; body: unknown; headers?: Record<string, string> };
  const error = (e: HecError, extra: Record<string, unknown> = {}): Answer => ({
    status: e.status,
    body: { text: e.text, code: e.code, ...extra },
  });

  const handleEvents = (req: IncomingMessage, body: string, path: string, query: URLSearchParams): Answer => {
    const next = planned.shift();
    if (next !== undefined) {
      return { status: next.status, body: next.body, headers: next.headers };
    }
    if (Buffer.byteLength(body, 'utf8') > maxContentLength) {
      return {
        status: 413,
        body: {
          text: `Content-Length of ${Buffer.byteLength(body, 'utf8')} too large (maximum is ${maxContentLength})`,
          code: 413,
        },
      };
    }
    const token = authenticate(req);
    if ('code' in token) {
      return error(token);
    }
    let channel: string | null = null;
    if (token.useAck === true) {
      const found = channelOf(req, query);
      if (typeof found !== 'string') {
        return error(found);
      }
      channel = found;
    }
    if (body.trim() === '') {
      return error(HEC_ERRORS.noData);
    }
    const { objects, bad } = splitConcatenatedObjects(body);
    const accepted: IndexedHecEvent[] = [];
    let failure: { error: HecError; at: number } | null = null;
    for (const [at, text] of objects.entries()) {
      const result = readEnvelope(text, token, path, channel);
      if ('code' in result) {
        failure = { error: result, at };
        break;
      }
      accepted.push(result);
    }
    if (failure === null && bad !== null) {
      failure = { error: HEC_ERRORS.invalidFormat, at: bad };
    }
    // Splunk indexes what came before the bad envelope; that one and the rest are dropped.
    received.push(...accepted);
    if (failure !== null) {
      return error(failure.error, { 'invalid-event-number': failure.at });
    }
    if (channel === null) {
      return { status: 200, body: { text: 'Success', code: 0 } };
    }
    const state = channelState(token.token, channel);
    const ackId = state.next;
    state.next += 1;
    state.pending.set(ackId, ackDelay === 'never' ? null : Date.now() + ackDelay);
    return { status: 200, body: { text: 'Success', code: 0, ackId } };
  };

  const handleAck = (req: IncomingMessage, body: string, query: URLSearchParams): Answer => {
    const token = authenticate(req);
    if ('code' in token) {
      return error(token);
    }
    if (token.useAck !== true) {
      return error(HEC_ERRORS.ackDisabled);
    }
    const channel = channelOf(req, query);
    if (typeof channel !== 'string') {
      return error(channel);
    }
    let ids: unknown;
    try {
      ids = (JSON.parse(body) as { acks?: unknown }).acks;
    } catch {
      return error(HEC_ERRORS.invalidFormat);
    }
    if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id))) {
      return error(HEC_ERRORS.invalidFormat);
    }
    const state = channelState(token.token, channel);
    const acks: Record<string, boolean> = {};
    for (const id of ids as number[]) {
      const readyAt = state.pending.get(id);
      const acked = readyAt !== undefined && readyAt !== null && readyAt <= Date.now();
      if (acked) {
        // An id answered true once is forgotten.
        state.pending.delete(id);
      }
      acks[String(id)] = acked;
    }
    return { status: 200, body: { acks } };
  };

  let busy = 0;
  let busyRetryAfter: number | undefined;
  let unhealthy = 0;
  let unhealthyCode: 18 | 19 | 20 = 18;

  const route = (req: IncomingMessage, body: string): Answer => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    if (HEALTH_PATHS.has(path)) {
      return unhealthy > 0
        ? { status: 503, body: { text: UNHEALTHY_TEXT[unhealthyCode], code: unhealthyCode } }
        : { status: 200, body: { text: 'HEC is healthy', code: 17 } };
    }
    if (path === ACK_PATH) {
      return req.method === 'POST' ? handleAck(req, body, url.searchParams) : { status: 405, body: {} };
    }
    if (!EVENT_PATHS.has(path)) {
      return { status: 404, body: { text: 'The requested URL was not found on this server.', code: 404 } };
    }
    if (req.method !== 'POST') {
      return { status: 405, body: {} };
    }
    if (busy > 0) {
      busy -= 1;
      const headers: Record<string, string> =
        busyRetryAfter === undefined ? {} : { 'retry-after': String(busyRetryAfter) };
      return { ...error(HEC_ERRORS.busy), headers };
    }
    if (unhealthy > 0) {
      unhealthy -= 1;
      return { status: 503, body: { text: UNHEALTHY_TEXT[unhealthyCode], code: unhealthyCode } };
    }
    return handleEvents(req, body, path, url.searchParams);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = raw.toString('utf8');
      const answer = route(req, body);
      const reply = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') {
          headers[name] = value;
        }
      }
      requests.push({
        method: req.method ?? '',
        path: new URL(req.url ?? '/', 'http://fake').pathname,
        headers,
        body,
        bytes: raw.length,
        status: answer.status,
        reply,
      });
      const write = (): void => {
        if (!res.destroyed && !res.writableEnded) {
          res.writeHead(answer.status, {
            'content-type': 'application/json; charset=UTF-8',
            ...answer.headers,
          });
          res.end(reply);
        }
      };
      const isEvent = EVENT_PATHS.has(new URL(req.url ?? '/', 'http://fake').pathname);
      if (isEvent) {
        res.once('close', gate.answer(write));
      } else {
        write();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    eventUrl: `${url}/services/collector/event`,
    received,
    requests,
    eventRequests: () => requests.filter((r) => EVENT_PATHS.has(r.path)),
    close: () =>
      new Promise<void>((resolve) => {
        gate.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    busyFor(count, retryAfterSeconds) {
      busy = count;
      busyRetryAfter = retryAfterSeconds;
    },
    unhealthyFor(count, code = 18) {
      unhealthy = count;
      unhealthyCode = code;
    },
    answerNext(count, status, body, headers = {}) {
      for (let i = 0; i < count; i += 1) {
        planned.push({ status, body, headers });
      }
    },
    setMaxContentLength(bytes) {
      maxContentLength = bytes;
    },
    setAckDelay(delay) {
      ackDelay = delay;
    },
    delayAnswers(delay) {
      gate.setDelay(delay);
    },
    releaseAnswers() {
      gate.release();
    },
    rejectEvents(rule) {
      rejectRule = rule;
    },
    disableToken(token) {
      const known = tokens.get(token);
      if (known !== undefined) {
        known.disabled = true;
      }
    },
  };
}
