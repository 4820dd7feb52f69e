import { InMemoryRequestBudget } from './in-memory-request-budget';
import type { BudgetTarget } from './request-budget';

function target(keyId: string, requestsPerHour: number, integrationId = `int-${keyId}`): BudgetTarget {
  return { integrationId, organizationUrl: 'https://acme.lacework.net', keyId, requestsPerHour };
}

/** Virtual time: sleepers wake only when the test advances the clock. */
class VirtualClock {
  current = 0;
  private timers: { at: number; wake: () => void }[] = [];

  readonly now = (): number => this.current;

  readonly sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      this.timers.push({ at: this.current + Math.max(0, ms), wake: resolve });
    });

  /** Lets pending promise callbacks run so every waiter reaches its next sleep or finishes. */
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i += 1) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Runs timers in time order until none is left. */
  async runAll(): Promise<void> {
    await this.settle();
    while (this.timers.length > 0) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers.shift()!;
      this.current = Math.max(this.current, next.at);
      next.wake();
      await this.settle();
    }
  }
}

describe('InMemoryRequestBudget', () => {
  it('lets at most 5 of 20 concurrent acquires start in any 200 ms window', async () => {
    const clock = new VirtualClock();
    const budget = new InMemoryRequestBudget({ windowMs: 200, now: clock.now, sleep: clock.sleep });
    const starts: number[] = [];

    const all = Promise.all(
      Array.from({ length: 20 }, () =>
        budget.acquire(target('int-1', 5)).then(() => starts.push(clock.now())),
      ),
    );
    await clock.runAll();
    await all;

    expect(starts).toHaveLength(20);
    const sorted = [...starts].sort((a, b) => a - b);
    for (let i = 0; i + 5 < sorted.length; i += 1) {
      expect(sorted[i + 5] - sorted[i]).toBeGreaterThanOrEqual(200);
    }
    expect(sorted.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(sorted[19]).toBe(600);
  });

  it('never hands the last slot to two concurrent callers', async () => {
    const clock = new VirtualClock();
    const budget = new InMemoryRequestBudget({ windowMs: 1000, now: clock.now, sleep: clock.sleep });
    let started = 0;

    const calls = [1, 2, 3].map(() => budget.acquire(target('int-1', 1)).then(() => (started += 1)));
    await clock.settle();

    expect(started).toBe(1);
    await clock.runAll();
    await Promise.all(calls);
    expect(started).toBe(3);
    expect(clock.current).toBe(2000);
  });

  it('keeps keys apart', async () => {
    const clock = new VirtualClock();
    const budget = new InMemoryRequestBudget({ windowMs: 1000, now: clock.now, sleep: clock.sleep });
    await budget.acquire(target('a', 1));
    let otherStarted = false;

    const other = budget.acquire(target('b', 1)).then(() => (otherStarted = true));
    await clock.settle();

    expect(otherStarted).toBe(true);
    await other;
    expect(await budget.usage(target('a', 1))).toEqual({
      remaining: 0,
      learnedPerWindow: 1,
      blockedUntil: null,
    });
  });

  it('shares one budget between integrations using the same key', async () => {
    const clock = new VirtualClock();
    const budget = new InMemoryRequestBudget({ windowMs: 1000, now: clock.now, sleep: clock.sleep });
    await budget.acquire(target('shared', 1, 'int-a'));
    let otherStarted = false;

    const other = budget.acquire(target('shared', 1, 'int-b')).then(() => (otherStarted = true));
    await clock.settle();

    expect(otherStarted).toBe(false);
    await clock.runAll();
    await other;
    expect(clock.current).toBe(1000);
  });

  it('sends nothing before a blockUntil time, even with slots free', async () => {
    const clock = new VirtualClock();
    const budget = new InMemoryRequestBudget({ windowMs: 1000, now: clock.now, sleep: clock.sleep });
    await budget.reportRateLimited(target('int-1', 1), new Date(1500));
    let startedAt: number | null = null;

    const call = budget.acquire(target('int-1', 100)).then(() => (startedAt = clock.now()));
    await clock.settle();
    expect(startedAt).toBeNull();
    expect((await budget.usage(target('int-1', 100))).blockedUntil).toEqual(new Date(1500));

    await clock.runAll();
    await call;
    expect(startedAt).toBe(1500);
  });

  it('never shortens an existing block', async () => {
    const clock = new VirtualClock();
    const budget = new InMemoryRequestBudget({ windowMs: 1000, now: clock.now, sleep: clock.sleep });
    await budget.reportRateLimited(target('int-1', 1), new Date(5000));
    await budget.reportRateLimited(target('int-1', 1), new Date(2000));

    expect((await budget.usage(target('int-1', 10))).blockedUntil).toEqual(new Date(5000));
  });

  it('reports usage over the rolling window', async () => {
    const clock = new VirtualClock();
    const budget = new InMemoryRequestBudget({ windowMs: 1000, now: clock.now, sleep: clock.sleep });
    await budget.acquire(target('int-1', 10));
    clock.current = 600;
    await budget.acquire(target('int-1', 10));
    await budget.acquire(target('int-1', 10));

    expect(await budget.usage(target('int-1', 10))).toEqual({
      remaining: 7,
      learnedPerWindow: 10,
      blockedUntil: null,
    });
    clock.current = 1000;
    expect(await budget.usage(target('int-1', 10))).toEqual({
      remaining: 8,
      learnedPerWindow: 10,
      blockedUntil: null,
    });
  });

  it('rejects a limit below one instead of waiting forever', async () => {
    const budget = new InMemoryRequestBudget({ windowMs: 1000 });

    await expect(budget.acquire(target('int-1', 0))).rejects.toThrow(RangeError);
  });

  it('keeps serving callers after one of them was rejected', async () => {
    const budget = new InMemoryRequestBudget({ windowMs: 1000 });
    await expect(budget.acquire(target('int-1', 0))).rejects.toThrow(RangeError);

    await expect(budget.acquire(target('int-1', 1))).resolves.toBeUndefined();
  });
});
