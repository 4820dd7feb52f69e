import { randomBytes } from 'node:crypto';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { AnswerGate, headerValue, readBody, sendJson } from './fake-http';

/** The Logs Ingestion API's limit on one call's body. */
export const FAKE_SENTINEL_MAX_BYTES = 1_000_000;

const ACCEPTED_SCOPES = ['https://monitor.azure.com//.default', 'https://monitor.azure.com/.default'];

export interface FakeSentinelOptions {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  dcrImmutableId: string;
  streamName: string;
  /** Largest body taken before 413; default 1,000,000 bytes, the API's limit. */
  maxBytes?: number;
  /** Lifetime of the tokens issued; default 3599 s, like Entra. */
  expiresInSeconds?: number;
}

/** One token request as the fake saw it (never the secret itself). */
export interface TokenRequest {
  tenant: string;
  clientId: string | null;
  grantType: string | null;
  scope: string | null;
  secretMatched: boolean;
  status: number;
  at: number;
}

/** One upload call as the fake saw it. */
export interface IngestionCall {
  path: string;
  status: number;
  bytes: number;
  /** Rows in the body when it was a readable JSON array, else 0. */
  rows: number;
  contentType: string | undefined;
  requestId: string | undefined;
  token: string | null;
  errorCode: string | null;
  at: number;
}

/** One row the fake took, with the text of its `Alert` value exactly as it arrived. */
export interface StoredRow {
  raw: string;
  /** The raw text of the row's `Alert` value, byte for byte; null when the row had none. */
  alert: string | null;
  timeGenerated: unknown;
  alertId: unknown;
  alertVersion: unknown;
  severity: unknown;
  deliveryId: unknown;
  consoleUrl: unknown;
}

interface PlannedFailure {
  status: number;
  retryAfterSeconds: number | null;
}

/**
 * Microsoft Entra ID's token endpoint and an Azure Monitor Logs Ingestion endpoint on 127.0.0.1, strict about what
 * it takes: a valid bearer token (401), the DCR immutable id and stream (404), a JSON array body (400) of at most
 * 1,000,000 bytes (413) whose rows all have TimeGenerated. Planned 429/503 answers, a client without the role (403)
 * and a predicate that spoils a row (400 for the whole call, nothing stored) make the failures a sender must handle.
 */
export class FakeSentinel {
  readonly rows: StoredRow[] = [];
  readonly calls: IngestionCall[] = [];
  readonly tokenRequests: TokenRequest[] = [];
  private readonly tokens = new Map<string, number>();
  private failures: PlannedFailure[] = [];
  private tokenFailures: PlannedFailure[] = [];
  private badAlert: ((alert: string) => boolean) | null = null;
  private roleAssigned = true;
  private expiresInSeconds: number;
  private readonly gate = new AnswerGate();

  private constructor(
    private readonly server: Server,
    /** Both the data collection endpoint and the authority host. */
    readonly url: string,
    private readonly opts: FakeSentinelOptions,
  ) {
    this.expiresInSeconds = opts.expiresInSeconds ?? 3599;
  }

  get authorityHost(): string {
    return this.url;
  }

  /** A `sentinel` destination's settings that this fake takes: its app, DCR and stream, and itself as authority. */
  destinationSettings(): Record<string, string> {
    const { tenantId, clientId, clientSecret, dcrImmutableId, streamName } = this.opts;
    return {
      tenantId,
      clientId,
      clientSecret,
      dcrImmutableId,
      streamName,
      authorityHost: this.authorityHost,
    };
  }

