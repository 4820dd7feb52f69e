import { Client } from 'pg';
import { FakeLacework, generateAlerts } from '../test/fakes/fake-lacework';
import { api, Cluster } from '../test/setup/cluster';
import { hourStart, sleep } from '../test/setup/wait';
import { freshDatabase, HOUR, KEY, peakRssMb } from './pipeline-bench';

export interface LargeAnswersResult {
  integrations: number;
  versions: number;
  answerMb: number;
  seconds: number;
  peakRssMb: number;
}

/** A scope `data` array of about `bytes` bytes of JSON. */
function largeScopeData(bytes: number, tag: string): string {
  const item = JSON.stringify({ tag, line: 'x'.repeat(200) });
  const count = Math.max(1, Math.floor(bytes / (item.length + 1)));
  return `[${new Array<string>(count).fill(item).join(',')}]`;
}

/**
 * Many integrations with large scope answers: every integration lists the same `alerts`, whose Events and Timeline
 * answers are `scopeBytes` each, and enriches them at `ENRICHMENT_CONCURRENCY` 4. Reports the service's peak RSS with
 * the given process-wide caps (`env`), from the first sync to the last assembled document.
 */
export async function largeAnswers(
  adminUrl: string,
  name: string,
  integrations: number,
  alerts: number,
  scopeBytes: number,
  env: Record<string, string>,
): Promise<LargeAnswersResult> {
  const url = await freshDatabase(adminUrl, name);
  const db = new Client({ connectionString: url });
  const lacework = await FakeLacework.start({ recordRequests: false, pageSize: 500 });
  lacework.addKey(KEY);
  const events = largeScopeData(scopeBytes, 'events');
  const timeline = largeScopeData(scopeBytes, 'timeline');
  lacework.addAlerts(
    generateAlerts(alerts, { start: hourStart(5 * HOUR), hours: 4, firstId: 3_000_000 }).map((a) => ({
      ...a,
      scopes: { Events: events, Timeline: timeline },
    })),
  );
  const cluster = new Cluster(
    Cluster.env(url, {
      LEASE_SECONDS: '60',
      ENRICHMENT_CONCURRENCY: '4',
      ...env,
    }),
  );
  try {
    await cluster.start(0);
    await db.connect();
    const base = cluster.anyUrl();
    const ids: string[] = [];
    for (let i = 0; i < integrations; i += 1) {
      const created = await api(base, 'POST', '/api/v1/integrations', {
        name: `bench-${i}`,
        organizationUrl: lacework.url,
        ...KEY,
        requestsPerHour: 100000,
      });
      if (created.status !== 201) {
        throw new Error(`integration: ${created.text}`);
      }
      ids.push(created.json.id as string);
    }
    const started = Date.now();
    for (const id of ids) {
      await api(base, 'POST', `/api/v1/integrations/${id}/sync`);
    }
    const versions = integrations * alerts;
    for (;;) {
      const done = Number(
        (
          await db.query<{ n: string }>(
            `SELECT count(*) AS n FROM alert_versions WHERE state IN ('complete', 'incomplete')`,
          )
        ).rows[0].n,
      );
      if (done >= versions) {
        break;
      }
      await sleep(200);
    }
    return {
      integrations,
      versions,
      answerMb: (versions * 2 * scopeBytes) / 1024 / 1024,
      seconds: (Date.now() - started) / 1000,
      peakRssMb: peakRssMb(cluster.pid(0)),
    };
  } finally {
    await cluster.stopAll();
    await db.end().catch(() => undefined);
    await lacework.close();
  }
}

/**
 * The two runs `npm run bench` reports, on more answer bytes than the caps let in at once: tight caps (8 alerts,
 * 16 MiB of answers), and the caps lifted, which is how the service ran before they existed (4 per integration,
 * 200 alerts in flight with 50 integrations).
 */
export async function boundedMemory(
  adminUrl: string,
  quick: boolean,
): Promise<{ capped: LargeAnswersResult; uncapped: LargeAnswersResult }> {
  // Four alerts per integration fill ENRICHMENT_CONCURRENCY 4 everywhere: 200 alerts in flight without the caps.
  const alerts = quick ? 2 : 4;
  const scopeBytes = 128 * 1024;
  const capped = await largeAnswers(adminUrl, 'lc_bench_mem_capped', 50, alerts, scopeBytes, {
    ENRICHMENT_MAX_IN_FLIGHT: '8',
    ENRICHMENT_MAX_ANSWER_BYTES_IN_FLIGHT: String(16 * 1024 * 1024),
  });
  const uncapped = await largeAnswers(adminUrl, 'lc_bench_mem_uncapped', 50, alerts, scopeBytes, {
    ENRICHMENT_MAX_IN_FLIGHT: '4096',
    ENRICHMENT_MAX_ANSWER_BYTES_IN_FLIGHT: String(64 * 1024 * 1024 * 1024),
  });
  return { capped, uncapped };
}

if (require.main === module) {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  boundedMemory(adminUrl, process.argv.includes('--quick'))
    .then((result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`))
    .catch((error: unknown) => {
      process.stderr.write(`memory bench failed: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    });
}
