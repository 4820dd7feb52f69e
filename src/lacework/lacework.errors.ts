/** Machine-readable reason carried by every error the Lacework client throws. */
export type LaceworkErrorCode =
  | 'invalid_credentials'
  | 'forbidden'
  | 'rate_limited'
  | 'unreachable'
  | 'bad_response'
  | 'bad_request'
  | 'alert_gone';

/** Where a failed call went; never holds query values, headers, the secret or a token. */
export interface LaceworkCallContext {
  method: string;
  path: string;
  status: number | null;
}

function describe(context: LaceworkCallContext | null, reason: string): string {
  if (!context) {
    return `Lacework: ${reason}`;
  }
  const status = context.status === null ? 'no response' : `status ${context.status}`;
  return `Lacework ${context.method} ${context.path} (${status}): ${reason}`;
}

/** Base class of every error thrown by the Lacework client. */
export class LaceworkError extends Error {
  readonly code: LaceworkErrorCode;
  readonly method: string | null;
  readonly path: string | null;
  readonly status: number | null;

  constructor(code: LaceworkErrorCode, reason: string, context: LaceworkCallContext | null = null) {
    super(describe(context, reason));
    this.name = new.target.name;
    this.code = code;
    this.method = context?.method ?? null;
    this.path = context?.path ?? null;
    this.status = context?.status ?? null;
  }
}

/** The key was refused: 401/403 on a token request, or again after one token renewal. */
export class LaceworkAuthError extends LaceworkError {
  declare readonly code: 'invalid_credentials' | 'forbidden';

  constructor(code: 'invalid_credentials' | 'forbidden', reason: string, context: LaceworkCallContext) {
    super(code, reason, context);
  }
}

/** Lacework kept answering 429; nothing should be sent for this integration before `retryAt`. */
export class LaceworkRateLimitedError extends LaceworkError {
  declare readonly code: 'rate_limited';
  readonly retryAt: Date;

  constructor(retryAt: Date, reason: string, context: LaceworkCallContext) {
    super('rate_limited', reason, context);
    this.retryAt = retryAt;
  }
}

/** 5xx, network failure or timeout that outlasted every retry. */
export class LaceworkUnavailableError extends LaceworkError {
  declare readonly code: 'unreachable';

  constructor(reason: string, context: LaceworkCallContext) {
    super('unreachable', reason, context);
  }
}

/** A request Lacework refused (4xx) or an answer that does not have the documented shape. */
export class LaceworkRequestError extends LaceworkError {
  declare readonly code: 'bad_response' | 'bad_request';

  constructor(
    code: 'bad_response' | 'bad_request',
    reason: string,
    context: LaceworkCallContext | null = null,
  ) {
    super(code, reason, context);
  }
}

/** The Details scope answered 404: the alert no longer exists. */
export class LaceworkAlertGoneError extends LaceworkError {
  declare readonly code: 'alert_gone';
  readonly alertId: string;

  constructor(alertId: string, context: LaceworkCallContext) {
    super('alert_gone', `alert ${alertId} no longer exists`, context);
    this.alertId = alertId;
  }
}

/** A `nextPage` link pointed at an origin other than the organization URL; it was not followed. */
export class LaceworkForeignOriginError extends LaceworkRequestError {
  readonly foreignOrigin: string;

  constructor(foreignOrigin: string, context: LaceworkCallContext) {
    super('bad_response', `nextPage points at foreign origin ${foreignOrigin}; not followed`, context);
    this.foreignOrigin = foreignOrigin;
  }
}
