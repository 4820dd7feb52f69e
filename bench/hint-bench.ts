import { join } from 'node:path';
import { api } from '../test/setup/cluster';
import { hourStart, sleep, waitFor } from '../test/setup/wait';
import { rig, Rig } from './pipeline-bench';
import { writeReportSection } from './bench-support';

/**
 * `npm run bench:hints`: Lacework's webhook hints as a trigger. (1) Time from a Critical alert's creation in the fake
 * Lacework to its delivery downstream, with the hint and without it (poll interval 5 minutes, 50 ms answers).
 * (2) The extra Lacework calls hints cost per hour at 1, 10 and 100 hints a minute. Writes its section of
 * BENCHMARKS.md.
 */
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REPORT = join(process.cwd(), 'BENCHMARKS.md');
const POLL_SECONDS = 300;
const LATENCY_MS = 50;

const log = (line: string): void => void process.stdout.write(`${line}\n`);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) {
    return NaN;
  }
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1);

/** Waits for the integration's first scheduled run to end, so later runs are the ones measured. */
async function firstRunDone(r: Rig): Promise<void> {
  await waitFor(
    async () =>
      Number(
        (
          await r.db.query<{ n: string }>(
            `SELECT count(*) AS n FROM sync_runs WHERE integration_id = $1 AND status <> 'running'`,
            [r.integrationId],
          )
        ).rows[0].n,
      ) > 0,
    60_000,
    'the first run',
  );
}

async function hookUrl(r: Rig): Promise<string> {
  const res = await api(r.cluster.anyUrl(), 'POST', `/api/v1/integrations/${r.integrationId}/hook-token`);
  if (res.status !== 201) {
    throw new Error(`hook token: ${res.text}`);
  }
  return res.json.channelUrl as string;
}

/** Creates Critical alerts one at a time at random gaps; returns each one's creation-to-delivery time. */
async function deliveryLatencies(
  r: Rig,
  samples: number,
  gapMs: [number, number],
  firstId: number,
): Promise<number[]> {
  const timings: number[] = [];
  const pending = new Map<string, number>();
  for (let i = 0; i < samples; i++) {
    const alertId = String(firstId + i);
    pending.set(alertId, Date.now());
    await r.lacework.createAlert({ alertId, severity: 'Critical', startTime: hourStart(0) });
    await sleep(gapMs[0] + Math.random() * (gapMs[1] - gapMs[0]));
  }
  await waitFor(
    () =>
      [...pending.keys()].every((id) =>
        r.downstream.received.some((q) => q.headers['x-lacework-alert-id'] === id),
      ),
    10 * 60_000,
    'every alert delivered',
  );
  for (const [alertId, created] of pending) {
    const arrived = r.downstream.received.find(
      (q) => q.headers['x-lacework-alert-id'] === alertId && q.status === 200,
    );
    if (arrived !== undefined) {
      timings.push(arrived.at - created);
    }
  }
  return timings.sort((a, b) => a - b);
}

/** With hints: the service's real clock (5 s ticks), poll interval 5 minutes, hints coalesced per 5 s. */
async function withHints(samples: number): Promise<number[]> {
  const r = await rig(
    ADMIN_URL,
    'lc_bench_hints',
    { POLLING_ENABLED: 'true', SCHEDULER_TICK_MS: '5000', HINT_COALESCE_SECONDS: '5' },
    { latencyMs: LATENCY_MS },
    { pollIntervalSeconds: POLL_SECONDS, requestsPerHour: 100_000 },
  );
  try {
    await firstRunDone(r);
    r.lacework.sendHintsTo({ url: await hookUrl(r) });
    return await deliveryLatencies(r, samples, [6_000, 9_000], 7_000_000);
  } finally {
    await r.close();
  }
}

/** Without hints, time scaled by 10: poll interval 30 s and 500 ms ticks stand for 5 minutes and 5 s. */
async function withoutHints(samples: number): Promise<number[]> {
  const r = await rig(
    ADMIN_URL,
    'lc_bench_nohints',
    { POLLING_ENABLED: 'true', SCHEDULER_TICK_MS: '500' },
    { latencyMs: LATENCY_MS },
    { pollIntervalSeconds: POLL_SECONDS, requestsPerHour: 100_000 },
  );
  try {
    await firstRunDone(r);
    await r.db.query(
      `UPDATE integrations SET poll_interval_seconds = $2::int, next_poll_at = now() + $2::int * interval '1 second' WHERE id = $1`,
      [r.integrationId, POLL_SECONDS / 10],
    );
    return await deliveryLatencies(r, samples, [2_000, 9_000], 8_000_000);
  } finally {
    await r.close();
  }
}

/**
 * Lacework requests in one (scaled) hour while `hintsPerMinute` hints arrive, time scaled by `scale`: the poll
 * interval (5 min), the coalescing interval (60 s) and the change re-list (60 min) all shrink by it.
 */
