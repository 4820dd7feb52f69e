import fc from 'fast-check';
import {
  DEFAULT_RETRY_DELAYS_MS,
  MAX_RETRY_AFTER_MS,
  delayBoundsMs,
  maxAttempts,
  nextAttemptDelayMs,
  parseRetryAfter,
} from './retry-schedule';

const HOUR = 3_600_000;
const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const failedAttempt = fc.integer({ min: 1, max: DEFAULT_RETRY_DELAYS_MS.length });

describe('DEFAULT_RETRY_DELAYS_MS', () => {
  it('waits 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, for 8 attempts in all', () => {
    expect(DEFAULT_RETRY_DELAYS_MS).toEqual([
      5_000,
      300_000,
      1_800_000,
      2 * HOUR,
      5 * HOUR,
      10 * HOUR,
      10 * HOUR,
    ]);
    expect(maxAttempts()).toBe(8);
    expect(Object.isFrozen(DEFAULT_RETRY_DELAYS_MS)).toBe(true);
  });
});

describe('nextAttemptDelayMs', () => {
  it('sends the first attempt at once', () => {
    expect(nextAttemptDelayMs(0)).toBe(0);
  });

  it('spans the jitter band from its lowest to its highest random draw', () => {
    expect(nextAttemptDelayMs(1, { random: () => 0 })).toBe(4_000);
    expect(nextAttemptDelayMs(1, { random: () => 0.999999 })).toBe(6_000);
    expect(nextAttemptDelayMs(7, { random: () => 0.5 })).toBe(10 * HOUR);
  });

  it('keeps a misbehaving random source inside the band', () => {
    expect(nextAttemptDelayMs(2, { random: () => 1 })).toBe(360_000);
    expect(nextAttemptDelayMs(2, { random: () => -3 })).toBe(240_000);
  });

  it('stays within [0.8d, 1.2d] of the scheduled delay without Retry-After (property)', () => {
    fc.assert(
      fc.property(failedAttempt, unit, (n, r) => {
        const d = DEFAULT_RETRY_DELAYS_MS[n - 1];
        const delay = nextAttemptDelayMs(n, { random: () => r });
        return delay !== null && Number.isInteger(delay) && delay >= 0.8 * d && delay <= 1.2 * d;
      }),
    );
  });

  it('applies the scale to every delay (property)', () => {
    fc.assert(
      fc.property(failedAttempt, unit, fc.double({ min: 0.001, max: 10, noNaN: true }), (n, r, scale) => {
        const d = DEFAULT_RETRY_DELAYS_MS[n - 1] * scale;
        const delay = nextAttemptDelayMs(n, { random: () => r, scale });
        return delay !== null && delay >= 0.8 * d && delay <= 1.2 * d;
      }),
    );
    expect(nextAttemptDelayMs(1, { scale: 0.001, random: () => 0.5 })).toBe(5);
  });

  it('returns null exactly after the last attempt of any schedule (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10 * HOUR }), { maxLength: 10 }),
        fc.integer({ min: 0, max: 15 }),
        unit,
        (delaysMs, failed, r) => {
          const delay = nextAttemptDelayMs(failed, { delaysMs, random: () => r });
          return failed > delaysMs.length ? delay === null : delay !== null;
        },
      ),
    );
    expect(nextAttemptDelayMs(7)).not.toBeNull();
    expect(nextAttemptDelayMs(8)).toBeNull();
  });

  it('has bounds that never shrink from one failure to the next in the default schedule (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: DEFAULT_RETRY_DELAYS_MS.length - 1 }), (n) => {
        const [a, b] = [delayBoundsMs(n), delayBoundsMs(n + 1)];
        return a !== null && b !== null && a.minMs <= b.minMs && a.maxMs <= b.maxMs;
      }),
    );
  });

  it('honours a longer Retry-After, capped at twice the upper bound and at 24 h', () => {
    const fixed = { random: () => 0.5 };
    expect(nextAttemptDelayMs(1, { ...fixed, retryAfterMs: 8_000 })).toBe(8_000);
    expect(nextAttemptDelayMs(1, { ...fixed, retryAfterMs: 3_600_000 })).toBe(12_000);
    expect(nextAttemptDelayMs(7, { ...fixed, retryAfterMs: 48 * HOUR })).toBe(MAX_RETRY_AFTER_MS);
  });

  it('never lets a shorter Retry-After bring the attempt forward', () => {
    expect(nextAttemptDelayMs(2, { random: () => 0.5, retryAfterMs: 1_000 })).toBe(300_000);
    expect(nextAttemptDelayMs(2, { random: () => 0.5, retryAfterMs: 0 })).toBe(300_000);
  });

  it('keeps any Retry-After between the jittered delay and its cap (property)', () => {
    fc.assert(
      fc.property(failedAttempt, unit, fc.integer({ min: 0, max: 100 * HOUR }), (n, r, retryAfterMs) => {
        const bounds = delayBoundsMs(n);
        const plain = nextAttemptDelayMs(n, { random: () => r });
        const delay = nextAttemptDelayMs(n, { random: () => r, retryAfterMs });
        if (bounds === null || plain === null || delay === null) {
          return false;
        }
        const cap = Math.max(plain, Math.min(2 * bounds.maxMs, MAX_RETRY_AFTER_MS));
        return (
          delay >= plain && delay <= cap && (retryAfterMs <= plain || delay === Math.min(retryAfterMs, cap))
        );
      }),
    );
  });

  it('returns null when exhausted even if Retry-After is given', () => {
    expect(nextAttemptDelayMs(8, { retryAfterMs: 1_000 })).toBeNull();
  });

  it.each([
    [-1, {}],
    [1.5, {}],
    [1, { scale: 0 }],
    [1, { scale: Number.NaN }],
    [1, { delaysMs: [-5] }],
  ])('refuses %p failed attempts with options %p', (failed, opts) => {
    expect(() => nextAttemptDelayMs(failed, opts)).toThrow(RangeError);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2024, 4, 1, 12, 0, 0);

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads the three HTTP date forms', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wednesday, 01-May-24 12:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Wed May  1 12:00:05 2024', now)).toBe(5_000);
  });

  it('gives 0 for a date in the past', () => {
    expect(parseRetryAfter('Tue, 30 Apr 2024 12:00:00 GMT', now)).toBe(0);
  });

  it.each([
    undefined,
    '',
    'soon',
    '-5',
    '1.5',
    '1e3',
    'Wed, 31 Feb 2024 12:00:00 GMT',
    'Wed, 01 Foo 2024 12:00:00 GMT',
  ])('gives null for %p', (header) => {
    expect(parseRetryAfter(header, now)).toBeNull();
  });
});
