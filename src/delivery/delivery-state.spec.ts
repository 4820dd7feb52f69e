import fc from 'fast-check';
import {
  AttemptOutcome,
  DeliveryProgress,
  DeliveryState,
  applyAttempt,
  canTransition,
  outcomeFromStatus,
  OPEN_STATES,
  replay,
  requeue,
  statesThatMayBecome,
  supersede,
} from './delivery-state';
import { DEFAULT_RETRY_DELAYS_MS } from './retry-schedule';

const NOW = 1_700_000_000_000;
const opts = { nowMs: NOW, random: () => 0.5 };
const STATES: DeliveryState[] = ['pending', 'failed', 'delivered', 'dead', 'superseded'];
const serverError: AttemptOutcome = { kind: 'http_error', status: 503, retryAfterMs: null };

describe('applyAttempt', () => {
  it('delivers on success and counts the attempt', () => {
    expect(applyAttempt({ state: 'pending', attempts: 0 }, { kind: 'success', status: 202 }, opts)).toEqual({
      state: 'delivered',
      attempts: 1,
      nextAttemptAtMs: null,
      pauseDestination: false,
      lastError: null,
    });
  });

  it('schedules a retry after an HTTP error', () => {
    expect(applyAttempt({ state: 'pending', attempts: 0 }, serverError, opts)).toEqual({
      state: 'failed',
      attempts: 1,
      nextAttemptAtMs: NOW + 5_000,
      pauseDestination: false,
      lastError: 'HTTP 503',
    });
  });

  it('schedules a retry after a network error, keeping its message', () => {
    const next = applyAttempt(
      { state: 'failed', attempts: 1 },
      { kind: 'network_error', message: 'connect ECONNREFUSED 127.0.0.1:9' },
      opts,
    );
    expect(next).toMatchObject({ state: 'failed', attempts: 2, nextAttemptAtMs: NOW + 300_000 });
    expect(next.lastError).toBe('network error: connect ECONNREFUSED 127.0.0.1:9');
  });

  it('honours Retry-After when scheduling', () => {
    const next = applyAttempt(
      { state: 'pending', attempts: 0 },
      { kind: 'http_error', status: 429, retryAfterMs: 9_000 },
      opts,
    );
    expect(next.nextAttemptAtMs).toBe(NOW + 9_000);
  });

  it('goes dead when the last attempt of the schedule fails', () => {
    const last = DEFAULT_RETRY_DELAYS_MS.length;
    expect(applyAttempt({ state: 'failed', attempts: last - 1 }, serverError, opts).state).toBe('failed');
    expect(applyAttempt({ state: 'failed', attempts: last }, serverError, opts)).toEqual({
      state: 'dead',
      attempts: last + 1,
      nextAttemptAtMs: null,
      pauseDestination: false,
      lastError: 'HTTP 503',
    });
  });

  it('uses the scaled schedule it is given', () => {
    const next = applyAttempt({ state: 'pending', attempts: 0 }, serverError, { ...opts, scale: 0.001 });
    expect(next.nextAttemptAtMs).toBe(NOW + 5);
    const short = { ...opts, delaysMs: [10] };
    expect(applyAttempt({ state: 'failed', attempts: 1 }, serverError, short).state).toBe('dead');
  });

  it('on 410 pauses the destination and keeps the delivery pending without spending an attempt', () => {
    expect(applyAttempt({ state: 'failed', attempts: 3 }, { kind: 'gone' }, opts)).toEqual({
      state: 'pending',
      attempts: 3,
      nextAttemptAtMs: null,
      pauseDestination: true,
      lastError: 'HTTP 410 Gone: destination paused',
    });
  });

  it.each(['delivered', 'dead', 'superseded'] as const)('refuses an attempt on a %s delivery', (state) => {
    expect(() => applyAttempt({ state, attempts: 1 }, { kind: 'success', status: 200 }, opts)).toThrow(state);
  });

  it('refuses an attempt beyond the schedule', () => {
    expect(() => applyAttempt({ state: 'failed', attempts: 8 }, serverError, opts)).toThrow(/limit 8/);
  });

  it.each<[string, AttemptOutcome]>([
    ['a success with a 500', { kind: 'success', status: 500 }],
    ['an http_error with a 200', { kind: 'http_error', status: 200, retryAfterMs: null }],
    ['an http_error with a 410', { kind: 'http_error', status: 410, retryAfterMs: null }],
  ])('refuses %s', (_label, outcome) => {
    expect(() => applyAttempt({ state: 'pending', attempts: 0 }, outcome, opts)).toThrow(/status/);
  });
});

