import fc from 'fast-check';
import { backoffDelayMs, rateLimitWaitMs } from './retry-policy';

describe('backoffDelayMs', () => {
  it('stays within [0, min(cap, base * 2^attempt)]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 600_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseMs, capMs, r) => {
          const delay = backoffDelayMs(attempt, baseMs, capMs, () => r);
          return delay >= 0 && delay <= Math.min(capMs, baseMs * 2 ** attempt);
        },
      ),
    );
  });

  it('scales the jitter fraction over the exponential ceiling', () => {
    expect(backoffDelayMs(0, 1000, 30_000, () => 0.5)).toBe(500);
    expect(backoffDelayMs(3, 1000, 30_000, () => 0.5)).toBe(4000);
    expect(backoffDelayMs(10, 1000, 30_000, () => 0.5)).toBe(15_000);
    expect(backoffDelayMs(2, 1000, 30_000, () => 0)).toBe(0);
  });
});

describe('rateLimitWaitMs', () => {
  const now = Date.parse('2024-05-01T12:00:00.000Z');

  it('reads Retry-After in seconds', () => {
    expect(rateLimitWaitMs({ 'retry-after': '7' }, now)).toBe(7000);
  });

  it('reads Retry-After as an HTTP date', () => {
    expect(rateLimitWaitMs({ 'Retry-After': 'Wed, 01 May 2024 12:00:30 GMT' }, now)).toBe(30_000);
  });

  it('reads RateLimit-Reset in seconds, whatever the header casing', () => {
    expect(rateLimitWaitMs({ 'RateLimit-Reset': '2' }, now)).toBe(2000);
  });

  it('takes the larger of both headers', () => {
    expect(rateLimitWaitMs({ 'retry-after': '3', 'ratelimit-reset': '9' }, now)).toBe(9000);
    expect(rateLimitWaitMs({ 'retry-after': '12', 'ratelimit-reset': '9' }, now)).toBe(12_000);
  });

  it('treats a RateLimit-Reset that is a Unix timestamp as a point in time', () => {
    expect(rateLimitWaitMs({ 'ratelimit-reset': String(now / 1000 + 45) }, now)).toBe(45_000);
  });

  it('reads the first value of a repeated header and numeric values', () => {
    expect(rateLimitWaitMs({ 'retry-after': ['4', '100'] }, now)).toBe(4000);
    expect(rateLimitWaitMs({ 'retry-after': 5 }, now)).toBe(5000);
  });

  it('never returns a negative wait for a date in the past', () => {
    expect(rateLimitWaitMs({ 'retry-after': 'Wed, 01 May 2024 11:00:00 GMT' }, now)).toBe(0);
  });

  it('falls back to the default when no header is usable', () => {
    expect(rateLimitWaitMs({}, now)).toBe(60_000);
    expect(rateLimitWaitMs({ 'retry-after': 'soon', 'ratelimit-reset': '-3' }, now, 1234)).toBe(1234);
  });
});
