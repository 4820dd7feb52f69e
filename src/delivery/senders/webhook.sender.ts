import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { DestinationHttp } from './destination-http';
import {
  BatchAnswer,
  DestinationSender,
  EventOutcome,
  OpenedDestination,
  OutgoingEvent,
} from './destination-sender';
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

/** A signed webhook (Standard Webhooks headers): one POST per alert version, any 2xx is success, 410 retires it. */
@Injectable()
export class WebhookSender implements DestinationSender {
  readonly kind = 'webhook' as const;
  private readonly http: DestinationHttp;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.http = new DestinationHttp(config);
  }

  /**
   * Sends one attempt within `DELIVERY_TIMEOUT_MS`, connect to last byte. Never throws: network errors, refused
   * addresses and timeouts come back as `error`.
   */
  async send(request: WebhookRequest, nowMs = Date.now()): Promise<WebhookAnswer> {
    const timestamp = Math.floor(nowMs / 1000);
    const answer = await this.http.request(request.url, request.body, {
      headers: {
        ...request.headers,
        ...webhookHeaders(request.webhookId, timestamp, request.body, request.secrets),
        'content-type': 'application/json',
      },
      maxResponseBytes: 64 * 1024,
    });
    if (answer.status === null) {
      return { status: null, latencyMs: answer.latencyMs, retryAfterMs: null, error: answer.error };
    }
    return {
      status: answer.status,
      latencyMs: answer.latencyMs,
      retryAfterMs: answer.retryAfterMs,
      error: answer.status >= 200 && answer.status < 300 ? null : `HTTP ${answer.status}`,
    };
  }

  /** A webhook carries one event per request: the worker gives it batches of one. */
  async sendBatch(destination: OpenedDestination, events: readonly OutgoingEvent[]): Promise<BatchAnswer> {
    const outcomes: EventOutcome[] = [];
    let status: number | null = null;
    let latencyMs = 0;
    for (const event of events) {
      const headers: Record<string, string> = { ...destination.headers };
      if (!event.test) {
        headers['x-lacework-alert-id'] = event.alertId;
        headers['x-alert-version'] = String(event.version);
        headers['x-integration-id'] = event.integrationId;
        if (event.consoleUrl !== null) {
          headers['x-lacework-console-url'] = event.consoleUrl;
        }
      }
      const answer = await this.send({
        url: destination.url,
        webhookId: event.webhookId,
        body: event.body,
        secrets: destination.secrets,
        headers,
      });
      status = answer.status;
      latencyMs += answer.latencyMs;
      if (answer.status === 410) {
        const reason = 'gone: the destination answered 410 Gone; resume it by hand';
        return {
          status,
          latencyMs,
          outcomes: events.map((e, i) => outcomes[i] ?? { kind: 'not_sent' }),
          pause: { reason, gone: true },
          summary: 'the receiver answered 410 Gone: the endpoint is retired',
        };
      }
      outcomes.push(
        answer.error === null
          ? { kind: 'delivered' }
          : {
              kind: 'retry',
              error: answer.status === null ? `network error: ${answer.error}` : answer.error,
              retryAfterMs: answer.retryAfterMs,
            },
      );
    }
    const last = outcomes[outcomes.length - 1];
    return {
      status,
      latencyMs,
      outcomes,
      pause: null,
      summary:
        last === undefined
          ? 'nothing sent'
          : last.kind === 'delivered'
            ? `the receiver accepted it (HTTP ${status})`
            : status === null
              ? `no answer: ${(last as { error: string }).error}`
              : `the receiver answered HTTP ${status}`,
    };
  }
}
