import fc from 'fast-check';
import {
  CircuitBreakerState,
  beginProbe,
  closedCircuit,
  mayAttempt,
  openCircuit,
  recordResult,
} from './circuit-breaker';

const T0 = 1_700_000_000_000;

function feed(
  s: CircuitBreakerState,
  results: boolean[],
  startMs: number,
  stepMs: number,
): CircuitBreakerState {
  return results.reduce((acc, ok, i) => recordResult(acc, ok, startMs + i * stepMs), s);
}

describe('circuit breaker', () => {
  it('starts closed and lets requests through', () => {
    expect(mayAttempt(closedCircuit(), T0)).toBe('yes');
  });

  it('opens when at least 10 results in 5 minutes are at least 80% failures', () => {
    const results = [true, true, ...Array<boolean>(8).fill(false)];
    const beforeLast = feed(closedCircuit(), results.slice(0, 9), T0, 20_000);
    expect(beforeLast.state).toBe('closed');
    const opened = recordResult(beforeLast, false, T0 + 9 * 20_000);
    expect(opened).toEqual({ state: 'open', openedAtMs: T0 + 180_000, recent: [] });
    expect(mayAttempt(opened, T0 + 180_001)).toBe('no');
  });

  it('stays closed when failures are below the ratio', () => {
    const s = feed(closedCircuit(), [true, true, true, ...Array<boolean>(7).fill(false)], T0, 1_000);
    expect(s.state).toBe('closed');
    expect(s.recent).toHaveLength(10);
  });

  it('stays closed with too few results, however bad', () => {
    expect(feed(closedCircuit(), Array<boolean>(9).fill(false), T0, 1_000).state).toBe('closed');
  });

  it('forgets results older than the window', () => {
    const s = feed(closedCircuit(), Array<boolean>(9).fill(false), T0, 1_000);
    const now = T0 + 8_000 + 5 * 60_000 - 1;
    const later = recordResult(s, false, now);
    expect(later.state).toBe('closed');
    expect(later.recent.map((r) => r.atMs)).toEqual([T0 + 8_000, now]);
  });

  it('offers a probe after probeAfterMs, closes on a successful probe', () => {
    const open = openCircuit(closedCircuit(), T0);
    expect(mayAttempt(open, T0 + 59_999)).toBe('no');
    expect(mayAttempt(open, T0 + 60_000)).toBe('probe');
    const probing = beginProbe(open, T0 + 60_000);
    expect(probing.state).toBe('half_open');
    expect(mayAttempt(probing, T0 + 60_001)).toBe('no');
    expect(recordResult(probing, true, T0 + 60_002)).toEqual(closedCircuit());
  });

  it('re-opens on a failed probe and waits again from then', () => {
    const probing = beginProbe(openCircuit(closedCircuit(), T0), T0 + 60_000);
    const reopened = recordResult(probing, false, T0 + 61_000);
    expect(reopened).toEqual({ state: 'open', openedAtMs: T0 + 61_000, recent: [] });
    expect(mayAttempt(reopened, T0 + 120_000)).toBe('no');
    expect(mayAttempt(reopened, T0 + 121_000)).toBe('probe');
  });

  it('takes a result reported while open as the probe, without beginProbe', () => {
    const open = openCircuit(closedCircuit(), T0);
    expect(recordResult(open, true, T0 + 60_000).state).toBe('closed');
    expect(recordResult(open, false, T0 + 60_000).openedAtMs).toBe(T0 + 60_000);
  });

  it('lets another probe out when a probe never reported back', () => {
    const probing = beginProbe(openCircuit(closedCircuit(), T0), T0 + 60_000);
    expect(mayAttempt(probing, T0 + 120_000)).toBe('probe');
  });

  it('opens at once for a 410, discarding history', () => {
    const s = feed(closedCircuit(), [true, true], T0, 1);
    expect(openCircuit(s, T0 + 5)).toEqual({ state: 'open', openedAtMs: T0 + 5, recent: [] });
  });

  it('honours custom options', () => {
    const opts = { windowMs: 100, minRequests: 2, failureRatio: 0.5, probeAfterMs: 10 };
    const s = [true, false].reduce((acc, ok, i) => recordResult(acc, ok, T0 + i, opts), closedCircuit());
    expect(s.state).toBe('open');
    expect(mayAttempt(s, T0 + 11, opts)).toBe('probe');
    expect(mayAttempt(s, T0 + 11)).toBe('no');
  });

  it.each([
    { windowMs: 0 },
    { minRequests: 0 },
    { failureRatio: 0 },
    { failureRatio: 1.5 },
    { probeAfterMs: -1 },
  ])('refuses options %p', (opts) => {
    expect(() => recordResult(closedCircuit(), true, T0, opts)).toThrow(RangeError);
  });

  it('keeps recent bounded and inside the window for any sequence (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 120_000 })), { maxLength: 400 }),
        (steps) => {
          let s = closedCircuit();
          let now = T0;
          for (const [ok, gap] of steps) {
            now += gap;
            s = recordResult(s, ok, now);
            if (s.recent.length > 100 || s.recent.some((r) => r.atMs <= now - 5 * 60_000)) {
              return false;
            }
            if (s.state !== 'closed' && s.recent.length > 0) {
              return false;
            }
          }
          return true;
        },
      ),
    );
  });

  it('never opens from closed unless the window met both thresholds (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 60 }), (results) => {
        let s = closedCircuit();
        for (let i = 0; i < results.length; i++) {
          const before = s;
          s = recordResult(s, results[i], T0 + i * 1_000);
          if (before.state === 'closed' && s.state === 'open') {
            const window = [...before.recent, { atMs: T0 + i * 1_000, ok: results[i] }];
            const failures = window.filter((r) => !r.ok).length;
            if (window.length < 10 || failures / window.length < 0.8) {
              return false;
            }
          }
        }
        return true;
      }),
    );
  });
});
