/**
 * Request-by-request pacing of one API key: a GCRA (a token bucket kept as one timestamp) at a learned rate with a
 * small burst, and AIMD on that rate: a 429 halves it, every quiet interval without one adds a small step, up to the
 * configured rate. Pure functions of the stored state and the time, so every replica computes the same answer.
 * Rates are requests per budget window (per hour in production).
 */

/** What is stored per key. Times are epoch milliseconds. */
export interface KeyPacingState {
  /** GCRA's theoretical arrival time: when the next request would be exactly on schedule. */
  nextAtMs: number;
  learnedPerWindow: number;
  /** Quiet intervals are counted from here; moved on when the rate changes or a step is taken. */
  adjustedAtMs: number;
  /** The last multiplicative decrease, if any. */
  decreasedAtMs: number | null;
  /** No request before this (the last 429's RateLimit-Reset / Retry-After). */
  blockedUntilMs: number;
}

export interface PacingSettings {
  /** The budget window; one hour in production. */
  windowMs: number;
  /** Requests that may start back to back after a quiet spell (LACEWORK_BUDGET_BURST). */
  burst: number;
}

export type PacingDecision = { granted: true; state: KeyPacingState } | { granted: false; waitMs: number };

/** A quiet interval is this share of the window: one minute in production. */
const QUIET_INTERVALS_PER_WINDOW = 60;
/** The additive step per quiet interval, as a share of the configured rate: half to full in 100 minutes. */
const INCREASE_STEP_SHARE = 0.005;
const DECREASE_FACTOR = 0.5;
const MIN_RATE = 1;

/** A fresh key: the configured rate, its burst available at once. */
export function initialPacingState(capPerWindow: number, nowMs: number): KeyPacingState {
  return {
    nextAtMs: nowMs,
    learnedPerWindow: capPerWindow,
    adjustedAtMs: nowMs,
    decreasedAtMs: null,
    blockedUntilMs: 0,
  };
}

/** The learned rate at `nowMs`, the quiet intervals since it was stored counted in, never above the cap. */
export function currentRate(
  state: KeyPacingState,
  capPerWindow: number,
  settings: PacingSettings,
  nowMs: number,
): number {
  return climb(state, capPerWindow, settings, nowMs).rate;
}

/** Grants one request now, or says how long to wait before asking again. */
export function takeRequest(
  state: KeyPacingState,
  capPerWindow: number,
  settings: PacingSettings,
  nowMs: number,
): PacingDecision {
  const batch = takeRequests(state, capPerWindow, settings, nowMs, 1, 0);
  return batch.startsAtMs.length === 1
    ? { granted: true, state: batch.state }
    : { granted: false, waitMs: batch.waitMs };
}

/** Requests granted at once: when each may start, the state after them, or how long to wait when none is. */
export interface PacingBatch {
  startsAtMs: number[];
  state: KeyPacingState;
  waitMs: number;
}

/**
 * Grants up to `max` requests whose paced start falls within `lookaheadMs` of now, each with its own start time, so
 * a high rate is not limited by one database round trip per request while starts stay evenly spaced.
 */
export function takeRequests(
  state: KeyPacingState,
  capPerWindow: number,
  settings: PacingSettings,
  nowMs: number,
  max: number,
  lookaheadMs: number,
): PacingBatch {
  const { rate, adjustedAtMs } = climb(state, capPerWindow, settings, nowMs);
  const interval = intervalMs(rate, settings);
  const tolerance = (effectiveBurst(rate, settings) - 1) * interval;
  const startsAtMs: number[] = [];
  let nextAtMs = state.nextAtMs;
  let earliest = Math.max(nowMs, state.blockedUntilMs, nextAtMs - tolerance);
  while (startsAtMs.length < max && earliest <= nowMs + lookaheadMs) {
    startsAtMs.push(earliest);
    nextAtMs = Math.max(nextAtMs, earliest) + interval;
    earliest = Math.max(nowMs, state.blockedUntilMs, nextAtMs - tolerance);
  }
  if (startsAtMs.length === 0) {
    return { startsAtMs, state, waitMs: Math.max(1, Math.ceil(earliest - nowMs - lookaheadMs)) };
  }
  return { startsAtMs, state: { ...state, nextAtMs, learnedPerWindow: rate, adjustedAtMs }, waitMs: 0 };
}

