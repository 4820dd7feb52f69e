import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { AnswerGate, headerValue, readBody, sendJson } from './fake-http';

/** importPushLogs's limit on one request's body. */
export const FAKE_SECOPS_MAX_BYTES = 4_000_000;

export interface FakeSecOpsOptions {
  apiKey: string;
  secret: string;
  /** The feed's path; default a v1alpha feed path ending in `:importPushLogs`. */
  feedPath?: string;
  /**
   * How an unknown API key is answered: 401 UNAUTHENTICATED (default), or 400 INVALID_ARGUMENT with the ErrorInfo
   * reason API_KEY_INVALID, as Google API front ends answer a key they do not know.
   */
  invalidKeyAnswer?: 'unauthenticated' | 'api_key_invalid';
}

/** One importPushLogs request as the fake saw it (never the key or secret themselves). */
export interface PushRequest {
  path: string;
  status: number;
  bytes: number;
  lines: number;
  contentType: string | undefined;
  apiKeyMatched: boolean;
  secretMatched: boolean;
  /** True when the key or secret came in the query string. */
  queryCredentials: boolean;
  at: number;
}

interface PlannedFailure {
  status: number;
  retryAfterSeconds: number | null;
}

const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/**
 * A Google SecOps webhook feed's importPushLogs endpoint on 127.0.0.1: checks `X-goog-api-key` and
 * `X-Webhook-Access-Key`, takes newline-separated JSON events of at most 4,000,000 bytes in all, and refuses the
 * whole request (nothing stored) when any line is not valid UTF-8 JSON or matches the bad-event predicate. Errors
 * are Google API JSON errors.
 */
export class FakeSecOps {
  /** Every line taken, its raw text exactly as it arrived. */
  readonly lines: string[] = [];
  readonly requests: PushRequest[] = [];
  private failures: PlannedFailure[] = [];
  private badLine: ((line: string) => boolean) | null = null;
  private readonly gate = new AnswerGate();

  private constructor(
    private readonly server: Server,
    readonly origin: string,
    private readonly feedPath: string,
    private readonly opts: FakeSecOpsOptions,
  ) {}

  /** The feed's full importPushLogs URL. */
  get url(): string {
    return `${this.origin}${this.feedPath}`;
  }

  static async start(opts: FakeSecOpsOptions): Promise<FakeSecOps> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const feedPath =
      opts.feedPath ??
      '/v1alpha/projects/123456789012/locations/us/instances/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f/feeds/feed-1:importPushLogs';
    const fake = new FakeSecOps(server, `http://127.0.0.1:${port}`, feedPath, opts);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      fake.handle(req, res).catch(() => {
        res.destroy();
      });
    });
    return fake;
  }

  /** The next `count` requests are answered `status` (429 or 503 typically), with Retry-After when given. */
  failNext(count: number, status: number, retryAfterSeconds: number | null = null): void {
    for (let i = 0; i < count; i += 1) {
      this.failures.push({ status, retryAfterSeconds });
    }
  }

  /** A line matching this makes its whole request fail with 400. */
  rejectLineWhen(predicate: ((line: string) => boolean) | null): void {
    this.badLine = predicate;
  }

  /**
   * Requests are applied on arrival (lines stored) but answered only after `delay` ms, or, with `hold`, once
   * `releaseAnswers()` is called: a feed that took the events and is slow to reply. 0 answers at once.
   */
  delayAnswers(delay: number | 'hold'): void {
    this.gate.setDelay(delay);
  }

  /** Writes every held answer now. */
  releaseAnswers(): void {
    this.gate.release();
  }

  async close(): Promise<void> {
    this.gate.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', this.origin);
    const record: PushRequest = {
      path: url.pathname,
      status: 200,
      bytes: body.length,
      lines: 0,
      contentType: req.headers['content-type'],
      apiKeyMatched: headerValue(req, 'x-goog-api-key') === this.opts.apiKey,
      secretMatched: headerValue(req, 'x-webhook-access-key') === this.opts.secret,
      queryCredentials: url.searchParams.has('key') || url.searchParams.has('secret'),
      at: Date.now(),
    };
    this.requests.push(record);
    const fail = (status: number, message: string, extra: Record<string, unknown> = {}): void => {
      record.status = status;
      const headers: Record<string, string> = {};
      const planned = extra.retryAfterSeconds;
      if (typeof planned === 'number') {
        headers['retry-after'] = String(planned);
      }
      const details =
        extra.reason === undefined
          ? undefined
          : [
              {
                '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
                reason: extra.reason,
                domain: 'googleapis.com',
              },
            ];
      this.gate.answer(() =>
        sendJson(
          res,
          status,
          { error: { code: status, message, status: GOOGLE_STATUS[status] ?? 'UNKNOWN', details } },
          headers,
        ),
      );
    };
    if (req.method !== 'POST' || decodeURIComponent(url.pathname) !== this.feedPath) {
      fail(404, `Requested entity was not found: ${url.pathname}`);
      return;
    }
    if (!record.apiKeyMatched) {
      if (this.opts.invalidKeyAnswer === 'api_key_invalid') {
        fail(400, 'API key not valid. Please pass a valid API key.', { reason: 'API_KEY_INVALID' });
      } else {
        fail(401, 'Request is missing required authentication credential or the API key is not valid.');
      }
      return;
    }
    if (!record.secretMatched) {
      fail(403, 'The webhook access key is missing or does not match the feed secret.');
      return;
    }
    const planned = this.failures.shift();
    if (planned !== undefined) {
      fail(planned.status, 'The service is currently unavailable or rate limited.', {
        retryAfterSeconds: planned.retryAfterSeconds ?? undefined,
      });
      return;
    }
    if (body.length > FAKE_SECOPS_MAX_BYTES) {
      fail(413, `Request payload size exceeds the limit: ${FAKE_SECOPS_MAX_BYTES} bytes.`);
      return;
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      fail(400, 'Request contains an invalid argument: the payload is not valid UTF-8.');
      return;
    }
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    record.lines = lines.length;
    if (lines.length === 0) {
      fail(400, 'Request contains an invalid argument: no log entries.');
      return;
    }
    for (const [index, line] of lines.entries()) {
      try {
        JSON.parse(line);
      } catch {
        fail(400, `Request contains an invalid argument: entry ${index} is not valid JSON.`);
        return;
      }
      if (this.badLine?.(line) === true) {
        fail(400, `Request contains an invalid argument: entry ${index} could not be imported.`);
        return;
      }
    }
    this.lines.push(...lines);
    this.gate.answer(() => sendGoogleJson(res, 200, {}));
  }
}

/** Starts a fake Google SecOps webhook feed on 127.0.0.1. */
export function startFakeSecOps(opts: FakeSecOpsOptions): Promise<FakeSecOps> {
  return FakeSecOps.start(opts);
}

function sendGoogleJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, body, headers, 'application/json; charset=UTF-8');
}
