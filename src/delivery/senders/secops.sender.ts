import { Inject, Injectable } from '@nestjs/common';
import { InvalidInputError } from '../../common/domain.errors';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { DestinationHttp, HttpAnswer } from './destination-http';
import {
  BatchAnswer,
  DestinationSender,
  OpenedDestination,
  OutgoingEvent,
  pausedAnswer,
} from './destination-sender';
import { SECOPS_MAX_REQUEST_BYTES, SECOPS_SETTINGS } from './secops.settings';
import { CallResult, CallVerdict, safeText, sendBatchInCalls } from './batch-calls';

const SERVICE = 'Google SecOps';

interface SecOpsTarget {
  url: string;
  apiKey: string;
  secret: string;
}

/**
 * Google SecOps (Chronicle) webhook feed: the events' bodies, newline-separated, POSTed to the feed's importPushLogs
 * endpoint with the API key and the feed secret in headers, never above 4 MB per request.
 */
@Injectable()
export class SecOpsSender implements DestinationSender {
  readonly kind = 'secops' as const;
  private readonly http: DestinationHttp;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.http = new DestinationHttp(config);
  }

  async sendBatch(destination: OpenedDestination, events: readonly OutgoingEvent[]): Promise<BatchAnswer> {
    let target: SecOpsTarget;
    try {
      const url = SECOPS_SETTINGS.checkUrl(destination.url);
      const { credentials } = SECOPS_SETTINGS.parse({ ...destination.settings, ...destination.credentials });
      target = { url, apiKey: credentials.apiKey, secret: credentials.secret };
    } catch (error) {
      const reason =
        error instanceof InvalidInputError
          ? `the destination's settings are not valid: ${error.message}`
          : "the destination's settings are not valid";
      return pausedAnswer(events, null, 0, reason);
    }
    return sendBatchInCalls(events, {
      service: SERVICE,
      maxCallBytes: SECOPS_MAX_REQUEST_BYTES,
      openBytes: 0,
      closeBytes: 0,
      separatorBytes: 1,
      partBytes: events.map((event) => Buffer.byteLength(event.body, 'utf8')),
      tooLargeError: (bytes) => `the event is ${bytes} bytes, above ${SERVICE}'s 4 MB per request`,
      send: (indices) => this.push(target, indices.map((i) => events[i].body).join('\n')),
    });
  }

  private async push(target: SecOpsTarget, body: string): Promise<CallResult> {
    const answer = await this.http.request(target.url, body, {
      headers: {
        'x-goog-api-key': target.apiKey,
        'x-webhook-access-key': target.secret,
        'content-type': 'application/json',
      },
      maxResponseBytes: 64 * 1024,
    });
    return { status: answer.status, latencyMs: answer.latencyMs, verdict: pushVerdict(target, answer) };
  }
}

/** A Google API error in words: `INVALID_ARGUMENT: <message>`, plus the ErrorInfo reason when there is one. */
function googleError(answer: Extract<HttpAnswer, { status: number }>, secrets: readonly string[]): string {
  let json: unknown;
  try {
    json = JSON.parse(answer.body) as unknown;
  } catch {
    return safeText(answer.body, secrets, 200);
  }
  const error = (json as { error?: { status?: unknown; message?: unknown } } | null)?.error;
  const words = [
    typeof error?.status === 'string' ? error.status : '',
    typeof error?.message === 'string' ? error.message : '',
  ]
    .filter((part) => part !== '')
    .join(': ');
  return safeText(words === '' ? answer.body : words, secrets, 300);
}

/** The ErrorInfo reasons of a Google error (e.g. API_KEY_INVALID). */
function errorReasons(body: string): string[] {
  try {
    const details = (JSON.parse(body) as { error?: { details?: unknown } } | null)?.error?.details;
    return Array.isArray(details)
      ? details
          .map((detail) => (detail as { reason?: unknown } | null)?.reason)
          .filter((reason): reason is string => typeof reason === 'string')
      : [];
  } catch {
    return [];
  }
}

function pushVerdict(target: SecOpsTarget, answer: HttpAnswer): CallVerdict {
  if (answer.status === null) {
    return { kind: 'retry', error: `no answer: ${answer.error}`, retryAfterMs: null };
  }
  const status = answer.status;
  if (status >= 200 && status < 300) {
    return { kind: 'delivered' };
  }
  const words = googleError(answer, [target.apiKey, target.secret]);
  const said = words === '' ? '' : `: ${words}`;
  const credentialsRefused = `${SERVICE} refused the API key or the feed secret${said} (HTTP ${status})`;
  switch (status) {
    case 400:
      // Google answers an API key it does not know with 400 INVALID_ARGUMENT, reason API_KEY_INVALID.
      if (errorReasons(answer.body).some((reason) => reason.startsWith('API_KEY'))) {
        return { kind: 'pause', reason: credentialsRefused };
      }
      return { kind: 'refused', error: `${SERVICE} refused the data${said} (HTTP 400)` };
    case 401:
    case 403:
      return { kind: 'pause', reason: credentialsRefused };
    case 404:
      return { kind: 'pause', reason: `${SERVICE} has no such feed at this URL${said} (HTTP 404)` };
    case 413:
      return { kind: 'too_large', error: `${SERVICE} refused the request as too large${said} (HTTP 413)` };
    default:
      return {
        kind: 'retry',
        error: `${SERVICE} answered HTTP ${status}${said}`,
        retryAfterMs: answer.retryAfterMs,
      };
  }
}
