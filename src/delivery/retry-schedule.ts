const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Waits after the 1st, 2nd, ... failed attempt; the first attempt goes out at once, so 8 attempts in all. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = Object.freeze([
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  10 * HOUR,
]);

/** Share of a scheduled delay that jitter may add or remove. */
export const RETRY_JITTER = 0.2;

/** No `Retry-After` stretches a single wait beyond this. */
export const MAX_RETRY_AFTER_MS = 24 * HOUR;

/** How a retry schedule is tuned. */
export interface RetryScheduleOptions {
  /** Waits after each failed attempt; defaults to {@link DEFAULT_RETRY_DELAYS_MS}. */
  delaysMs?: readonly number[];
  /** Multiplies every scheduled delay; tests use e.g. 0.001. */
  scale?: number;
  /** Uniform source in [0, 1) for jitter; defaults to `Math.random`. */
  random?: () => number;
  /** What the receiver asked for in `Retry-After`, in milliseconds. */
  retryAfterMs?: number | null;
}

/** Integer bounds, in milliseconds, within which a jittered delay falls. */
export interface DelayBounds {
  minMs: number;
  maxMs: number;
}

/** Attempts a delivery gets under a schedule: the first one plus one per delay. */
export function maxAttempts(delaysMs: readonly number[] = DEFAULT_RETRY_DELAYS_MS): number {
  return delaysMs.length + 1;
}

/**
 * Bounds of the wait after `failedAttempts` failures, without `Retry-After`: the scheduled delay d (after `scale`)
 * ±20%, rounded inwards to whole milliseconds, so within [0.8d, 1.2d] whenever d is at least 2.5 ms.
 * Returns null when the schedule is exhausted, and {0, 0} before the first attempt.
 */
export function delayBoundsMs(
  failedAttempts: number,
  opts: Pick<RetryScheduleOptions, 'delaysMs' | 'scale'> = {},
): DelayBounds | null {
  const delaysMs = opts.delaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const scale = opts.scale ?? 1;
  if (!Number.isInteger(failedAttempts) || failedAttempts < 0) {
    throw new RangeError(`failed attempts must be a non-negative integer, got ${failedAttempts}`);
  }
  if (!Number.isFinite(scale) || scale <= 0) {
    throw new RangeError(`retry scale must be a positive number, got ${scale}`);
  }
  if (failedAttempts === 0) {
    return { minMs: 0, maxMs: 0 };
  }
  if (failedAttempts > delaysMs.length) {
    return null;
  }
  const scheduled = delaysMs[failedAttempts - 1] * scale;
  if (!Number.isFinite(scheduled) || scheduled < 0) {
    throw new RangeError(
      `retry delays must be non-negative finite numbers, got ${delaysMs[failedAttempts - 1]}`,
    );
  }
  const minMs = Math.ceil(scheduled * (1 - RETRY_JITTER));
  // Below 2.5 ms the ±20% band holds no whole millisecond; fall back to its lower edge rounded up.
  const maxMs = Math.max(minMs, Math.floor(scheduled * (1 + RETRY_JITTER)));
  return { minMs, maxMs };
}

/**
 * How long to wait before the next attempt, given how many attempts have failed so far.
 *
 * - 0 failed attempts: 0 (the first attempt goes out at once).
 * - n failed attempts: the n-th scheduled delay with ±20% jitter, in whole milliseconds.
 * - More failures than delays: null, the delivery is dead.
 *
 * A `Retry-After` longer than the jittered delay is honoured, capped at twice the jitter's upper bound and at 24 h;
 * a shorter one never brings the next attempt forward.
 */
export function nextAttemptDelayMs(failedAttempts: number, opts: RetryScheduleOptions = {}): number | null {
  const bounds = delayBoundsMs(failedAttempts, opts);
  if (bounds === null) {
    return null;
  }
  if (failedAttempts === 0) {
    return 0;
  }
  const random = opts.random ?? Math.random;
  const r = Math.min(Math.max(random(), 0), 1);
  const jittered = Math.min(bounds.maxMs, bounds.minMs + Math.floor(r * (bounds.maxMs - bounds.minMs + 1)));
  const retryAfterMs = opts.retryAfterMs;
  if (retryAfterMs === null || retryAfterMs === undefined || !(retryAfterMs > jittered)) {
    return jittered;
  }
  const cap = Math.min(2 * bounds.maxMs, MAX_RETRY_AFTER_MS);
  return Math.max(jittered, Math.min(Math.ceil(retryAfterMs), cap));
}

const DELAY_SECONDS = /^\d+$/;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
// RFC 9110 5.6.7: IMF-fixdate, then the obsolete RFC 850 and asctime forms a recipient must still accept.
const IMF_FIXDATE = /^[a-z]{3}, (\d{2}) ([a-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) gmt$/i;
const RFC850_DATE = /^[a-z]{6,9}, (\d{2})-([a-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) gmt$/i;
const ASCTIME_DATE = /^[a-z]{3} ([a-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/i;

/**
 * Reads a `Retry-After` header as milliseconds from `nowMs`: either delay-seconds or an HTTP date.
 * A date in the past gives 0; a missing or unreadable value gives null.
 */
export function parseRetryAfter(header: string | undefined, nowMs: number): number | null {
  if (header === undefined) {
    return null;
  }
  const value = header.trim();
  if (DELAY_SECONDS.test(value)) {
    const ms = Number(value) * SECOND;
    return Number.isFinite(ms) ? ms : null;
  }
  const at = parseHttpDate(value, nowMs);
  return at === null ? null : Math.max(0, at - nowMs);
}

function parseHttpDate(value: string, nowMs: number): number | null {
  let match = IMF_FIXDATE.exec(value);
  if (match) {
    return utc(Number(match[3]), match[2], Number(match[1]), match[4], match[5], match[6]);
  }
  match = RFC850_DATE.exec(value);
  if (match) {
    return utc(fullYear(Number(match[3]), nowMs), match[2], Number(match[1]), match[4], match[5], match[6]);
  }
  match = ASCTIME_DATE.exec(value);
  if (match) {
    return utc(Number(match[6]), match[1], Number(match[2].trim()), match[3], match[4], match[5]);
  }
  return null;
}

// RFC 9110: a two-digit year more than 50 years in the future means the most recent past year with those digits.
function fullYear(twoDigits: number, nowMs: number): number {
  const currentYear = new Date(nowMs).getUTCFullYear();
  let year = Math.floor(currentYear / 100) * 100 + twoDigits;
  if (year > currentYear + 50) {
    year -= 100;
  }
  return year;
}

function utc(
  year: number,
  monthName: string,
  day: number,
  hh: string,
  mm: string,
  ss: string,
): number | null {
  const month = MONTHS.indexOf(monthName.toLowerCase());
  const [hours, minutes, seconds] = [Number(hh), Number(mm), Number(ss)];
  if (month < 0 || day < 1 || day > 31 || hours > 23 || minutes > 59 || seconds > 60) {
    return null;
  }
  const ms = Date.UTC(year, month, day, hours, minutes, Math.min(seconds, 59));
  // Date.UTC rolls 31 February over into March; such a date is malformed, not a date in March.
  return new Date(ms).getUTCDate() === day ? ms : null;
}
