import { Client } from 'pg';
import { FakeLacework } from '../test/fakes/fake-lacework';
import {
  type LimiterFigures,
  type LimiterScenario,
  runLimiterScenario,
} from '../test/setup/budget-scenarios';
import { Cluster } from '../test/setup/cluster';
import { freshDatabase } from './pipeline-bench';

export interface BudgetRow {
  measure: string;
  value: string;
  bound: string;
  ratio: string;
}

const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const pct = (n: number): string => `${fmt(n * 100)} %`;

/** One limiter scenario on a fresh database and a freshly spawned service whose budget window is the scenario's. */
async function measure(adminUrl: string, scenario: LimiterScenario): Promise<LimiterFigures> {
  const url = await freshDatabase(adminUrl, `lc_bench_budget_${scenario.name}`);
  const db = new Client({ connectionString: url });
  const fake = await FakeLacework.start({ pageSize: 500 });
  const cluster = new Cluster(
    Cluster.env(url, {
      LOG_LEVEL: 'info',
      POLLING_ENABLED: 'false',
      LACEWORK_BUDGET_WINDOW_MS: String(scenario.windowMs),
      // Time is scaled, round trips are not: more alerts in flight keep the scaled rate busy.
      ENRICHMENT_CONCURRENCY: '8',
    }),
  );
  try {
    await cluster.start(0);
    await db.connect();
    return await runLimiterScenario(
      cluster.anyUrl(),
      async <T>(sql: string, params?: unknown[]) => (await db.query(sql, params)).rows as T[],
      fake,
      scenario,
    );
  } finally {
    await cluster.stopAll();
    await db.end().catch(() => undefined);
    await fake.close();
  }
}

/**
 * The request budget under each limiter Lacework might run (issue figures (a)-(e)), time scaled: R requests per
 * window of seconds, the pacing defaults of production. Each figure is given as a ratio to its bound.
 */
export async function budgetScenarios(adminUrl: string, log: (line: string) => void): Promise<BudgetRow[]> {
  const scaled = { requestsPerWindow: 240, windowMs: 12_000, integrations: 1, timeoutMs: 120_000 };
  const r = scaled.requestsPerWindow;
  const rows: BudgetRow[] = [];

  log('  (a)+(e) token bucket at R, burst 10, backlog of 60 alerts ...');
  // R = 480 per 48 s: production's 480 an hour, 75 times faster.
  const bucketScale = { ...scaled, requestsPerWindow: 480, windowMs: 48_000 };
  const bucket = await measure(adminUrl, {
    ...bucketScale,
    name: 'bucket',
    alertsPerIntegration: 60,
    firstAlertId: 1_000_000,
    limiter: { mode: 'token-bucket', limit: 480, windowSeconds: bucketScale.windowMs / 1000 },
  });
  rows.push(
    {
      measure: '(a) token bucket at R: 429 answers',
      value: String(bucket.rateLimited),
      bound: '0',
      ratio: okIf(bucket.rateLimited === 0),
    },
    {
      measure: '(a) token bucket at R: share of R used over the drain',
      value: pct(bucket.shareOfRateUsed),
      bound: '>= 95 %',
      ratio: fmt(bucket.shareOfRateUsed / 0.95, 2),
    },
    {
      measure: '(e) token bucket at R: (Critical, Low) pairs assembled Critical first',
      value: pct(bucket.criticalFirstShare ?? NaN),
      bound: '>= 95 %',
      ratio: fmt((bucket.criticalFirstShare ?? NaN) / 0.95, 2),
    },
  );

  log('  (b) rolling window of R, backlog of 80 alerts ...');
  const rolling = await measure(adminUrl, {
    ...scaled,
    name: 'rolling',
    alertsPerIntegration: 80,
    firstAlertId: 2_000_000,
    limiter: { mode: 'rolling-window', limit: r, windowSeconds: scaled.windowMs / 1000 },
  });
  rows.push(
    {
      measure: '(b) rolling window: 429 answers',
      value: String(rolling.rateLimited),
      bound: '0',
      ratio: okIf(rolling.rateLimited === 0),
    },
    {
      measure: '(b) rolling window: most requests in any window',
      value: String(rolling.busiestWindow),
      bound: `<= R = ${r}`,
      ratio: fmt(rolling.busiestWindow / r, 3),
    },
  );

  log('  (c) key shared with another tool (half of R), backlog of 100 alerts ...');
  const sharedWindowMs = 30_000;
  const shared = await measure(adminUrl, {
    ...scaled,
    name: 'shared',
    requestsPerWindow: 600,
    windowMs: sharedWindowMs,
    alertsPerIntegration: 100,
    firstAlertId: 3_000_000,
    limiter: { mode: 'shared-key', limit: 600, windowSeconds: sharedWindowMs / 1000 },
  });
  const adaptedShare = shared.rateLimitedAfterAdaptation / Math.max(1, shared.requestsAfterAdaptation);
  rows.push(
    {
      measure: '(c) shared key at R/2: 429s after the first (scaled) minute of adapting',
      value: `${shared.rateLimitedAfterAdaptation} of ${shared.requestsAfterAdaptation} (${pct(adaptedShare)}); ${shared.rateLimited} in all`,
      bound: '<= 2 %',
      ratio: fmt(adaptedShare / 0.02, 2),
    },
    {
      measure: '(c) shared key at R/2: alerts complete',
      value: `${shared.complete} of ${shared.alerts}`,
      bound: 'all',
      ratio: okIf(shared.complete === shared.alerts),
    },
  );

  log('  (d) two integrations on one key, rolling window of R, 2 x 40 alerts ...');
  const pair = await measure(adminUrl, {
    ...scaled,
    name: 'pair',
    integrations: 2,
    alertsPerIntegration: 40,
    firstAlertId: 4_000_000,
    limiter: { mode: 'rolling-window', limit: r, windowSeconds: scaled.windowMs / 1000 },
  });
  rows.push({
    measure: '(d) two integrations on one key: most requests in any window, together (429s)',
    value: `${pair.busiestWindow} (${pair.rateLimited})`,
    bound: `<= R = ${r} (0)`,
    ratio: pair.rateLimited === 0 ? fmt(pair.busiestWindow / r, 3) : 'over',
  });
  return rows;
}

function okIf(ok: boolean): string {
  return ok ? 'ok' : 'over';
}
