import { IncomingMessage, Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { AnswerGate } from './fake-http';

/** One request as the fake saw it. */
export interface ElasticsearchRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** The body exactly as sent, decoded as UTF-8. */
  body: string;
  bytes: number;
  status: number;
  /** Date.now() when the whole request had arrived. */
  at: number;
  /** Date.now() when the answer had been written, or the client had gone away; null until then. */
  answeredAt: number | null;
}

/** Decides whether a document fails its mapping: the reason in words, or null to store it. */
export type MappingRule = (index: string, id: string, source: Record<string, unknown>) => string | null;

export interface FakeElasticsearchOptions {
  /** `encoded` API key values accepted as `Authorization: ApiKey <encoded>`. */
  apiKeys?: string[];
  /** Basic auth users: name → password. */
  users?: Record<string, string>;
  /** Names that are data streams: only `create`, `@timestamp` required, backing indices `.ds-<name>-…`. */
  dataStreams?: string[];
  /** `http.max_content_length`; larger requests get 413. Default 100 MiB. */
  maxContentLength?: number;
  /** Honour `filter_path` on success answers as Elasticsearch does (default true). */
  honourFilterPath?: boolean;
  /** Error type of a mapping failure: `mapper_parsing_exception` (up to 8.x) or `document_parsing_exception`. */
  parsingErrorType?: 'mapper_parsing_exception' | 'document_parsing_exception';
  /** Path prefix a reverse proxy in front of the cluster serves it under; anything else is 404 from the proxy. */
  pathPrefix?: string;
}

export interface FakeElasticsearch {
  url: string;
  /** Stored source texts of an index or data stream, by `_id`, byte for byte as the request carried them. */
  documents(index: string): Map<string, string>;
  requests: ElasticsearchRequest[];
  /** The next `n` bulk requests get a whole-request 429, with `Retry-After` when given. */
  rejectRequests(n: number, retryAfterSeconds?: number): void;
  /** The next `n` bulk items (across requests) get a per-item 429 `es_rejected_execution_exception`. */
  rejectItems(n: number): void;
  /** Documents the rule picks fail with a mapping error (item 400). */
  failDocuments(rule: MappingRule | null): void;
  /** Items written to this index get 403 `security_exception` (a key without write privilege on it). */
  denyIndex(index: string): void;
  /**
   * Bulk requests are applied on arrival but answered only after `delay` ms, or, with `hold`, once
   * `releaseAnswers()` is called: a cluster that is slow to reply while the client waits. 0 answers at once.
   */
  delayAnswers(delay: number | 'hold'): void;
  /** Writes every held answer now. */
  releaseAnswers(): void;
  close(): Promise<void>;
}

interface StoredDocument {
  source: string;
  version: number;
  seqNo: number;
}

interface ErrorObject {
  type: string;
  reason: string;
  [extra: string]: unknown;
}

const MIB = 1024 * 1024;
const FORBIDDEN_INDEX_CHARACTERS = /[\\/*?"<>|,# :]/;

/** Elasticsearch's `{"error":{root_cause,type,reason},"status":N}` shape of a whole-request failure. */
function errorAnswer(status: number, error: ErrorObject): Record<string, unknown> {
  return { error: { root_cause: [error], ...error }, status };
}

/** Keeps only the fields `filter_path` names (dot paths, `*` matches any one key; arrays are transparent). */
function filterPath(value: unknown, patterns: string[][]): unknown {
  if (Array.isArray(value)) {
    return value.map((element) => filterPath(element, patterns)).filter((e) => e !== undefined);
  }
  if (typeof value !== 'object' || value === null) {
    return patterns.some((p) => p.length === 0) ? value : undefined;
  }
  if (patterns.some((p) => p.length === 0)) {
    return value;
  }
  const kept: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const rest = patterns.filter((p) => p[0] === '*' || p[0] === key).map((p) => p.slice(1));
    if (rest.length === 0) {
      continue;
    }
    const filtered = filterPath(child, rest);
    if (filtered !== undefined && !(isEmptyObject(filtered) && !rest.some((p) => p.length === 0))) {
      kept[key] = filtered;
    }
  }
  return kept;
}

function isEmptyObject(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0
  );
}

