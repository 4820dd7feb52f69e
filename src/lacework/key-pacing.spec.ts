import {
  afterRateLimit,
  currentRate,
  initialPacingState,
  intervalMs,
  type KeyPacingState,
  type PacingSettings,
  startableWithin,
  takeRequest,
  takeRequests,
} from './key-pacing';

const HOUR = 3_600_000;
const SETTINGS: PacingSettings = { windowMs: HOUR, burst: 4 };

/** Asks as often as allowed from `fromMs` to `untilMs`; returns the grant times and the final state. */
function greedy(state: KeyPacingState, cap: number, fromMs: number, untilMs: number) {
  const grants: number[] = [];
  let now = fromMs;
  while (now < untilMs) {
    const decision = takeRequest(state, cap, SETTINGS, now);
    if (decision.granted) {
      state = decision.state;
      grants.push(now);
    } else {
      now += decision.waitMs;
    }
  }
  return { grants, state };
}

function maxInAnyWindow(times: number[], windowMs: number): number {
  let best = 0;
  let start = 0;
  for (let end = 0; end < times.length; end += 1) {
    while (times[end] - times[start] >= windowMs) {
      start += 1;
    }
    best = Math.max(best, end - start + 1);
  }
  return best;
}

describe('key pacing', () => {
  it('lets a small burst start at once, then spaces requests evenly at the rate', () => {
    const { grants } = greedy(initialPacingState(480, 0), 480, 0, 10 * 60_000);

    expect(grants.slice(0, 4)).toEqual([0, 0, 0, 0]);
    const gaps = grants.slice(4).map((t, i) => t - grants[3 + i]);
    const interval = intervalMs(480, SETTINGS);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(interval - 1);
      expect(gap).toBeLessThanOrEqual(interval + 1);
    }
  });

  it('never starts more than the rate in any rolling window, and uses over 95% of it', () => {
    const { grants } = greedy(initialPacingState(480, 0), 480, 0, 3 * HOUR);

    expect(maxInAnyWindow(grants, HOUR)).toBeLessThanOrEqual(480);
    expect(grants.length / 3).toBeGreaterThanOrEqual(0.95 * 480);
  });

  it('blocks until the 429 says, halves the rate, and lets one request through after the block', () => {
    let state = greedy(initialPacingState(480, 0), 480, 0, 60_000).state;
    state = afterRateLimit(state, 480, SETTINGS, 60_000, 61_000);

    expect(takeRequest(state, 480, SETTINGS, 60_500)).toEqual({ granted: false, waitMs: 500 });
    expect(currentRate(state, 480, SETTINGS, 61_000)).toBe(240);
    const first = takeRequest(state, 480, SETTINGS, 61_000);
    expect(first.granted).toBe(true);
    const second = takeRequest((first as { state: KeyPacingState }).state, 480, SETTINGS, 61_000);
    expect(second).toEqual({ granted: false, waitMs: Math.ceil(intervalMs(240, SETTINGS)) });
  });

  it('halves only once for 429s of the same episode', () => {
    let state = afterRateLimit(initialPacingState(480, 0), 480, SETTINGS, 1_000, 2_000);
    state = afterRateLimit(state, 480, SETTINGS, 1_500, 2_000);
    state = afterRateLimit(state, 480, SETTINGS, 2_500, 3_000);

    expect(currentRate(state, 480, SETTINGS, 3_000)).toBe(240);
    state = afterRateLimit(state, 480, SETTINGS, 1_000 + 60_000, 62_000);
    expect(currentRate(state, 480, SETTINGS, 62_000)).toBeCloseTo((240 + 0.005 * 480) / 2);
  });

  it('climbs back a small step per quiet minute, never above the configured rate', () => {
    const state = afterRateLimit(initialPacingState(480, 0), 480, SETTINGS, 0, 1_000);

    expect(currentRate(state, 480, SETTINGS, 59_999)).toBe(240);
    expect(currentRate(state, 480, SETTINGS, 10 * 60_000)).toBeCloseTo(240 + 10 * 2.4);
    expect(currentRate(state, 480, SETTINGS, 5 * HOUR)).toBe(480);
    expect(currentRate(state, 300, SETTINGS, 5 * HOUR)).toBe(300);
  });

  it('counts what can start within a horizon, none while blocked past it', () => {
    const fresh = initialPacingState(480, 0);
    const horizon = 2 * 60_000;
    const expected = 4 + Math.floor(horizon / intervalMs(480, SETTINGS));

    expect(startableWithin(fresh, 480, SETTINGS, 0, horizon)).toBe(expected);
    const blocked = afterRateLimit(fresh, 480, SETTINGS, 0, 10 * 60_000);
    expect(startableWithin(blocked, 480, SETTINGS, 0, horizon)).toBe(0);
  });

  it('keeps the burst to 5% of a small rate', () => {
    const { grants } = greedy(initialPacingState(6, 0), 6, 0, 2 * HOUR);

    expect(grants[0]).toBe(0);
    expect(grants[1]).toBeGreaterThan(0);
    expect(maxInAnyWindow(grants, HOUR)).toBeLessThanOrEqual(6);
  });

  it('grants the starts due within the lookahead in one go, each at its own paced time', () => {
    const fast: PacingSettings = { windowMs: 1_000, burst: 4 };
    const batch = takeRequests(initialPacingState(1_000, 0), 1_000, fast, 0, 100, 50);

    const interval = intervalMs(1_000, fast);
    expect(batch.startsAtMs.slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(batch.startsAtMs.length).toBe(4 + Math.floor(50 / interval));
    batch.startsAtMs.slice(4).forEach((at, i) => expect(at).toBeCloseTo((i + 1) * interval));
    const next = takeRequests(batch.state, 1_000, fast, 0, 100, 0);
    expect(next.startsAtMs).toEqual([]);
    expect(next.waitMs).toBeGreaterThan(0);
  });
});
