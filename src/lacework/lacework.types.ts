/** Everything needed to call Lacework for one integration. */
export interface LaceworkConnection {
  integrationId: string;
  /** Normalised origin, e.g. `https://acme.lacework.net` or `http://127.0.0.1:1234`. */
  organizationUrl: string;
  keyId: string;
  secret: string;
  subAccount: string | null;
  requestsPerHour: number;
}

/** The six alert scopes of the default document, in the order they are fetched and assembled. */
export const SCOPE_NAMES = [
  'Details',
  'Investigation',
  'Events',
  'RelatedAlerts',
  'Integrations',
  'Timeline',
] as const;

/** Scopes an integration may add to its documents, after the six, in this order. */
export const EXTRA_SCOPE_NAMES = ['ObservationTimeline'] as const;

export type ExtraScopeName = (typeof EXTRA_SCOPE_NAMES)[number];
export type ScopeName = (typeof SCOPE_NAMES)[number] | ExtraScopeName;

/** The scopes one alert of an integration costs and its document carries: the six, then the extras it opted in to. */
export function scopesFor(extraScopes: readonly string[]): ScopeName[] {
  return [...SCOPE_NAMES, ...EXTRA_SCOPE_NAMES.filter((scope) => extraScopes.includes(scope))];
}

/** One alert as it appears in the alert list. */
export interface ListedAlert {
  /** Decimal string, exactly as Lacework sent the number. */
  alertId: string;
  severity: string;
  status: string;
  alertType: string;
  alertName: string;
  startTime: string;
  endTime: string;
  /** The whole list record as lossless JSON text. */
  recordJson: string;
}

/** One page of the alert list; `pageNumber` starts at 1. */
export interface AlertPage {
  alerts: ListedAlert[];
  pageNumber: number;
}

/**
 * A scope's `data` as lossless JSON text; `empty` when Lacework answered 404 (nothing there); `unsupported` when it
 * answered that this alert does not support the scope. Neither of the last two is a failure of the alert.
 */
export type ScopeResult = { kind: 'data'; dataJson: string } | { kind: 'empty' } | { kind: 'unsupported' };

/** A freshly minted access token. */
export interface LaceworkToken {
  token: string;
  expiresAt: Date;
}

export type CallKind = 'token' | 'list' | 'scope' | 'write';

/**
 * What Lacework answered a close or a comment: `done` (2xx, `answer` is its body, e.g. the new timeline entry) or
 * `refused` (a 4xx other than 401/403/429, `answer` is its message: unknown alert, already closed, bad reason).
 */
export interface WriteBackAnswer {
  outcome: 'done' | 'refused';
  status: number;
  answer: string | null;
}

export type CallOutcome =
  | 'ok'
  | 'not_found'
  | 'rate_limited'
  | 'auth_error'
  | 'server_error'
  | 'network_error'
  | 'timeout'
  | 'client_error'
  | 'budget_wait';

/** Reported once per HTTP attempt, and once per noticeable wait for the request budget. */
export interface CallEvent {
  integrationId: string;
  kind: CallKind;
  outcome: CallOutcome;
  status: number | null;
  durationMs: number;
  at: Date;
}
