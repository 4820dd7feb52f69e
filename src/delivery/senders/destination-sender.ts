/** What every destination kind's sender has in common: the events it is given and the answer it gives back. */

/** Where a destination sends: each kind is one sender in `senders/<kind>.sender.ts`. */
export const DESTINATION_KINDS = [
  'webhook',
  'splunk_hec',
  'elasticsearch',
  'sentinel',
  'secops',
  'syslog',
] as const;
export type DestinationKind = (typeof DESTINATION_KINDS)[number];

/** What a destination receives: the assembled document byte for byte, or its OCSF Detection Finding rendering. */
export const DESTINATION_FORMATS = ['document', 'ocsf'] as const;
export type DestinationFormat = (typeof DESTINATION_FORMATS)[number];

/** How many events one request may carry. */
export interface BatchLimits {
  maxEvents: number;
  maxBytes: number;
}

/** A destination opened in memory for sending: its settings validated, its credentials unsealed. */
export interface OpenedDestination {
  id: string;
  name: string;
  kind: DestinationKind;
  format: DestinationFormat;
  /** The collector, cluster, endpoint or feed URL; for syslog `tls://host:port`. */
  url: string;
  /** The kind's non-secret settings, as its settings spec validated them. */
  settings: Record<string, unknown>;
  /** The kind's write-only values (tokens, keys, passwords), opened. */
  credentials: Record<string, string>;
  /** Webhook only: current signing secret first, then a rotated one still valid. */
  secrets: string[];
  /** Webhook only: static headers sent with every request. */
  headers: Record<string, string>;
  batch: BatchLimits;
}

/** One alert version to send, already rendered in the destination's format. */
export interface OutgoingEvent {
  deliveryId: string;
  /** Stable per alert version (the webhook-id). */
  webhookId: string;
  integrationId: string;
  alertId: string;
  version: number;
  /** Lacework's word: Critical, High, Medium, Low or Info. */
  severity: string;
  /** The alert's own time (its startTime), epoch milliseconds. */
  timeMs: number;
  /** The rendering: one JSON object on one line (no raw CR or LF), sent byte for byte. */
  body: string;
  /** The alert in the Lacework console, when known. */
  consoleUrl: string | null;
  /** True for the `test` endpoint's event, which is not an alert. */
  test?: boolean;
}

/** What became of one event of a batch. */
export type EventOutcome =
  /** The destination took it. */
  | { kind: 'delivered' }
  /** Not taken this time; an attempt is counted and it is retried on the schedule (honouring Retry-After). */
  | { kind: 'retry'; error: string; retryAfterMs?: number | null }
  /** The destination will never take this event as it is: dead with the reason, replayable by hand. */
  | { kind: 'rejected'; error: string }
  /** Never attempted (an earlier event of the batch stopped it): due again now, no attempt counted. */
  | { kind: 'not_sent' };

/** The answer to one batch. */
export interface BatchAnswer {
  /** HTTP status of the last request made (null when none was answered, and for syslog). */
  status: number | null;
  latencyMs: number;
  /** One per event, in the order given. */
  outcomes: EventOutcome[];
  /**
   * The destination refused the credentials or the configuration (or retired the endpoint): it is paused with this
   * reason until an operator resumes it or changes its settings. Events then carry `not_sent`.
   */
  pause: { reason: string; gone?: boolean } | null;
  /** The answer in words, for the `test` endpoint and the last error shown on the destination. */
  summary: string;
}

/** One destination kind's sender. Never throws: every failure is an outcome. */
export interface DestinationSender {
  readonly kind: DestinationKind;
  sendBatch(destination: OpenedDestination, events: readonly OutgoingEvent[]): Promise<BatchAnswer>;
}

/** Every event got the same outcome. */
export function allEvents(events: readonly OutgoingEvent[], outcome: EventOutcome): EventOutcome[] {
  return events.map(() => outcome);
}

/** An answer that pauses the destination; nothing was counted against the events. */
export function pausedAnswer(
  events: readonly OutgoingEvent[],
  status: number | null,
  latencyMs: number,
  reason: string,
): BatchAnswer {
  return {
    status,
    latencyMs,
    outcomes: allEvents(events, { kind: 'not_sent' }),
    pause: { reason },
    summary: reason,
  };
}