describe('outcomeFromStatus', () => {
  it('maps 2xx to success, 410 to gone and everything else to an HTTP error', () => {
    expect(outcomeFromStatus(204)).toEqual({ kind: 'success', status: 204 });
    expect(outcomeFromStatus(410)).toEqual({ kind: 'gone' });
    expect(outcomeFromStatus(429, 2_000)).toEqual({ kind: 'http_error', status: 429, retryAfterMs: 2_000 });
    expect(outcomeFromStatus(301)).toEqual({ kind: 'http_error', status: 301, retryAfterMs: null });
  });
});

describe('canTransition', () => {
  it.each<[DeliveryState, DeliveryState, boolean]>([
    ['pending', 'delivered', true],
    ['pending', 'superseded', true],
    ['failed', 'superseded', true],
    ['failed', 'dead', true],
    ['failed', 'pending', true],
    ['delivered', 'pending', true],
    ['dead', 'pending', true],
    ['delivered', 'superseded', false],
    ['dead', 'superseded', false],
    ['delivered', 'failed', false],
    ['dead', 'failed', false],
    ['superseded', 'pending', false],
    ['superseded', 'delivered', false],
  ])('%s -> %s is %p', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
  });

  it('lets nothing leave superseded', () => {
    expect(STATES.filter((to) => canTransition('superseded', to))).toEqual([]);
  });
});

describe('the state sets the repositories write with', () => {
  it('supersedes and claims only open deliveries', () => {
    expect(statesThatMayBecome('superseded')).toEqual(['pending', 'failed']);
    expect(OPEN_STATES).toEqual(['pending', 'failed']);
    expect(STATES.filter((s) => canTransition(s, 'delivered'))).toEqual([...OPEN_STATES]);
  });

  it('queues every state but superseded again by hand', () => {
    expect(statesThatMayBecome('pending')).toEqual(['pending', 'failed', 'delivered', 'dead']);
  });
});

describe('requeue (retry by hand)', () => {
  it('keeps an open delivery as it is and only ends its wait', () => {
    expect(requeue({ state: 'failed', attempts: 3 })).toEqual({ state: 'failed', attempts: 3 });
    expect(requeue({ state: 'pending', attempts: 0 })).toEqual({ state: 'pending', attempts: 0 });
  });

  it('replays a delivered or dead delivery with a fresh schedule and refuses a superseded one', () => {
    expect(requeue({ state: 'dead', attempts: 8 })).toEqual({ state: 'pending', attempts: 0 });
    expect(requeue({ state: 'delivered', attempts: 1 })).toEqual({ state: 'pending', attempts: 0 });
    expect(() => requeue({ state: 'superseded', attempts: 1 })).toThrow(/superseded/);
  });
});

describe('supersede and replay', () => {
  it('supersedes only undelivered deliveries', () => {
    expect(supersede({ state: 'failed', attempts: 2 })).toEqual({ state: 'superseded', attempts: 2 });
    expect(() => supersede({ state: 'delivered', attempts: 1 })).toThrow(/delivered/);
  });

  it('replays delivered and dead deliveries with a fresh schedule', () => {
    expect(replay({ state: 'dead', attempts: 8 })).toEqual({ state: 'pending', attempts: 0 });
    expect(replay({ state: 'delivered', attempts: 1 })).toEqual({ state: 'pending', attempts: 0 });
    expect(() => replay({ state: 'superseded', attempts: 1 })).toThrow(/superseded/);
    expect(() => replay({ state: 'failed', attempts: 1 })).toThrow(/failed/);
  });
});