function indexNameError(name: string): string | null {
  if (name !== name.toLowerCase()) {
    return 'must be lowercase';
  }
  if (FORBIDDEN_INDEX_CHARACTERS.test(name)) {
    return 'must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?, #, :]';
  }
  if (/^[-_+]/.test(name)) {
    return "must not start with '_', '-', or '+'";
  }
  if (name === '.' || name === '..') {
    return "must not be '.' or '..'";
  }
  if (Buffer.byteLength(name) > 255) {
    return 'index name is too long';
  }
  return null;
}

/**
 * An Elasticsearch `_bulk` endpoint on 127.0.0.1 for e2e tests: NDJSON parsed with the real rules, `create` and
 * `index` actions, documents stored per index by `_id`, data streams, per-item and whole-request failures, security
 * answers for API keys and basic users. Answers list items in request order.
 */
export async function startFakeElasticsearch(
  options: FakeElasticsearchOptions = {},
): Promise<FakeElasticsearch> {
  const apiKeys = new Set(options.apiKeys ?? []);
  const users = new Map(Object.entries(options.users ?? {}));
  const dataStreams = new Set(options.dataStreams ?? []);
  const maxContentLength = options.maxContentLength ?? 100 * MIB;
  const honourFilterPath = options.honourFilterPath ?? true;
  const parsingErrorType = options.parsingErrorType ?? 'document_parsing_exception';
  const prefix = (options.pathPrefix ?? '').replace(/\/+$/, '');
  const indices = new Map<string, Map<string, StoredDocument>>();
  const requests: ElasticsearchRequest[] = [];
  const denied = new Set<string>();
  let rejectedRequests = 0;
  let rejectRetryAfter: number | undefined;
  let rejectedItems = 0;
  let mappingRule: MappingRule | null = null;
  let seqNo = 0;
  let autoId = 0;
  const gate = new AnswerGate();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const record: ElasticsearchRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: { ...req.headers },
        body: raw.toString('utf8'),
        bytes: raw.length,
        status: 0,
        at: Date.now(),
        answeredAt: null,
      };
      requests.push(record);
      const { status, body, headers } = answer(req, raw);
      record.status = status;
      const text = body === null ? '' : JSON.stringify(body);
      const write = (): void => {
        if (record.answeredAt !== null) {
          return;
        }
        record.answeredAt = Date.now();
        if (res.destroyed) {
          return;
        }
        res.writeHead(status, {
          ...(body === null ? {} : { 'content-type': 'application/json' }),
          'x-elastic-product': 'Elasticsearch',
          ...headers,
        });
        res.end(text);
      };
      const drop = gate.answer(write);
      // A client that gives up (or dies) ends the wait; the request stays applied.
      res.once('close', () => {
        record.answeredAt ??= Date.now();
        drop();
      });
    });
  });

  function send(
    status: number,
    body: Record<string, unknown> | null,
    headers: Record<string, string> = {},
  ): { status: number; body: Record<string, unknown> | null; headers: Record<string, string> } {
    return { status, body, headers };
  }

  function answer(req: IncomingMessage, raw: Buffer): ReturnType<typeof send> {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (!url.pathname.startsWith(`${prefix}/`)) {
      return send(404, null);
    }
    const path = url.pathname.slice(prefix.length);
    const match = /^\/(?:([^/]+)\/)?_bulk$/.exec(path);
    if (match === null) {
      return send(
        400,
        errorAnswer(400, {
          type: 'illegal_argument_exception',
          reason: `no handler found for uri [${path}] and method [${req.method}]`,
        }),
      );
    }
    if (req.method !== 'POST' && req.method !== 'PUT') {
      return send(405, {
        error: `Incorrect HTTP method for uri [${path}] and method [${req.method}], allowed: [POST, PUT]`,
        status: 405,
      });
    }
    const security = authenticate(req.headers.authorization, path);
    if (security !== null) {
      return security;
    }
    if (raw.length > maxContentLength) {
      return send(413, null);
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (contentType !== 'application/x-ndjson' && contentType !== 'application/json') {
      return send(406, {
        error: `Content-Type header [${req.headers['content-type'] ?? ''}] is not supported`,
        status: 406,
      });
    }
    if (rejectedRequests > 0) {
      rejectedRequests -= 1;
      return send(
        429,
        errorAnswer(429, {
          type: 'es_rejected_execution_exception',
          reason:
            'rejected execution of coordinating operation [coordinating_and_primary_bytes=0, max_coordinating_and_primary_bytes=0]',
        }),
        rejectRetryAfter === undefined ? {} : { 'retry-after': String(rejectRetryAfter) },
      );
    }
    const result = bulk(raw.toString('utf8'), match[1] === undefined ? null : decodeURIComponent(match[1]));
    if (result.status !== 200 || !honourFilterPath) {
      return result;
    }
    const filter = url.searchParams.get('filter_path');
    if (filter === null || result.body === null) {
      return result;
    }
    const patterns = filter.split(',').map((p) => p.trim().split('.'));
    return send(200, (filterPath(result.body, patterns) as Record<string, unknown> | undefined) ?? {});
  }

  function authenticate(header: string | undefined, path: string): ReturnType<typeof send> | null {
    if (apiKeys.size === 0 && users.size === 0) {
      return null;
    }
    const challenge = { 'www-authenticate': 'Basic realm="security" charset="UTF-8", ApiKey' };
    const refuse = (reason: string) =>
      send(
        401,
        errorAnswer(401, {
          type: 'security_exception',
          reason,
          header: { 'WWW-Authenticate': ['Basic realm="security" charset="UTF-8"', 'ApiKey'] },
        }),
        challenge,
      );
    if (header === undefined) {
      return refuse(`missing authentication credentials for REST request [${path}]`);
    }
    const [scheme, value = ''] = header.split(' ', 2);
    if (scheme === 'ApiKey') {
      return apiKeys.has(value)
        ? null
        : refuse(
            'unable to authenticate with provided credentials and anonymous access is not allowed for this request',
          );
    }
    if (scheme === 'Basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = colon < 0 ? decoded : decoded.slice(0, colon);
      if (colon >= 0 && users.get(user) === decoded.slice(colon + 1)) {
        return null;
      }
      return refuse(`unable to authenticate user [${user}] for REST request [${path}]`);
    }
    return refuse(`missing authentication credentials for REST request [${path}]`);
  }

  function bulk(text: string, defaultIndex: string | null): ReturnType<typeof send> {
    const started = Date.now();
    if (text.length > 0 && !text.endsWith('\n')) {
      return send(
        400,
        errorAnswer(400, {
          type: 'illegal_argument_exception',
          reason: 'The bulk request must be terminated by a newline [\\n]',
        }),
      );
    }
    const lines = text.split('\n').slice(0, -1);
    type Operation = {
      op: 'create' | 'index';
      index: string;
      id: string | null;
      source: string;
      line: number;
    };
    const operations: Operation[] = [];
    const problems: string[] = [];
    for (let line = 0; line < lines.length; line += 1) {
      if (lines[line].trim() === '') {
        continue;
      }
      let action: unknown;
      try {
        action = JSON.parse(lines[line]);
      } catch {
        return send(
          400,
          errorAnswer(400, {
            type: 'x_content_parse_exception',
            reason: `[${line + 1}:1] Malformed action/metadata line [${line + 1}], expected START_OBJECT`,
          }),
        );
      }
      const keys = typeof action === 'object' && action !== null ? Object.keys(action) : [];
      const op = keys[0];
      if (keys.length !== 1 || (op !== 'create' && op !== 'index')) {
        return send(
          400,
          errorAnswer(400, {
            type: 'illegal_argument_exception',
            reason: `Malformed action/metadata line [${line + 1}], expected one of [create, index] (this fake) but found [${op ?? ''}]`,
          }),
        );
      }
      const meta = (action as Record<string, Record<string, unknown>>)[op] ?? {};
      const index = typeof meta._index === 'string' ? meta._index : defaultIndex;
      const id = typeof meta._id === 'string' ? meta._id : null;
      if (line + 1 >= lines.length) {
        return send(
          400,
          errorAnswer(400, {
            type: 'illegal_argument_exception',
            reason: `The bulk request must be terminated by a newline [\\n]`,
          }),
        );
      }
      if (index === null) {
        problems.push(`${problems.length + 1}: index is missing;`);
      }
      if (id !== null && Buffer.byteLength(id) > 512) {
        problems.push(
          `${problems.length + 1}: id [${id}] is too long, must be no longer than 512 bytes but was: ${Buffer.byteLength(id)};`,
        );
      }
      operations.push({ op, index: index ?? '', id, source: lines[line + 1], line: line + 1 });
      line += 1;
    }
    if (operations.length === 0) {
      problems.push('1: no requests added;');
    }
    if (problems.length > 0) {
      return send(
        400,
        errorAnswer(400, {
          type: 'action_request_validation_exception',
          reason: `Validation Failed: ${problems.join(' ')}`,
        }),
      );
    }
    const items = operations.map((operation) => ({ [operation.op]: applyOperation(operation) }));
    const errors = items.some((item) => Object.values(item)[0].error !== undefined);
    return send(200, { took: Date.now() - started, errors, items });
  }

  function applyOperation(operation: {
    op: 'create' | 'index';
    index: string;
    id: string | null;
    source: string;
  }): Record<string, unknown> {
    const id = operation.id ?? `auto${(autoId += 1)}`;
    const isStream = dataStreams.has(operation.index);
    const concrete = isStream
      ? `.ds-${operation.index}-${new Date().toISOString().slice(0, 10).replace(/-/g, '.')}-000001`
      : operation.index;
    const failure = (status: number, error: ErrorObject) => ({
      _index: concrete,
      _id: id,
      status,
      error: { ...error, index: concrete, index_uuid: 'fakeUuid0000000000000' },
    });
    const nameProblem = indexNameError(operation.index);
    if (nameProblem !== null) {
      return failure(400, {
        type: 'invalid_index_name_exception',
        reason: `Invalid index name [${operation.index}], ${nameProblem}`,
      });
    }
    if (denied.has(operation.index)) {
      return failure(403, {
        type: 'security_exception',
        reason: `action [indices:data/write/bulk[s]] is unauthorized for API key id [fake] of user [fake] on indices [${operation.index}], this action is granted by the index privileges [create_doc,create,index,write,all]`,
      });
    }
    if (rejectedItems > 0) {
      rejectedItems -= 1;
      return failure(429, {
        type: 'es_rejected_execution_exception',
        reason: `rejected execution of primary operation [shard_detail=[${concrete}][0][P], shard_operation_bytes=0, coordinating_and_primary_bytes=0]`,
      });
    }
    if (isStream && operation.op !== 'create') {
      return failure(400, {
        type: 'illegal_argument_exception',
        reason: `only write ops with an op_type of create are allowed in data streams`,
      });
    }
    let source: unknown;
    try {
      source = JSON.parse(operation.source);
    } catch {
      source = undefined;
    }
    if (typeof source !== 'object' || source === null || Array.isArray(source)) {
      return failure(400, {
        type: parsingErrorType,
        reason: '[1:1] failed to parse: the source is not a JSON object',
      });
    }
    const fields = source as Record<string, unknown>;
    if (isStream && typeof fields['@timestamp'] !== 'string' && typeof fields['@timestamp'] !== 'number') {
      return failure(400, {
        type: parsingErrorType,
        reason: `[1:${operation.source.length}] failed to parse: data stream timestamp field [@timestamp] is missing`,
      });
    }
    const mapping = mappingRule?.(operation.index, id, fields) ?? null;
    if (mapping !== null) {
      return failure(400, { type: parsingErrorType, reason: mapping });
    }
    const key = operation.index;
    let documents = indices.get(key);
    if (documents === undefined) {
      documents = new Map();
      indices.set(key, documents);
    }
    const existing = documents.get(id);
    if (existing !== undefined && operation.op === 'create') {
      return failure(409, {
        type: 'version_conflict_engine_exception',
        reason: `[${id}]: version conflict, document already exists (current version [${existing.version}])`,
        shard: '0',
      });
    }
    seqNo += 1;
    const version = (existing?.version ?? 0) + 1;
    documents.set(id, { source: operation.source, version, seqNo });
    return {
      _index: concrete,
      _id: id,
      _version: version,
      result: existing === undefined ? 'created' : 'updated',
      _shards: { total: 2, successful: 1, failed: 0 },
      _seq_no: seqNo,
      _primary_term: 1,
      status: existing === undefined ? 201 : 200,
    };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    requests,
    documents(index) {
      return new Map(
        [...(indices.get(index) ?? new Map<string, StoredDocument>())].map(([id, d]) => [id, d.source]),
      );
    },
    rejectRequests(n, retryAfterSeconds) {
      rejectedRequests = n;
      rejectRetryAfter = retryAfterSeconds;
    },
    rejectItems(n) {
      rejectedItems = n;
    },
    failDocuments(rule) {
      mappingRule = rule;
    },
    denyIndex(index) {
      denied.add(index);
    },
    delayAnswers(delay) {
      gate.setDelay(delay);
    },
    releaseAnswers() {
      gate.release();
    },
    close() {
      gate.close();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
