import { FakeLacework } from './fakes/fake-lacework';
import { type LimiterScenario, type QueryRows, runLimiterScenario } from './setup/budget-scenarios';
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
  const SCALED: Omit<LimiterScenario, 'name' | 'limiter' | 'firstAlertId'> = {
    requestsPerWindow: 240,
    windowMs: 12_000,
    integrations: 1,
    alertsPerIntegration: 50,
    timeoutMs: 50_000,
  };

  // (a) and (e): R = 480 per 24 s window, i.e. production's 480 an hour 150 times faster.
  const BUCKET = { ...SCALED, requestsPerWindow: 480, windowMs: 24_000 };

  it('(a) token bucket at the configured rate, burst 10: no 429, >= 95% of the rate used', async () => {
    const service = await serviceWithWindow(BUCKET.windowMs);
    const figures = await runLimiterScenario(service.baseUrl, query, fake, {
      ...BUCKET,
      name: 'bucket',
      firstAlertId: 1_000_000,
      limiter: {
        mode: 'token-bucket',
        limit: BUCKET.requestsPerWindow,
        windowSeconds: BUCKET.windowMs / 1000,
      },
    });

    expect(figures.rateLimited).toBe(0);
    expect(figures.complete).toBe(50);
    expect(figures.shareOfRateUsed).toBeGreaterThanOrEqual(0.95);
    expect(figures.shareOfRateUsed).toBeLessThanOrEqual(1);
  });

  it('(b) rolling window: no 429, never more than the rate in any window', async () => {
    const service = await serviceWithWindow(SCALED.windowMs);
    const figures = await runLimiterScenario(service.baseUrl, query, fake, {
      ...SCALED,
      name: 'rolling',
      firstAlertId: 2_000_000,
      limiter: {
        mode: 'rolling-window',
        limit: SCALED.requestsPerWindow,
        windowSeconds: SCALED.windowMs / 1000,
      },
    });

    expect(figures.rateLimited).toBe(0);
    expect(figures.complete).toBe(50);
    expect(figures.drainSeconds * 1000).toBeGreaterThan(SCALED.windowMs);
    expect(figures.busiestWindow).toBeLessThanOrEqual(SCALED.requestsPerWindow);
  });

  it('(c) the key shared with another tool (half the rate): <= 2% 429s after adapting, every alert complete', async () => {
    // A longer window: each halving then takes its quiet intervals back over more requests, as in production.
    const windowMs = 30_000;
    const service = await serviceWithWindow(windowMs);
    const figures = await runLimiterScenario(service.baseUrl, query, fake, {
      ...SCALED,
      name: 'shared',
      firstAlertId: 3_000_000,
      requestsPerWindow: 600,
      windowMs,
      limiter: { mode: 'shared-key', limit: 600, windowSeconds: windowMs / 1000 },
    });

    expect(figures.rateLimited).toBeGreaterThan(0);
    expect(figures.rateLimitedAfterAdaptation / figures.requestsAfterAdaptation).toBeLessThanOrEqual(0.02);
    expect(figures.complete).toBe(50);
  });

  it('(d) two integrations on one key: together within the key budget', async () => {
    const service = await serviceWithWindow(SCALED.windowMs);
    const figures = await runLimiterScenario(service.baseUrl, query, fake, {
      ...SCALED,
      name: 'pair',
      firstAlertId: 4_000_000,
      integrations: 2,
      alertsPerIntegration: 25,
      limiter: {
        mode: 'rolling-window',
        limit: SCALED.requestsPerWindow,
        windowSeconds: SCALED.windowMs / 1000,
      },
    });

    expect(figures.rateLimited).toBe(0);
    expect(figures.complete).toBe(50);
    expect(figures.drainSeconds * 1000).toBeGreaterThan(SCALED.windowMs);
    expect(figures.busiestWindow).toBeLessThanOrEqual(SCALED.requestsPerWindow);
  });

  it('(e) a backlog under a token bucket: >= 95% of (Critical, Low) pairs assembled Critical first', async () => {
    const service = await serviceWithWindow(BUCKET.windowMs);
    const figures = await runLimiterScenario(service.baseUrl, query, fake, {
      ...BUCKET,
      name: 'urgent',
      firstAlertId: 5_000_000,
      limiter: {
        mode: 'token-bucket',
        limit: BUCKET.requestsPerWindow,
        windowSeconds: BUCKET.windowMs / 1000,
      },
    });

    expect(figures.criticalFirstShare).not.toBeNull();
    expect(figures.criticalFirstShare).toBeGreaterThanOrEqual(0.95);
    expect(figures.complete).toBe(50);
  });
});
