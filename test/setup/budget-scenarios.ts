import { type FakeLacework, type FakeRateLimit, generateAlerts } from '../fakes/fake-lacework';
import { api } from './cluster';
import { hourStart, sleep } from './wait';

/** Runs SQL on the service's database, whichever client the caller holds. */
export type QueryRows = <T>(sql: string, params?: unknown[]) => Promise<T[]>;

export interface LimiterScenario {
  /** Used for the key ID, integration names and alert IDs, so scenarios on one database stay apart. */
  name: string;
  limiter: FakeRateLimit;
  /** Configured requestsPerHour of each integration; one budget window is `windowMs`. */
  requestsPerWindow: number;
  windowMs: number;
  /** Integrations on the same key (each with its own sub-account and backlog). */
  integrations: number;
  alertsPerIntegration: number;
  firstAlertId: number;
  timeoutMs: number;
}

export interface LimiterFigures {
  /** Requests that reached the fake on the scenario's key, of any kind. */
  requests: number;
  rateLimited: number;
  /** Requests, and 429s among them, after the first one-minute (scaled) of adapting to the first 429. */
  requestsAfterAdaptation: number;
  rateLimitedAfterAdaptation: number;
  /**
   * Requests per window while the backlog drains, as a share of the configured rate: from a scaled five minutes
   * after the first scope call (the service's own start-up is not the budget's) to the last request.
   */
  shareOfRateUsed: number;
  /** Most requests that reached the fake within any rolling window. */
  busiestWindow: number;
  alerts: number;
  complete: number;
  /** Share of (Critical, Low) pairs whose Critical version was assembled first; null without such pairs. */
  criticalFirstShare: number | null;
  drainSeconds: number;
}

const HOUR = 3_600_000;

/**
 * A backlog drained by the service (reached at `baseUrl`) against the fake Lacework under one limiter: creates the
 * integrations on one key, syncs them, waits until every version is assembled, and measures what the fake saw.
 */
export async function runLimiterScenario(
  baseUrl: string,
  query: QueryRows,
  fake: FakeLacework,
  scenario: LimiterScenario,
): Promise<LimiterFigures> {
  const key = {
    keyId: `${scenario.name.toUpperCase()}_KEY_0123456789ABCDEF`,
    secret: `_secret_${scenario.name}_0123456789abcdef`,
  };
  fake.addKey(key);
  fake.setOptions({ rateLimit: scenario.limiter, recordRequests: true });
  const ids: string[] = [];
  for (let i = 0; i < scenario.integrations; i += 1) {
    const subAccount = `${scenario.name}-${i}`;
    fake.addAlerts(
      generateAlerts(scenario.alertsPerIntegration, {
        start: hourStart(20 * HOUR),
        hours: 18,
        firstId: scenario.firstAlertId + i * scenario.alertsPerIntegration,
        subAccount,
      }),
    );
    const created = await api(baseUrl, 'POST', '/api/v1/integrations', {
      name: subAccount,
      organizationUrl: fake.url,
      ...key,
      subAccount,
      requestsPerHour: scenario.requestsPerWindow,
    });
    if (created.status !== 201) {
      throw new Error(`integration ${subAccount}: ${created.status} ${created.text}`);
    }
    ids.push(created.json.id as string);
  }
  const started = Date.now();
  for (const id of ids) {
    const sync = await api(baseUrl, 'POST', `/api/v1/integrations/${id}/sync`);
    if (sync.status !== 202) {
      throw new Error(`sync ${id}: ${sync.status} ${sync.text}`);
    }
  }
  const expected = scenario.integrations * scenario.alertsPerIntegration;
  for (;;) {
    const [row] = await query<{ done: number }>(
      `SELECT count(*) FILTER (WHERE state <> 'pending')::int AS done FROM alert_versions
        WHERE integration_id = ANY($1::uuid[])`,
      [ids],
    );
    if (row.done >= expected) {
      break;
    }
    if (Date.now() - started > scenario.timeoutMs) {
      throw new Error(
        `${scenario.name}: ${row.done} of ${expected} alerts assembled in ${scenario.timeoutMs} ms`,
      );
    }
    await sleep(100);
  }
  const drainSeconds = (Date.now() - started) / 1000;
  const versions = await query<{ severity_rank: number; state: string; completed_ms: number | null }>(
    `SELECT severity_rank, state, (EXTRACT(EPOCH FROM completed_at) * 1000)::float8 AS completed_ms
       FROM alert_versions WHERE integration_id = ANY($1::uuid[])`,
    [ids],
  );
  const seen = fake.requests.filter((r) => r.keyId === key.keyId && r.at >= started);
  return {
    ...rateFigures(
      seen.map((r) => ({ at: r.at, limited: r.status === 429, scope: r.kind === 'scope' })),
      scenario.windowMs,
      scenario.requestsPerWindow,
    ),
    alerts: versions.length,
    complete: versions.filter((v) => v.state === 'complete').length,
    criticalFirstShare: criticalFirstShare(versions),
    drainSeconds,
  };
}

/** What the fake saw on one key: 429s (before and after adapting), share of the rate used, busiest window. */
export function rateFigures(
  arrivals: { at: number; limited: boolean; scope: boolean }[],
  windowMs: number,
  requestsPerWindow: number,
): Pick<
  LimiterFigures,
  | 'requests'
  | 'rateLimited'
  | 'requestsAfterAdaptation'
  | 'rateLimitedAfterAdaptation'
  | 'shareOfRateUsed'
  | 'busiestWindow'
> {
  const sorted = [...arrivals].sort((a, b) => a.at - b.at);
  const firstLimited = sorted.find((r) => r.limited);
  const adapted =
    firstLimited === undefined ? sorted : sorted.filter((r) => r.at > firstLimited.at + windowMs / 60);
  const drainFrom = (sorted.find((r) => r.scope)?.at ?? 0) + windowMs / 12;
  const draining = sorted.filter((r) => r.at >= drainFrom);
  const spanMs = draining.length > 1 ? draining[draining.length - 1].at - draining[0].at : 0;
  let busiest = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while (sorted[end].at - sorted[start].at >= windowMs) {
      start += 1;
    }
    busiest = Math.max(busiest, end - start + 1);
  }
  return {
    requests: sorted.length,
    rateLimited: sorted.filter((r) => r.limited).length,
    requestsAfterAdaptation: adapted.length,
    rateLimitedAfterAdaptation: adapted.filter((r) => r.limited).length,
    shareOfRateUsed: spanMs > 0 ? (draining.length - 1) / ((spanMs / windowMs) * requestsPerWindow) : 0,
    busiestWindow: busiest,
  };
}

/** Of every (Critical, Low) pair of versions, the share whose Critical one was assembled first. */
function criticalFirstShare(
  versions: { severity_rank: number; completed_ms: number | null }[],
): number | null {
  const done = (rank: number): number[] =>
    versions
      .filter((v) => v.severity_rank === rank && v.completed_ms !== null)
      .map((v) => v.completed_ms as number);
  const critical = done(1);
  const low = done(4);
  if (critical.length === 0 || low.length === 0) {
    return null;
  }
  let inOrder = 0;
  for (const c of critical) {
    for (const l of low) {
      if (c <= l) {
        inOrder += 1;
      }
    }
  }
  return inOrder / (critical.length * low.length);
}
