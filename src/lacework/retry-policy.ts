/** Response headers as a plain object (Node, axios or a test double); names are matched case-insensitively. */
export type ResponseHeaders = Readonly<Record<string, unknown>>;

// Delta-seconds never plausibly exceed this; larger RateLimit-Reset values are Unix timestamps.
const EPOCH_SECONDS_THRESHOLD = 1_000_000_000;

/**
 * Exponential backoff with full jitter: a uniformly random delay in `[0, min(capMs, baseMs * 2^attempt))`.
 * `attempt` counts from 0 for the first retry; `random` returns a value in `[0, 1)` like `Math.random`.
 */
export function backoffDelayMs(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const exponent = Math.max(0, Math.floor(attempt));
  const ceiling = Math.max(0, Math.min(capMs, baseMs * 2 ** exponent));
  const fraction = Math.min(Math.max(random(), 0), 1);
  return Math.min(ceiling, Math.floor(fraction * ceiling));
}

/**
 * How long to wait after a 429: the larger of `Retry-After` (seconds or HTTP date) and `RateLimit-Reset`
 * (seconds), never negative; `defaultMs` when neither header is usable.
 */
export function rateLimitWaitMs(headers: ResponseHeaders, nowMs: number, defaultMs = 60000): number {
  const candidates: number[] = [];
  const retryAfter = headerValue(headers, 'retry-after');
  if (retryAfter !== null) {
    const ms = parseRetryAfter(retryAfter, nowMs);
    if (ms !== null) {
      candidates.push(ms);
    }
  }
  const reset = headerValue(headers, 'ratelimit-reset');
  if (reset !== null) {
    const ms = parseRateLimitReset(reset, nowMs);
    if (ms !== null) {
      candidates.push(ms);
    }
  }
  if (candidates.length === 0) {
    return defaultMs;
  }
  return Math.max(0, ...candidates);
}

function headerValue(headers: ResponseHeaders, name: string): string | null {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) {
      continue;
    }
    const first: unknown = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') {
      return first.trim();
    }
    if (typeof first === 'number' && Number.isFinite(first)) {
      return String(first);
    }
  }
  return null;
}

function parseSeconds(text: string): number | null {
  if (!/^\d+(\.\d+)?$/.test(text)) {
    return null;
  }
  return Number(text);
}

function parseRetryAfter(text: string, nowMs: number): number | null {
  const seconds = parseSeconds(text);
  if (seconds !== null) {
    return Math.ceil(seconds * 1000);
  }
  const dateMs = Date.parse(text);
  if (Number.isNaN(dateMs)) {
    return null;
  }
  return Math.max(0, dateMs - nowMs);
}

function parseRateLimitReset(text: string, nowMs: number): number | null {
  const seconds = parseSeconds(text);
  if (seconds === null) {
    return null;
  }
  if (seconds >= EPOCH_SECONDS_THRESHOLD) {
    return Math.max(0, Math.ceil(seconds * 1000 - nowMs));
  }
  return Math.ceil(seconds * 1000);
}