  /** Starts the fake on a free port of 127.0.0.1. */
  static async start(opts: FakeSentinelOptions): Promise<FakeSentinel> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const fake = new FakeSentinel(server, `http://127.0.0.1:${port}`, opts);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      fake.handle(req, res).catch(() => {
        res.destroy();
      });
    });
    return fake;
  }

  /** The next `count` upload calls are answered `status` (429 or 503 typically), with Retry-After when given. */
  failNext(count: number, status: number, retryAfterSeconds: number | null = null): void {
    for (let i = 0; i < count; i += 1) {
      this.failures.push({ status, retryAfterSeconds });
    }
  }

  /** The next `count` token requests are answered `status` (Entra having a bad moment), with Retry-After when given. */
  failTokenNext(count: number, status: number, retryAfterSeconds: number | null = null): void {
    for (let i = 0; i < count; i += 1) {
      this.tokenFailures.push({ status, retryAfterSeconds });
    }
  }

  /** The app loses (false) or regains (true) Monitoring Metrics Publisher on the DCR. */
  setRoleAssigned(assigned: boolean): void {
    this.roleAssigned = assigned;
  }

  /** Every token issued so far stops being valid (as after a key rollover). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  /** Tokens issued from now on live this long. */
  setExpiresIn(seconds: number): void {
    this.expiresInSeconds = seconds;
  }

  /** A row whose raw `Alert` text matches makes its whole call fail with 400. */
  rejectAlertWhen(predicate: ((alert: string) => boolean) | null): void {
    this.badAlert = predicate;
  }

  /**
   * Upload calls are applied on arrival (rows stored) but answered only after `delay` ms, or, with `hold`, once
   * `releaseAnswers()` is called: an endpoint that took the rows and is slow to reply. 0 answers at once.
   */
  delayAnswers(delay: number | 'hold'): void {
    this.gate.setDelay(delay);
  }

  /** Writes every held upload answer now. */
  releaseAnswers(): void {
    this.gate.release();
  }

  /** Alerts stored, as raw text, in arrival order. */
  get alerts(): string[] {
    return this.rows.map((row) => row.alert ?? '');
  }

  async close(): Promise<void> {
    this.gate.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', this.url);
    const tokenPath = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (tokenPath !== null && req.method === 'POST') {
      this.issueToken(decodeURIComponent(tokenPath[1]), req, body, res);
      return;
    }
    if (url.pathname.startsWith('/dataCollectionRules/') && req.method === 'POST') {
      this.ingest(url, req, body, res);
      return;
    }
    sendJson(res, 404, {
      error: { code: 'NotFound', message: `No route for ${req.method} ${url.pathname}` },
    });
  }

  private issueToken(tenant: string, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const form = new URLSearchParams(body.toString('utf8'));
    const record: TokenRequest = {
      tenant,
      clientId: form.get('client_id'),
      grantType: form.get('grant_type'),
      scope: form.get('scope'),
      secretMatched: form.get('client_secret') === this.opts.clientSecret,
      status: 200,
      at: Date.now(),
    };
    this.tokenRequests.push(record);
    const refuse = (status: number, error: string, code: number, description: string): void => {
      record.status = status;
      sendJson(res, status, {
        error,
        error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${randomBytes(8).toString('hex')}\r\nCorrelation ID: ${randomBytes(8).toString('hex')}`,
        error_codes: [code],
        timestamp: new Date().toISOString(),
      });
    };
    const planned = this.tokenFailures.shift();
    if (planned !== undefined) {
      record.status = planned.status;
      sendJson(
        res,
        planned.status,
        { error: 'temporarily_unavailable', error_description: 'AADSTS50196: The server is busy.' },
        planned.retryAfterSeconds === null ? {} : { 'retry-after': String(planned.retryAfterSeconds) },
      );
    } else if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      refuse(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'grant_type'.",
      );
    } else if (tenant.toLowerCase() !== this.opts.tenantId.toLowerCase()) {
      refuse(400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
    } else if (record.grantType !== 'client_credentials') {
      refuse(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    } else if (record.clientId?.toLowerCase() !== this.opts.clientId.toLowerCase()) {
      refuse(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${record.clientId ?? ''}' was not found in the directory.`,
      );
    } else if (!record.secretMatched) {
      refuse(401, 'invalid_client', 7000215, 'Invalid client secret provided.');
    } else if (record.scope === null || !ACCEPTED_SCOPES.includes(record.scope)) {
      refuse(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${record.scope ?? ''} is not valid.`,
      );
    } else {
      const token = `fake-entra-${randomBytes(24).toString('hex')}`;
      this.tokens.set(token, Date.now() + this.expiresInSeconds * 1000);
      sendJson(res, 200, {
        token_type: 'Bearer',
        expires_in: this.expiresInSeconds,
        ext_expires_in: this.expiresInSeconds,
        access_token: token,
      });
    }
  }

  private ingest(url: URL, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : null;
    const call: IngestionCall = {
      path: url.pathname,
      status: 204,
      bytes: body.length,
      rows: 0,
      contentType: req.headers['content-type'],
      requestId: headerValue(req, 'x-ms-client-request-id'),
      token,
      errorCode: null,
      at: Date.now(),
    };
    this.calls.push(call);
    const fail = (
      status: number,
      code: string,
      message: string,
      headers: Record<string, string> = {},
    ): void => {
      call.status = status;
      call.errorCode = code;
      this.gate.answer(() =>
        sendJson(res, status, { error: { code, message } }, { 'x-ms-error-code': code, ...headers }),
      );
    };
    const expiresAt = token === null ? undefined : this.tokens.get(token);
    if (expiresAt === undefined || expiresAt <= Date.now()) {
      fail(401, 'InvalidToken', 'The access token is missing, invalid or expired.');
      return;
    }
    const route = /^\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)$/.exec(url.pathname);
    if (url.searchParams.get('api-version') !== '2023-01-01') {
      fail(400, 'InvalidApiVersion', 'The api-version query parameter must be 2023-01-01.');
      return;
    }
    if (!this.roleAssigned) {
      fail(
        403,
        'OperationFailed',
        `The authentication token provided does not have access to ingest data for the data collection rule with immutable Id '${this.opts.dcrImmutableId}'.`,
      );
      return;
    }
    if (route === null || decodeURIComponent(route[1]) !== this.opts.dcrImmutableId) {
      fail(404, 'NotFound', `Data collection rule with immutable Id '${route?.[1] ?? ''}' not found.`);
      return;
    }
    if (decodeURIComponent(route[2]) !== this.opts.streamName) {
      fail(
        404,
        'InvalidStream',
        `Stream '${decodeURIComponent(route[2])}' is not defined in the data collection rule.`,
      );
      return;
    }
    const planned = this.failures.shift();
    if (planned !== undefined) {
      fail(
        planned.status,
        planned.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable',
        'Try again later.',
        planned.retryAfterSeconds === null ? {} : { 'retry-after': String(planned.retryAfterSeconds) },
      );
      return;
    }
    if (body.length > (this.opts.maxBytes ?? FAKE_SENTINEL_MAX_BYTES)) {
      fail(413, 'ContentLengthLimitExceeded', `The request is ${body.length} bytes, above the 1 MB limit.`);
      return;
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      fail(415, 'UnsupportedMediaType', 'Content-Type must be application/json.');
      return;
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      fail(400, 'InvalidPayload', 'The body is not valid UTF-8.');
      return;
    }
    let rows: StoredRow[];
    try {
      rows = splitRows(text);
    } catch (error) {
      fail(400, 'InvalidPayload', `The body is not a JSON array of objects: ${(error as Error).message}`);
      return;
    }
    call.rows = rows.length;
    const missingTime = rows.findIndex((row) => typeof row.timeGenerated !== 'string');
    if (missingTime >= 0) {
      fail(400, 'InvalidPayload', `Row ${missingTime} has no TimeGenerated.`);
      return;
    }
    const bad = this.badAlert;
    const badRow = bad === null ? -1 : rows.findIndex((row) => row.alert !== null && bad(row.alert));
    if (badRow >= 0) {
      fail(400, 'InvalidPayload', `Row ${badRow} does not match the stream's declaration.`);
      return;
    }
    this.rows.push(...rows);
    this.gate.answer(() => {
      res.writeHead(204);
      res.end();
    });
  }
}

/** Starts a fake Entra ID + Logs Ingestion endpoint on 127.0.0.1. */
export function startFakeSentinel(opts: FakeSentinelOptions): Promise<FakeSentinel> {
  return FakeSentinel.start(opts);
}

/**
 * Splits a JSON array of objects into rows without re-encoding anything: each row's text and its `Alert` value's
 * text are slices of the body, so numbers of any size and every escape stay as sent.
 * @throws Error when the text is not a JSON array of objects
 */
export function splitRows(text: string): StoredRow[] {
  const scanner = new JsonScanner(text);
  const rows: StoredRow[] = [];
  let i = scanner.skipWhitespace(0);
  scanner.expect(i, '[');
  i = scanner.skipWhitespace(i + 1);
  if (text[i] === ']') {
    i += 1;
  } else {
    for (;;) {
      if (text[i] !== '{') {
        throw new Error(`row ${rows.length} is not an object`);
      }
      const { end, members } = scanner.object(i);
      const value = (key: string): unknown => {
        const span = members.get(key);
        return span === undefined ? undefined : (JSON.parse(text.slice(span[0], span[1])) as unknown);
      };
      const alertSpan = members.get('Alert');
      rows.push({
        raw: text.slice(i, end),
        alert: alertSpan === undefined ? null : text.slice(alertSpan[0], alertSpan[1]),
        timeGenerated: value('TimeGenerated'),
        alertId: value('AlertId'),
        alertVersion: value('AlertVersion'),
        severity: value('Severity'),
        deliveryId: value('DeliveryId'),
        consoleUrl: value('ConsoleUrl'),
      });
      i = scanner.skipWhitespace(end);
      if (text[i] === ',') {
        i = scanner.skipWhitespace(i + 1);
        continue;
      }
      scanner.expect(i, ']');
      i += 1;
      break;
    }
  }
  if (scanner.skipWhitespace(i) !== text.length) {
    throw new Error(`unexpected text after the array at ${i}`);
  }
  return rows;
}

/** A strict JSON scanner that reports where values start and end instead of building them. */
class JsonScanner {
  constructor(private readonly text: string) {}

  skipWhitespace(i: number): number {
    while (i < this.text.length && ' \t\n\r'.includes(this.text[i])) {
      i += 1;
    }
    return i;
  }

  expect(i: number, char: string): void {
    if (this.text[i] !== char) {
      throw new Error(`expected ${char} at ${i}`);
    }
  }

  /** The end of the value starting at `i`. */
  value(i: number): number {
    const char = this.text[i];
    if (char === '{') {
      return this.object(i).end;
    }
    if (char === '[') {
      return this.array(i);
    }
    if (char === '"') {
      return this.string(i);
    }
    for (const literal of ['true', 'false', 'null']) {
      if (this.text.startsWith(literal, i)) {
        return i + literal.length;
      }
    }
    const numberPattern = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    numberPattern.lastIndex = i;
    const number = numberPattern.exec(this.text);
    if (number === null || number[0] === '') {
      throw new Error(`unexpected ${char === undefined ? 'end' : JSON.stringify(char)} at ${i}`);
    }
    return i + number[0].length;
  }

  object(i: number): { end: number; members: Map<string, [number, number]> } {
    const members = new Map<string, [number, number]>();
    let at = this.skipWhitespace(i + 1);
    if (this.text[at] === '}') {
      return { end: at + 1, members };
    }
    for (;;) {
      this.expect(at, '"');
      const keyEnd = this.string(at);
      const key = JSON.parse(this.text.slice(at, keyEnd)) as string;
      at = this.skipWhitespace(keyEnd);
      this.expect(at, ':');
      const start = this.skipWhitespace(at + 1);
      const end = this.value(start);
      members.set(key, [start, end]);
      at = this.skipWhitespace(end);
      if (this.text[at] === ',') {
        at = this.skipWhitespace(at + 1);
        continue;
      }
      this.expect(at, '}');
      return { end: at + 1, members };
    }
  }

  private array(i: number): number {
    let at = this.skipWhitespace(i + 1);
    if (this.text[at] === ']') {
      return at + 1;
    }
    for (;;) {
      at = this.skipWhitespace(this.value(at));
      if (this.text[at] === ',') {
        at = this.skipWhitespace(at + 1);
        continue;
      }
      this.expect(at, ']');
      return at + 1;
    }
  }

  private string(i: number): number {
    let at = i + 1;
    while (at < this.text.length) {
      const code = this.text.charCodeAt(at);
      if (code === 0x22) {
        return at + 1;
      }
      if (code < 0x20) {
        throw new Error(`control character in a string at ${at}`);
      }
      if (code === 0x5c) {
        const escape = this.text[at + 1];
        if (escape === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(at + 2, at + 6))) {
            throw new Error(`bad \\u escape at ${at}`);
          }
          at += 6;
          continue;
        }
        if (escape === undefined || !'"\\/bfnrt'.includes(escape)) {
          throw new Error(`bad escape at ${at}`);
        }
        at += 2;
        continue;
      }
      at += 1;
    }
    throw new Error('unterminated string');
  }
}
