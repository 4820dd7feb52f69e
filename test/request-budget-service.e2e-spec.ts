import { runWithCallContext } from '../src/lacework/call-context';
import type { BudgetTarget } from '../src/lacework/request-budget';
import { RequestBudgetService } from '../src/lacework/request-budget.service';
import { startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';

/*
 * The production budget class, as the app builds it, with its defaults (burst 4); only the window is scaled:
 * 6 s instead of an hour.
 */
describe('RequestBudgetService (PostgreSQL, production defaults)', () => {
  const WINDOW_MS = 6_000;
  let db: TestDatabase;
  let app: TestApp;
  let budget: RequestBudgetService;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url, { LACEWORK_BUDGET_WINDOW_MS: String(WINDOW_MS) });
    budget = app.app.get(RequestBudgetService);
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  async function integration(keyId: string, requestsPerHour: number): Promise<BudgetTarget> {
    const [row] = await db.query<{ id: string }>(
      `INSERT INTO integrations (name, organization_url, account, key_id, secret_sealed, secret_hint, requests_per_hour)
       VALUES ($1, 'https://acme.lacework.net', 'acme', $2, 'not-a-real-sealed-secret', 'cdef', $3) RETURNING id`,
      [`${keyId}-${requestsPerHour}-${Math.random()}`, keyId, requestsPerHour],
    );
    return { integrationId: row.id, organizationUrl: 'https://acme.lacework.net', keyId, requestsPerHour };
  }

  async function startTimes(targets: BudgetTarget[]): Promise<number[]> {
    const began = Date.now();
    return Promise.all(targets.map((t) => budget.acquire(t).then(() => Date.now() - began)));
  }

  it('lets a burst of 4 start at once, then paces request by request, not in slices', async () => {
    const target = await integration('PACED_KEY', 120);

    const starts = (await startTimes(Array.from({ length: 14 }, () => target))).sort((a, b) => a - b);

    // 120 per 6 s, less the burst and a 1% margin: one every 6000 / 114 = 52.6 ms.
    expect(starts[3] - starts[0]).toBeLessThan(100);
    const gaps = starts.slice(4).map((t, i) => t - starts[3 + i]);
    const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)];
    expect(median).toBeGreaterThanOrEqual(40);
    expect(median).toBeLessThanOrEqual(75);
    // Ten paced starts after the burst, whose grant comes no earlier than the request: counted from the request, so a
    // burst seen late by a loaded event loop cannot make the pacing look faster than it is.
    expect(starts[13]).toBeGreaterThanOrEqual(9 * 52.6);
  });

  it('shares one budget between integrations on the same key, at the smaller configured rate', async () => {
    const fast = await integration('SHARED_KEY', 240);
    const slow = await integration('SHARED_KEY', 120);
    await budget.acquire(slow);

    const starts = (
      await startTimes([...Array<BudgetTarget>(8).fill(fast), ...Array<BudgetTarget>(8).fill(slow)])
    ).sort((a, b) => a - b);

    // 16 requests on one key at 120 per 6 s: the burst left after the first, then 52.6 ms apart (240 would be 25.8).
    expect(starts[15] - starts[0]).toBeGreaterThanOrEqual(10 * 52.6);
    expect((await budget.usage(fast)).learnedPerWindow).toBe(120);
  });

  it('after a 429 sends nothing on the key until the reset, halves its rate, and serves the most urgent first', async () => {
    const target = await integration('LIMITED_KEY', 120);
    await budget.acquire(target);
    const until = new Date(Date.now() + 400);

    await budget.reportRateLimited(target, until);

    const usage = await budget.usage(target);
    expect(usage.learnedPerWindow).toBe(60);
    expect(usage.blockedUntil?.getTime()).toBeCloseTo(until.getTime(), -2);
    const order: string[] = [];
    const low = [1, 2, 3].map((i) =>
      runWithCallContext({ priority: 4 }, () => budget.acquire(target)).then(() => order.push(`low-${i}`)),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const critical = runWithCallContext({ priority: 1 }, () => budget.acquire(target)).then(() => {
      order.push('critical');
      return Date.now();
    });
    expect(await critical).toBeGreaterThanOrEqual(until.getTime() - 5);
    await Promise.all(low);
    expect(order[0]).toBe('critical');
  });
});
