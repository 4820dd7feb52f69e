import { maxAttempts, nextAttemptDelayMs } from './retry-schedule';

/**
 * Where one delivery of one alert version stands.
 * - `pending`: waiting for its next attempt (none made yet, or replayed) or for a paused destination.
 * - `failed`: at least one attempt failed and a retry is scheduled.
 * - `delivered`: the receiver answered 2xx.
 * - `dead`: every attempt of the schedule failed.
 * - `superseded`: a newer version of the same alert was queued while this one was undelivered.
 */
export type DeliveryState = 'pending' | 'failed' | 'delivered' | 'dead' | 'superseded';

/** What one attempt came back with. */
export type AttemptOutcome =
  | { kind: 'success'; status: number }
  | { kind: 'http_error'; status: number; retryAfterMs: number | null }
  | { kind: 'network_error'; message: string }
  | { kind: 'gone' /* 410 */ }
  /** Not taken, for a reason given in words (a batch item's error, a collector's answer code). */
  | { kind: 'failed'; message: string; retryAfterMs: number | null }
  /** The destination will never take it as it is (invalid data, a mapping error, too large). */
  | { kind: 'rejected'; message: string }
  /** Never attempted: an earlier event of its batch stopped the request. */
  | { kind: 'not_sent' }
  /** The destination refused our credentials or configuration and is paused. */
  | { kind: 'paused'; message: string };

/** The part of a delivery the state machine reads. */
export interface DeliveryProgress {
  state: DeliveryState;
  attempts: number;
}

/** A delivery after an attempt, and what the caller must do about its destination. */
export interface AttemptResult extends DeliveryProgress {
  /** When to try again; null when nothing is scheduled (finished, dead, or waiting for the destination). */
  nextAttemptAtMs: number | null;
  /** True when the receiver said the endpoint is gone: stop sending to the destination until resumed. */
  pauseDestination: boolean;
  /** Why the attempt did not deliver; null after a success. */
  lastError: string | null;
}

/** Clock and schedule for {@link applyAttempt}. */
export interface ApplyAttemptOptions {
  nowMs: number;
  /** The delivery's last error so far, kept by outcomes that are not an attempt. */
  lastError?: string | null;
  delaysMs?: readonly number[];
  scale?: number;
  random?: () => number;
}

const TRANSITIONS: Readonly<Record<DeliveryState, readonly DeliveryState[]>> = {
  pending: ['pending', 'failed', 'delivered', 'dead', 'superseded'],
  failed: ['pending', 'failed', 'delivered', 'dead', 'superseded'],
  // Only a replay leaves these two.
  delivered: ['pending'],
  dead: ['pending'],
  superseded: [],
};