async function callsPerHour(hintsPerMinute: number, scale: number): Promise<number> {
  const r = await rig(
    ADMIN_URL,
    `lc_bench_hintcost_${hintsPerMinute}`,
    {
      POLLING_ENABLED: 'true',
      SCHEDULER_TICK_MS: '50',
      HINT_COALESCE_SECONDS: String(60 / scale),
      CHANGE_RELIST_MINUTES: String(60 / scale),
      AUTH_FAILURES_PER_MINUTE: '1000000',
    },
    { latencyMs: LATENCY_MS },
    { pollIntervalSeconds: POLL_SECONDS, requestsPerHour: 100_000 },
  );
  try {
    await firstRunDone(r);
    await r.db.query(
      `UPDATE integrations SET poll_interval_seconds = $2::int, next_poll_at = now() WHERE id = $1`,
      [r.integrationId, POLL_SECONDS / scale],
    );
    const url = hintsPerMinute > 0 ? await hookUrl(r) : null;
    const hourMs = 3_600_000 / scale;
    const started = Date.now();
    const before = r.lacework.count('list') + r.lacework.count('token') + r.lacework.count('scope');
    let hints = 0;
    const hintGapMs = hintsPerMinute > 0 ? 60_000 / scale / hintsPerMinute : Infinity;
    let nextHint = started;
    const sends: Promise<unknown>[] = [];
    while (Date.now() - started < hourMs) {
      const now = Date.now();
      if (url !== null && now >= nextHint) {
        hints += 1;
        nextHint += hintGapMs;
        sends.push(
          fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ event_id: String(9_000_000 + hints), event_severity: '1' }),
          }).catch(() => undefined),
        );
      }
      await sleep(Math.min(20, Math.max(1, nextHint - Date.now())));
    }
    await Promise.all(sends);
    const after = r.lacework.count('list') + r.lacework.count('token') + r.lacework.count('scope');
    log(`  ${hintsPerMinute}/min: ${hints} hints, ${after - before} Lacework calls`);
    return after - before;
  } finally {
    await r.close();
  }
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  log('delivery latency with hints (poll every 5 min, 5 s ticks) ...');
  const hinted = await withHints(quick ? 6 : 15);
  log(`  p50 ${seconds(percentile(hinted, 50))} s, p99 ${seconds(percentile(hinted, 99))} s`);
  log('delivery latency without hints (time scaled by 10) ...');
  const polled = await withoutHints(quick ? 5 : 10);
  log(
    `  p50 ${seconds(percentile(polled, 50) * 10)} s, p99 ${seconds(percentile(polled, 99) * 10)} s (scaled back)`,
  );
  const scale = 100;
  log(`Lacework calls per hour (time scaled by ${scale}) ...`);
  const baseline = await callsPerHour(0, scale);
  const costs: [number, number][] = [];
  for (const rate of [1, 10, 100]) {
    costs.push([rate, await callsPerHour(rate, scale)]);
  }
  const latencyTable = [
    '| trigger | samples | p50 | p99 | max | goal |',
    '| --- | --: | --: | --: | --: | --- |',
    `| hint (webhook) + poll every 5 min | ${hinted.length} | ${seconds(percentile(hinted, 50))} s | ${seconds(percentile(hinted, 99))} s | ${seconds(hinted[hinted.length - 1])} s | p50 < 5 s, p99 < 15 s |`,
    `| poll every 5 min only (measured at 30 s, x 10) | ${polled.length} | ${seconds(percentile(polled, 50) * 10)} s | ${seconds(percentile(polled, 99) * 10)} s | ${seconds(polled[polled.length - 1] * 10)} s | about half the interval (150 s) |`,
  ].join('\n');
  const costTable = [
    '| hints a minute | Lacework calls per hour | extra calls per hour | bound (one hinted poll per 60 s) |',
    '| --: | --: | --: | --: |',
    `| 0 | ${baseline} | 0 | |`,
    ...costs.map(([rate, calls]) => `| ${rate} | ${calls} | ${calls - baseline} | 60 |`),
  ].join('\n');
  const section = [
    '## Webhook hints (`npm run bench:hints`)',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on this 2-core machine: the service spawned from \`dist/\` on PostgreSQL, the fake Lacework answering every call in ${LATENCY_MS} ms and pushing a hint to the service's hook when it creates a Critical alert, the fake downstream on 127.0.0.1.`,
    '',
    `Creation of a Critical alert in Lacework -> its 2xx downstream. With hints: the real clock (\`SCHEDULER_TICK_MS\` 5000), poll interval 5 minutes, \`HINT_COALESCE_SECONDS\` 5 so that alerts 6-9 s apart each get their own hinted poll. Without hints the same pipeline with time scaled by 10 (poll every 30 s, 500 ms ticks), alerts at random times, figures multiplied back by 10.`,
    '',
    latencyTable,
    '',
    `Extra Lacework calls that hints cost, per hour (time scaled by ${scale}: one hour in ${3600 / scale} s, poll interval 5 minutes, \`HINT_COALESCE_SECONDS\` 60 and \`CHANGE_RELIST_MINUTES\` 60 scaled alike; each hint names a different alert). A hinted poll also restarts the poll interval, so some hinted polls replace scheduled ones.`,
    '',
    costTable,
  ].join('\n');
  log(`\n${section}\n`);
  await writeReportSection(REPORT, '<!-- hints:start -->', '<!-- hints:end -->', section);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