/**
 * After a 429 answered at `nowMs`: blocks the key until `untilMs` and halves its rate, once per episode (429s that
 * arrive while a block is active or within a quiet interval of the last decrease answer requests sent before it).
 * After the block, one request may start, then the halved rate applies: no burst into a limiter just emptied.
 */
export function afterRateLimit(
  state: KeyPacingState,
  capPerWindow: number,
  settings: PacingSettings,
  nowMs: number,
  untilMs: number,
): KeyPacingState {
  const climbed = climb(state, capPerWindow, settings, nowMs);
  const sameEpisode =
    state.blockedUntilMs > nowMs ||
    (state.decreasedAtMs !== null && nowMs - state.decreasedAtMs < quietIntervalMs(settings));
  const rate = sameEpisode ? climbed.rate : Math.max(MIN_RATE, climbed.rate * DECREASE_FACTOR);
  const blockedUntilMs = Math.max(state.blockedUntilMs, untilMs, nowMs);
  const interval = intervalMs(rate, settings);
  return {
    nextAtMs: Math.max(state.nextAtMs, blockedUntilMs + (effectiveBurst(rate, settings) - 1) * interval),
    learnedPerWindow: rate,
    adjustedAtMs: sameEpisode ? climbed.adjustedAtMs : nowMs,
    decreasedAtMs: sameEpisode ? state.decreasedAtMs : nowMs,
    blockedUntilMs,
  };
}

/** How many requests the key can start between now and `nowMs + horizonMs` at its current rate. */
export function startableWithin(
  state: KeyPacingState,
  capPerWindow: number,
  settings: PacingSettings,
  nowMs: number,
  horizonMs: number,
): number {
  const rate = currentRate(state, capPerWindow, settings, nowMs);
  const interval = intervalMs(rate, settings);
  const first = Math.max(state.nextAtMs, state.blockedUntilMs, nowMs);
  const last = nowMs + horizonMs + (effectiveBurst(rate, settings) - 1) * interval;
  return first > last ? 0 : Math.floor((last - first) / interval) + 1;
}

/**
 * Time between paced requests. The burst and a 1% margin come off the rate, so that even a burst at the start of
 * a window plus steady pacing stays within the rate counted over any rolling window.
 */
export function intervalMs(ratePerWindow: number, settings: PacingSettings): number {
  const margin = effectiveBurst(ratePerWindow, settings) + Math.ceil(ratePerWindow / 100);
  return settings.windowMs / Math.max(MIN_RATE, ratePerWindow - margin);
}

/** The configured burst, but never more than 5% of the rate, so a small budget is not spent in one go. */
function effectiveBurst(ratePerWindow: number, settings: PacingSettings): number {
  return Math.max(1, Math.min(settings.burst, Math.floor(ratePerWindow / 20)));
}

function quietIntervalMs(settings: PacingSettings): number {
  return settings.windowMs / QUIET_INTERVALS_PER_WINDOW;
}

/** Additive increase: one step of the cap per quiet interval since the last adjustment. */
function climb(
  state: KeyPacingState,
  capPerWindow: number,
  settings: PacingSettings,
  nowMs: number,
): { rate: number; adjustedAtMs: number } {
  if (state.learnedPerWindow >= capPerWindow) {
    return { rate: capPerWindow, adjustedAtMs: nowMs };
  }
  const quiet = quietIntervalMs(settings);
  const steps = Math.max(0, Math.floor((nowMs - state.adjustedAtMs) / quiet));
  const rate = Math.min(capPerWindow, state.learnedPerWindow + steps * INCREASE_STEP_SHARE * capPerWindow);
  return { rate, adjustedAtMs: rate >= capPerWindow ? nowMs : state.adjustedAtMs + steps * quiet };
}

/** A key's rate as figures show it: the stored one climbed to now; the cap before the key's first request. */
export function learnedRateNow(
  stored: { learnedPerWindow: number | null; adjustedAtMs: number | null },
  capPerWindow: number,
  settings: PacingSettings,
  nowMs: number,
): number {
  if (stored.learnedPerWindow === null || stored.adjustedAtMs === null) {
    return capPerWindow;
  }
  const state: KeyPacingState = {
    nextAtMs: nowMs,
    learnedPerWindow: stored.learnedPerWindow,
    adjustedAtMs: stored.adjustedAtMs,
    decreasedAtMs: null,
    blockedUntilMs: 0,
  };
  return currentRate(state, capPerWindow, settings, nowMs);
}