/** Whether a delivery may move from `from` to `to`. delivered and dead leave only through a replay to pending. */
export function canTransition(from: DeliveryState, to: DeliveryState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Every state, in the order the API lists them. */
export const DELIVERY_STATES: readonly DeliveryState[] = Object.keys(TRANSITIONS) as DeliveryState[];

/** States that still wait to be sent: the ones an attempt may be made from. */
export const OPEN_STATES: readonly DeliveryState[] = ['pending', 'failed'];

/** The states a delivery may reach `to` from, for the statements that make that move in bulk. */
export function statesThatMayBecome(to: DeliveryState): DeliveryState[] {
  return DELIVERY_STATES.filter((from) => canTransition(from, to));
}

/** Whether a delivery in this state still waits to be sent. */
export function isOpenState(state: DeliveryState): boolean {
  return OPEN_STATES.includes(state);
}

/** Turns an HTTP status (and its `Retry-After`, already in milliseconds) into an attempt outcome. */
export function outcomeFromStatus(status: number, retryAfterMs: number | null = null): AttemptOutcome {
  if (status >= 200 && status <= 299) {
    return { kind: 'success', status };
  }
  if (status === 410) {
    return { kind: 'gone' };
  }
  return { kind: 'http_error', status, retryAfterMs };
}

/**
 * Applies the outcome of one attempt to a pending or failed delivery.
 *
 * - success (2xx): `delivered`; the attempt is counted.
 * - http_error (any other status but 410) or network_error: the attempt is counted; `failed` with the next attempt
 *   scheduled from the retry schedule (honouring `Retry-After`), or `dead` once the schedule's last attempt failed.
 * - gone (410): the receiver retired the endpoint, so the destination is to be paused. The attempt is NOT
 *   counted, the delivery goes back to `pending` with nothing scheduled, and it resumes with its remaining
 *   attempts when the destination is resumed.
 *
 * - failed: like an HTTP error, with the reason in words.
 * - rejected: the attempt is counted and the delivery is `dead` at once with the reason (replayable by hand).
 * - not_sent: nothing was attempted; state and attempts stay, and it is due again now.
 * - paused: like gone, for a destination that refused our credentials or configuration.
 *
 * @throws Error when the delivery is not pending or failed, or an outcome's status contradicts its kind.
 */
export function applyAttempt(
  current: DeliveryProgress,
  outcome: AttemptOutcome,
  opts: ApplyAttemptOptions,
): AttemptResult {
  if (!isOpenState(current.state)) {
    throw new Error(`cannot apply an attempt to a ${current.state} delivery`);
  }
  const limit = maxAttempts(opts.delaysMs);
  if (!Number.isInteger(current.attempts) || current.attempts < 0 || current.attempts >= limit) {
    throw new Error(`a delivery with ${current.attempts} attempts cannot make another (limit ${limit})`);
  }
  switch (outcome.kind) {
    case 'success':
      if (outcome.status < 200 || outcome.status > 299) {
        throw new Error(`a success outcome needs a 2xx status, got ${outcome.status}`);
      }
      return {
        state: 'delivered',
        attempts: current.attempts + 1,
        nextAttemptAtMs: null,
        pauseDestination: false,
        lastError: null,
      };
    case 'gone':
      return {
        state: 'pending',
        attempts: current.attempts,
        nextAttemptAtMs: null,
        pauseDestination: true,
        lastError: 'HTTP 410 Gone: destination paused',
      };
    case 'http_error':
      if (outcome.status === 410 || (outcome.status >= 200 && outcome.status <= 299)) {
        throw new Error(`an http_error outcome cannot carry status ${outcome.status}`);
      }
      return failure(current.attempts + 1, `HTTP ${outcome.status}`, outcome.retryAfterMs, opts);
    case 'network_error':
      return failure(current.attempts + 1, `network error: ${outcome.message}`, null, opts);
    case 'failed':
      return failure(current.attempts + 1, outcome.message, outcome.retryAfterMs, opts);
    case 'rejected':
      return {
        state: 'dead',
        attempts: current.attempts + 1,
        nextAttemptAtMs: null,
        pauseDestination: false,
        lastError: outcome.message,
      };
    case 'not_sent':
      return {
        state: current.state,
        attempts: current.attempts,
        nextAttemptAtMs: opts.nowMs,
        pauseDestination: false,
        lastError: opts.lastError ?? null,
      };
    case 'paused':
      return {
        state: current.state,
        attempts: current.attempts,
        nextAttemptAtMs: null,
        pauseDestination: true,
        lastError: outcome.message,
      };
  }
}

/**
 * Supersedes an undelivered delivery because a newer version of its alert was queued.
 * @throws Error unless the delivery is pending or failed.
 */
export function supersede(current: DeliveryProgress): DeliveryProgress {
  if (!canTransition(current.state, 'superseded')) {
    throw new Error(`cannot supersede a ${current.state} delivery`);
  }
  return { state: 'superseded', attempts: current.attempts };
}

/**
 * Queues a delivered or dead delivery again with a fresh schedule.
 * @throws Error unless the delivery is delivered or dead.
 */
export function replay(current: DeliveryProgress): DeliveryProgress {
  if (current.state !== 'delivered' && current.state !== 'dead') {
    throw new Error(`cannot replay a ${current.state} delivery`);
  }
  return { state: 'pending', attempts: 0 };
}

/**
 * Queues a delivery again now, by hand: an open one keeps its state and attempts (only its wait ends), a delivered or
 * dead one is replayed with a fresh schedule.
 * @throws Error for a superseded delivery: a newer version replaced it.
 */
export function requeue(current: DeliveryProgress): DeliveryProgress {
  if (isOpenState(current.state)) {
    return { state: current.state, attempts: current.attempts };
  }
  return replay(current);
}

function failure(
  attempts: number,
  lastError: string,
  retryAfterMs: number | null,
  opts: ApplyAttemptOptions,
): AttemptResult {
  const delay = nextAttemptDelayMs(attempts, {
    delaysMs: opts.delaysMs,
    scale: opts.scale,
    random: opts.random,
    retryAfterMs,
  });
  return {
    state: delay === null ? 'dead' : 'failed',
    attempts,
    nextAttemptAtMs: delay === null ? null : opts.nowMs + delay,
    pauseDestination: false,
    lastError,
  };
}
