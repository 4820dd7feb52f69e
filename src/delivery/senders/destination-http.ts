import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { Inject, Injectable } from '@nestjs/common';
import axios, { AxiosInstance } from 'axios';
import { parseIpLiteral } from '../../common/net/ip-policy';
import { RequestDeadlineError, withRequestDeadline } from '../../common/net/request-deadline';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { isForbiddenDestinationAddress, validateDestinationUrl } from '../destination-url';
import { parseRetryAfter } from '../retry-schedule';

/** What a destination answered, or why it did not. */
export type HttpAnswer =
  | {
      status: number;
      headers: Record<string, string>;
      /** The response body as text (cut at `maxResponseBytes`). */
      body: string;
      latencyMs: number;
      retryAfterMs: number | null;
    }
  | { status: null; error: string; latencyMs: number };

export interface HttpRequestOptions {
  method?: 'POST' | 'GET';
  headers: Record<string, string>;
  /** Largest response body read; default 1 MiB. */
  maxResponseBytes?: number;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

const FORBIDDEN_DESTINATION = 'ERR_FORBIDDEN_DESTINATION';
const FORBIDDEN_MESSAGE =
  'destination resolves to a forbidden (link-local, metadata, unspecified or multicast) address';

function forbiddenDestinationError(host: string): NodeJS.ErrnoException {
  const refused: NodeJS.ErrnoException = new Error(`${host} resolves to a forbidden address`);
  refused.code = FORBIDDEN_DESTINATION;
  return refused;
}

class RefusedDestinationError extends Error {
  constructor(readonly reason: string) {
    super(`destination URL refused: ${reason}`);
  }
}

/**
 * Applies today's destination URL policy to the stored URL before any connection (a row written by hand is not
 * trusted). Node calls the lookup hook only for names, so this is also where an IP-literal host is checked.
 */
function assertDestinationAllowed(url: string): void {
  const verdict = validateDestinationUrl(url);
  if (!verdict.ok) {
    throw new RefusedDestinationError(verdict.reason);
  }
  assertHostAllowed(new URL(url).hostname);
}

/** Refuses an IP-literal host in a forbidden range (names are checked after DNS, by {@link destinationLookup}). */
export function assertHostAllowed(host: string): void {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  if (parseIpLiteral(bare) !== null && isForbiddenDestinationAddress(bare)) {
    throw forbiddenDestinationError(bare);
  }
}

/** Resolves like dns.lookup but refuses link-local and metadata addresses, whatever name led there. */
export function destinationLookup(
  hostname: string,
  options: dns.LookupOptions,
  callback: LookupCallback,
): void {
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) {
      callback(error, options.all ? [] : '');
      return;
    }
    const forbidden = addresses.find((a) => isForbiddenDestinationAddress(a.address));
    if (forbidden) {
      callback(forbiddenDestinationError(hostname), options.all ? [] : '');
      return;
    }
    if (options.all) {
      callback(null, addresses);
    } else {
      callback(null, addresses[0].address, addresses[0].family);
    }
  });
}

/**
 * The HTTP client of every HTTP destination kind: no redirects, no proxy, addresses checked at connect time, and one
 * total deadline (`DELIVERY_TIMEOUT_MS`, connect to last byte) per request. Never throws.
 */
@Injectable()
export class DestinationHttp {
  private readonly http: AxiosInstance;
  readonly timeoutMs: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const agentOptions = { keepAlive: true, maxSockets: 64, lookup: destinationLookup as never };
    this.timeoutMs = config.deliveryTimeoutMs;
    this.http = axios.create({
      maxRedirects: 0,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      proxy: false,
      httpAgent: new http.Agent(agentOptions),
      httpsAgent: new https.Agent(agentOptions),
    });
  }

  /** One request within the deadline; the body is sent exactly as given. */
  async request(url: string, body: string | Buffer | null, options: HttpRequestOptions): Promise<HttpAnswer> {
    const started = performance.now();
    try {
      assertDestinationAllowed(url);
      const send = (signal: AbortSignal) =>
        this.http.request<string>({
          url,
          method: options.method ?? 'POST',
          data: body === null ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
          headers: { 'user-agent': 'lacework-connector', ...options.headers },
          maxContentLength: options.maxResponseBytes ?? 1024 * 1024,
          signal,
        });
      const response = await withRequestDeadline(this.timeoutMs, async (signal) => {
        try {
          return await send(signal);
        } catch (error) {
          // A kept-alive connection the receiver closed as the request went out: once more, on a new connection,
          // within the same deadline (the retry schedule would otherwise wait minutes for a race of milliseconds).
          if (isClosedBeforeAnswer(error) && !signal.aborted) {
            return await send(signal);
          }
          throw error;
        }
      });
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (typeof value === 'string') {
          headers[name.toLowerCase()] = value;
        }
      }
      return {
        status: response.status,
        headers,
        body: typeof response.data === 'string' ? response.data : '',
        latencyMs: Math.round(performance.now() - started),
        retryAfterMs: parseRetryAfter(headers['retry-after'], Date.now()),
      };
    } catch (error) {
      return {
        status: null,
        error: describeNetworkError(error),
        latencyMs: Math.round(performance.now() - started),
      };
    }
  }
}

/** True when the connection was reset or closed before any answer came back. */
function isClosedBeforeAnswer(error: unknown): boolean {
  if (!axios.isAxiosError(error) || error.response !== undefined) {
    return false;
  }
  const code = (error.cause as { code?: string } | undefined)?.code ?? error.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/** A network failure in words that name no secret. */
export function describeNetworkError(error: unknown): string {
  if (error instanceof RequestDeadlineError) {
    return 'timed out';
  }
  if (error instanceof RefusedDestinationError) {
    return error.message;
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === FORBIDDEN_DESTINATION) {
    return FORBIDDEN_MESSAGE;
  }
  if (axios.isAxiosError(error)) {
    if (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT') {
      return 'timed out';
    }
    if (error.code === 'ERR_BAD_RESPONSE' && /maxContentLength/.test(error.message)) {
      return 'answer too large';
    }
    const causeCode = (error.cause as { code?: string } | undefined)?.code;
    const cause = causeCode ?? error.code;
    if (cause === FORBIDDEN_DESTINATION) {
      return FORBIDDEN_MESSAGE;
    }
    return cause ? `network error ${cause}` : 'network error';
  }
  if (typeof code === 'string') {
    return `network error ${code}`;
  }
  return 'network error';
}
