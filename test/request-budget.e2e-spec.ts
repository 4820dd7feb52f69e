import { FakeLacework, type FakeRateLimit } from './fakes/fake-lacework';
import { type LimiterFigures, type QueryRows, runLimiterScenario } from './setup/budget-scenarios';
import { startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';

/*
 * The request budget against each limiter Lacework might run, time scaled: a budget window of seconds instead of an
 * hour, with the pacing defaults of production (burst, quiet interval and steps are shares of the window).
 */
describe('request budget: smooth, adaptive, per key', () => {
  let db: TestDatabase;
  let fake: FakeLacework;
  let app: TestApp | null = null;
  const query: QueryRows = (sql, params) => db.query(sql, params);

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await FakeLacework.start({ pageSize: 500 });
  });

  afterAll(async () => {
    await app?.close();
    await fake?.close();
    await db?.drop();
  });

  async function serviceWithWindow(windowMs: number): Promise<TestApp> {
    await app?.close();
    app = await startTestApp(db.url, {
      SCHEDULER_ENABLED: 'true',
      POLLING_ENABLED: 'false',
      SCHEDULER_TICK_MS: '50',
      LACEWORK_BUDGET_WINDOW_MS: String(windowMs),
      // Time is scaled, round trips are not: more alerts in flight keep the scaled rate busy.
      ENRICHMENT_CONCURRENCY: '8',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    });
    return app;
  }

  // 240 requests per 12 s window: 20 a second.
  const SCALED = { requestsPerWindow: 240, windowMs: 12_000, integrations: 1, alertsPerIntegration: 50 };
  // (a) and (e): R = 480 per 48 s window, production's 480 an hour 75 times faster.
  const BUCKET = { ...SCALED, requestsPerWindow: 480, windowMs: 48_000, alertsPerIntegration: 40 };

  /** Drains a backlog on a fresh service whose budget window is the scale's, against the given limiter. */
  async function drain(
    name: string,
    firstAlertId: number,
    mode: NonNullable<FakeRateLimit['mode']>,
    scale: typeof SCALED,
  ): Promise<LimiterFigures> {
    const service = await serviceWithWindow(scale.windowMs);
    return runLimiterScenario(service.baseUrl, query, fake, {
      ...scale,
      name,
      firstAlertId,
      timeoutMs: 50_000,
      limiter: { mode, limit: scale.requestsPerWindow, windowSeconds: scale.windowMs / 1000 },
    });
  }

  it('(a) token bucket at the configured rate, burst 10: no 429, >= 95% of the rate used', async () => {
    const figures = await drain('bucket', 1_000_000, 'token-bucket', BUCKET);

    expect(figures.rateLimited).toBe(0);
    expect(figures.complete).toBe(40);
    expect(figures.shareOfRateUsed).toBeGreaterThanOrEqual(0.95);
    expect(figures.shareOfRateUsed).toBeLessThanOrEqual(1);
  });

  it('(b) rolling window: no 429, never more than the rate in any window', async () => {
    const figures = await drain('rolling', 2_000_000, 'rolling-window', SCALED);

    expect(figures.rateLimited).toBe(0);
    expect(figures.complete).toBe(50);
    expect(figures.drainSeconds * 1000).toBeGreaterThan(SCALED.windowMs);
    expect(figures.busiestWindow).toBeLessThanOrEqual(SCALED.requestsPerWindow);
  });

  it('(c) the key shared with another tool (half the rate): <= 2% 429s after adapting, every alert complete', async () => {
    // A longer window: each halving then takes its quiet intervals back over more requests, as in production.
    const figures = await drain('shared', 3_000_000, 'shared-key', {
      ...SCALED,
      requestsPerWindow: 600,
      windowMs: 30_000,
    });

    expect(figures.rateLimited).toBeGreaterThan(0);
    expect(figures.rateLimitedAfterAdaptation / figures.requestsAfterAdaptation).toBeLessThanOrEqual(0.02);
    expect(figures.complete).toBe(50);
  });

  it('(d) two integrations on one key: together within the key budget', async () => {
    const figures = await drain('pair', 4_000_000, 'rolling-window', {
      ...SCALED,
      integrations: 2,
      alertsPerIntegration: 25,
    });

    expect(figures.rateLimited).toBe(0);
    expect(figures.complete).toBe(50);
    expect(figures.drainSeconds * 1000).toBeGreaterThan(SCALED.windowMs);
    expect(figures.busiestWindow).toBeLessThanOrEqual(SCALED.requestsPerWindow);
  });

  it('(e) a backlog under a token bucket: >= 95% of (Critical, Low) pairs assembled Critical first', async () => {
    const figures = await drain('urgent', 5_000_000, 'token-bucket', BUCKET);

    expect(figures.criticalFirstShare).not.toBeNull();
    expect(figures.criticalFirstShare).toBeGreaterThanOrEqual(0.95);
    expect(figures.complete).toBe(40);
  });
});
