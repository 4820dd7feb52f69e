import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { Inject, Injectable } from '@nestjs/common';
import axios, { AxiosInstance } from 'axios';
import { parseIpLiteral } from '../common/net/ip-policy';
import { RequestDeadlineError, withRequestDeadline } from '../common/net/request-deadline';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { isForbiddenDestinationAddress, validateDestinationUrl } from './destination-url';
import { parseRetryAfter } from './retry-schedule';
import { webhookHeaders } from './webhook-signature';

export interface WebhookRequest {
  url: string;
  webhookId: string;
  /** Sent exactly as given: the same bytes on every attempt. */
  body: string;
  /** Current signing secret first, then a rotated one still valid. */
  secrets: readonly string[];
  headers: Record<string, string>;
}

export interface WebhookAnswer {
  status: number | null;
  latencyMs: number;
  retryAfterMs: number | null;
  error: string | null;
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

/**
 * Applies today's destination URL policy to the stored URL before any connection (a row written by hand is not
 * trusted). Node calls the lookup hook only for names, so this is also where an IP-literal host is checked.
 */
function assertDestinationAllowed(url: string): void {
  const verdict = validateDestinationUrl(url);
  if (!verdict.ok) {
    throw new RefusedDestinationError(verdict.reason);
  }
  const host = new URL(url).hostname;
  if (parseIpLiteral(host) !== null && isForbiddenDestinationAddress(host)) {
    throw forbiddenDestinationError(host);
  }
}

class RefusedDestinationError extends Error {
  constructor(readonly reason: string) {
    super(`destination URL refused: ${reason}`);
  }
}

/** Resolves like dns.lookup but refuses link-local and metadata addresses, whatever name led there. */
function destinationLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
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

/** The only code that calls the downstream pipeline: one signed POST per attempt, no redirects, bounded time. */
@Injectable()
export class WebhookSender {
  private readonly http: AxiosInstance;
  private readonly timeoutMs: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const agentOptions = { keepAlive: true, maxSockets: 64, lookup: destinationLookup as never };
    this.timeoutMs = config.deliveryTimeoutMs;
    this.http = axios.create({
      maxRedirects: 0,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      maxContentLength: 64 * 1024,
      proxy: false,
      httpAgent: new http.Agent(agentOptions),
      httpsAgent: new https.Agent(agentOptions),
    });
  }

  /**
   * Sends one attempt within `DELIVERY_TIMEOUT_MS`, connect to last byte. Never throws: network errors, refused
   * addresses and timeouts come back as `error`.
   */
  async send(request: WebhookRequest, nowMs = Date.now()): Promise<WebhookAnswer> {
    const timestamp = Math.floor(nowMs / 1000);
    const started = performance.now();
    try {
      assertDestinationAllowed(request.url);
      const response = await withRequestDeadline(this.timeoutMs, (signal) =>
        this.http.post<string>(request.url, Buffer.from(request.body, 'utf8'), {
          headers: {
            ...request.headers,
            ...webhookHeaders(request.webhookId, timestamp, request.body, request.secrets),
            'content-type': 'application/json',
            'user-agent': 'lacework-connector',
          },
          signal,
        }),
      );
      const latencyMs = Math.round(performance.now() - started);
      const retryAfter = response.headers['retry-after'] as string | undefined;
      return {
        status: response.status,
        latencyMs,
        retryAfterMs: parseRetryAfter(retryAfter, Date.now()),
        error: response.status >= 200 && response.status < 300 ? null : `HTTP ${response.status}`,
      };
    } catch (error) {
      const latencyMs = Math.round(performance.now() - started);
      return { status: null, latencyMs, retryAfterMs: null, error: describeNetworkError(error) };
    }
  }
}

function describeNetworkError(error: unknown): string {
  if (error instanceof RequestDeadlineError) {
    return 'timed out';
  }
  if (error instanceof RefusedDestinationError) {
    return error.message;
  }
  if ((error as { code?: unknown } | null)?.code === FORBIDDEN_DESTINATION) {
    return FORBIDDEN_MESSAGE;
  }
  if (axios.isAxiosError(error)) {
    if (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT') {
      return 'timed out';
    }
    const causeCode = (error.cause as { code?: string } | undefined)?.code;
    const cause = causeCode ?? error.code;
    if (cause === FORBIDDEN_DESTINATION) {
      return FORBIDDEN_MESSAGE;
    }
    return cause ? `network error ${cause}` : 'network error';
  }
  return 'network error';
}