describe('delivery state machine (property)', () => {
  type Event = { kind: 'attempt'; outcome: AttemptOutcome } | { kind: 'supersede' } | { kind: 'replay' };
  const outcome: fc.Arbitrary<AttemptOutcome> = fc.oneof(
    fc.integer({ min: 200, max: 299 }).map((status) => ({ kind: 'success' as const, status })),
    fc
      .record({
        status: fc.integer({ min: 300, max: 599 }).filter((s) => s !== 410),
        retryAfterMs: fc.option(fc.integer({ min: 0, max: 100_000_000 })),
      })
      .map((e) => ({ kind: 'http_error' as const, ...e })),
    fc.string().map((message) => ({ kind: 'network_error' as const, message })),
    fc.constant({ kind: 'gone' as const }),
  );
  const event: fc.Arbitrary<Event> = fc.oneof(
    { weight: 8, arbitrary: outcome.map((o) => ({ kind: 'attempt' as const, outcome: o })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'supersede' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'replay' as const }) },
  );
  const delays = fc.oneof(
    fc.constant(DEFAULT_RETRY_DELAYS_MS),
    fc.array(fc.integer({ min: 0, max: 1_000 }), { maxLength: 4 }),
  );

  function step(current: DeliveryProgress, e: Event, delaysMs: readonly number[]): DeliveryProgress {
    switch (e.kind) {
      case 'attempt':
        return applyAttempt(current, e.outcome, { nowMs: NOW, delaysMs, random: () => 0.5 });
      case 'supersede':
        return supersede(current);
      case 'replay':
        return replay(current);
    }
  }

  function isAllowed(current: DeliveryProgress, e: Event): boolean {
    const open = current.state === 'pending' || current.state === 'failed';
    return e.kind === 'replay' ? current.state === 'delivered' || current.state === 'dead' : open;
  }

  it('leaves terminal states only by replay, never exceeds the schedule and dies only after the last attempt', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(delays, fc.array(event, { maxLength: 40 }), (delaysMs, events) => {
        const limit = delaysMs.length + 1;
        let current: DeliveryProgress = { state: 'pending', attempts: 0 };
        for (const e of events) {
          let next = current;
          if (isAllowed(current, e)) {
            next = step(current, e, delaysMs);
          } else {
            expect(() => step(current, e, delaysMs)).toThrow();
          }
          seen.add(`${current.state}->${next.state}`);
          if (next.state !== current.state || next.attempts !== current.attempts) {
            expect(canTransition(current.state, next.state)).toBe(true);
            if (current.state === 'delivered' || current.state === 'dead' || current.state === 'superseded') {
              expect(e.kind).toBe('replay');
            }
          }
          expect(next.attempts).toBeLessThanOrEqual(limit);
          if (next.state === 'dead') {
            expect(next.attempts).toBe(limit);
          }
          if (next.attempts === limit) {
            expect(['delivered', 'dead']).toContain(next.state);
          }
          if (next.state === 'failed') {
            expect(next.attempts).toBeGreaterThanOrEqual(1);
          }
          if (current.state !== 'dead' && next.state === 'dead') {
            expect(e.kind === 'attempt' && e.outcome.kind !== 'success' && e.outcome.kind !== 'gone').toBe(
              true,
            );
            expect(current.attempts).toBe(limit - 1);
          }
          current = next;
        }
      }),
      { numRuns: 300 },
    );
    expect([...seen]).toEqual(
      expect.arrayContaining(['failed->dead', 'dead->pending', 'delivered->pending', 'failed->superseded']),
    );
  });
});
