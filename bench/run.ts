import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { writeReportSection } from './bench-support';
import { budgetScenarios } from './budget-bench';
import { destinationRates, destinationsTable } from './destinations-bench';
import { boundedMemory } from './memory-bench';
import { postgresAnswers } from '../test/setup/global-setup';
import {
  budgetUse,
  deliveryRate,
  EMBEDDED_DATABASE,
  endToEndLatency,
  naiveBaseline,
  stopEmbeddedDatabases,
  throughput,
} from './pipeline-bench';

const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const START = '<!-- pipeline:start -->';
const END = '<!-- pipeline:end -->';
const BUDGET_START = '<!-- budget-limiters:start -->';
const BUDGET_END = '<!-- budget-limiters:end -->';
const DESTINATIONS_START = '<!-- destinations:start -->';
const DESTINATIONS_END = '<!-- destinations:end -->';

/** Replaces the section between `start` and `end` in BENCHMARKS.md, or appends it. */
function writeSection(start: string, end: string, body: string): void {
  const section = `${start}\n${body}\n${end}`;
  const file = join(process.cwd(), 'BENCHMARKS.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const next = current.includes(start)
    ? current.replace(new RegExp(`${start}[\\s\\S]*${end}`), () => section)
    : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
}

/** The request budget under each limiter model, (a)-(e); `npm run bench -- --budget` runs only this. */
async function budgetSection(adminUrl: string, log: (line: string) => void): Promise<void> {
  log('request budget under each limiter (time scaled) ...');
  const rows = await budgetScenarios(adminUrl, log);
  const table = [
    '| measure | value | bound | ratio |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.measure} | ${r.value} | ${r.bound} | ${r.ratio} |`),
  ].join('\n');
  log('\n' + table + '\n');
  writeSection(
    BUDGET_START,
    BUDGET_END,
    `## Request budget under each limiter (\`npm run bench\`)\n\nMeasured ${new Date().toISOString().slice(0, 10)} on this 2-core machine: one spawned service per scenario, production pacing defaults, time scaled so that R = 240 requests per 12 s window (480 per 48 s for (a) and (e), 600 per 30 s for (c)); the fake Lacework runs the limiter. The 429s of (c) are counted after one scaled minute following the first 429; the share of R in (a) from a scaled five minutes after the first scope call to the last request.\n\n${table}`,
  );
}

/** Deliveries per second of each destination kind, batching off and on; `npm run bench -- --destinations` runs only this. */
async function destinationsSection(
  adminUrl: string,
  quick: boolean,
  log: (line: string) => void,
): Promise<void> {
  const n = quick ? 1000 : 2000;
  const capMs = quick ? 5_000 : 8_000;
  log(`deliveries per second of each destination kind (backlog of ${n}, at most ${capMs / 1000} s each) ...`);
  const load = loadavg()[0];
  const result = await destinationRates(adminUrl, n, capMs, log);
  const table = destinationsTable(result);
  log('\n' + table + '\n');
  const skipped = result.skipped.length > 0 ? `\n\nNot measured: ${result.skipped.join('; ')}.` : '';
  await writeReportSection(
    join(process.cwd(), 'BENCHMARKS.md'),
    DESTINATIONS_START,
    DESTINATIONS_END,
    `## Destination kinds (\`npm run bench -- --destinations\`)

Measured ${new Date().toISOString().slice(0, 10)} on this 2-core machine (load average ${load.toFixed(1)} at the start: other work shared it), through the delivery worker of the service spawned from \`dist/\` and PostgreSQL, each kind against its fake on 127.0.0.1 (syslog against a real rsyslogd over TLS). ${result.deliveries} alert versions assembled once by the pipeline from the fake Lacework (documents of ${result.meanDocumentBytes} bytes on average, \`document\` format) are queued at once as pending deliveries to a new destination; the rate is deliveries / (last \`delivered_at\` - queue time), over the whole backlog, or over the first ${result.capMs / 1000} s where draining it takes longer (the rest of the backlog then still pending). Default delivery concurrency (8 requests, 4 per destination). Requests: what the fake received. The webhook is measured first and again last, as load drifts; ratios are to the faster of the two. It is measured once more behind a backlog (the versions queued many times over, all due at once, as after a receiver's outage), where each claim has to find the most severe due deliveries among all of them. Goal: batching kinds at least 5x the webhook's rate.

${table}${skipped}`,
  );
}

function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

/** `npm run bench`: the pipeline against the fake Lacework and fake downstream, each result as a ratio to its bound. */
async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const log = (line: string) => process.stdout.write(line + '\n');
  const onPostgres = await postgresAnswers(BENCH_DATABASE_URL);
  const ADMIN_URL = onPostgres ? BENCH_DATABASE_URL : EMBEDDED_DATABASE;
  if (process.argv.includes('--budget')) {
    await budgetSection(ADMIN_URL, log);
    await stopEmbeddedDatabases();
    return;
  }
  if (process.argv.includes('--destinations')) {
    await destinationsSection(ADMIN_URL, quick, log);
    await stopEmbeddedDatabases();
    return;
  }
  const windowMs = 60_000;
  const perWindow = 480;
  const rows: string[][] = [];
  const databaseName = onPostgres ? 'PostgreSQL' : 'the embedded database (PGlite; no PostgreSQL answered)';
  if (!onPostgres) {
    log(
      `No PostgreSQL answers at ${BENCH_DATABASE_URL}: measuring on the embedded database instead (slower).`,
    );
  }

  log('budget use (R = 480 per 60 s window, i.e. 28,800/h, backlog of 3,000 alerts) ...');
  const budget = await budgetUse(ADMIN_URL, perWindow, windowMs, quick ? 150_000 : 240_000, 10_000);
  const criticalBound = 10 + 6 * 0.05;
  rows.push([
    'Budget: share of R used (whole windows after the first)',
    `${fmt(budget.share * 100)} %`,
    '>= 95 %',
    fmt(budget.share / 0.95, 2),
  ]);
  rows.push([
    'Budget: most requests in any rolling 60 s window',
    String(budget.busiestWindow),
    `<= R = ${perWindow}`,
    fmt(budget.busiestWindow / perWindow, 3),
  ]);
  rows.push([
    'Budget: 429 responses received',
    String(budget.rateLimited),
    '0',
    budget.rateLimited === 0 ? 'ok' : 'over',
  ]);
  rows.push([
    'Budget: calls per assembled alert',
    fmt(budget.callsPerAlert, 2),
    `floor ${fmt(budget.floor, 2)} (6 + pages/alerts + tokens/alerts)`,
    fmt(budget.callsPerAlert / budget.floor, 3),
  ]);
  rows.push([
    'Budget: Critical alerts arriving during the backlog, seconds to the downstream',
    budget.criticalSeconds.map((s) => fmt(s)).join(', '),
    `poll interval 10 s + own calls (~${fmt(criticalBound)} s), plus waiting for budget slots`,
    fmt(Math.max(...budget.criticalSeconds) / criticalBound, 2),
  ]);

  const concurrency = 16;
  log(`latency-bound throughput (fake answers in 50 ms, concurrency ${concurrency}) ...`);
  const latencyBound = await throughput(ADMIN_URL, quick ? 600 : 1500, 50, concurrency);
  const bound = concurrency / (6 * 0.05);
  rows.push([
    `Latency-bound: alerts/s end to end (C = ${concurrency}, 50 ms answers)`,
    fmt(latencyBound.alertsPerSecond),
    `C / (6 x 50 ms) = ${fmt(bound)}/s (goal >= 90 %)`,
    fmt(latencyBound.alertsPerSecond / bound, 2),
  ]);

  log('CPU-bound throughput (fake answers at once, 10,000 alerts) ...');
  const cpu = await throughput(ADMIN_URL, quick ? 3000 : 10_000, 0, 32);
  rows.push([
    'CPU-bound: alerts/s end to end (fake and downstream included)',
    fmt(cpu.alertsPerSecond),
    '>= 300/s',
    fmt(cpu.alertsPerSecond / 300, 2),
  ]);
  rows.push([
    'CPU-bound: peak RSS of the service',
    `${fmt(cpu.peakRssMb, 0)} MB`,
    '< 300 MB',
    fmt(cpu.peakRssMb / 300, 2),
  ]);

  log('naive baseline (sequential: list, then six calls and one insert per alert) ...');
  const naive50 = await naiveBaseline(ADMIN_URL, quick ? 100 : 200, 50);
  const naive0 = await naiveBaseline(ADMIN_URL, quick ? 1000 : 3000, 0);
  rows.push([
    'Naive baseline, 50 ms answers: alerts/s',
    fmt(naive50.alertsPerSecond),
    `this design: ${fmt(latencyBound.alertsPerSecond)}/s`,
    `x${fmt(latencyBound.alertsPerSecond / naive50.alertsPerSecond)}`,
  ]);
  rows.push([
    'Naive baseline, instant answers: alerts/s',
    fmt(naive0.alertsPerSecond),
    `this design: ${fmt(cpu.alertsPerSecond)}/s`,
    `x${fmt(cpu.alertsPerSecond / naive0.alertsPerSecond)}`,
  ]);

  log('delivery rate and end-to-end latency ...');
  const rate = await deliveryRate(ADMIN_URL, quick ? 1000 : 3000);
  rows.push([
    'Delivery: deliveries/s the worker sustains (32 in flight, fake downstream)',
    fmt(rate.perSecond),
    'n/a (CPU of this machine)',
    '',
  ]);
  const e2e = await endToEndLatency(ADMIN_URL, quick ? 5 : 10);
  rows.push([
    'End to end: alert visible in Lacework -> 2xx at the downstream (sync every 1 s)',
    `median ${fmt(e2e.medianMs, 0)} ms, max ${fmt(e2e.maxMs, 0)} ms`,
    'one poll (1 s) + 6 scope calls + 1 delivery',
    fmt(e2e.medianMs / 1000, 2),
  ]);

  log('bounded memory (50 integrations, two 128 KiB scope answers per alert) ...');
  const memory = await boundedMemory(ADMIN_URL, quick);
  rows.push([
    `Memory: peak RSS, ${memory.capped.integrations} integrations, ${fmt(memory.capped.answerMb, 0)} MB of answers, caps 8 alerts / 16 MiB`,
    `${fmt(memory.capped.peakRssMb, 0)} MB (${fmt(memory.capped.seconds)} s)`,
    `caps lifted (200 alerts in flight): ${fmt(memory.uncapped.peakRssMb, 0)} MB (${fmt(memory.uncapped.seconds)} s)`,
    fmt(memory.capped.peakRssMb / memory.uncapped.peakRssMb, 2),
  ]);

  const table = [
    '| measure | value | bound | ratio |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
  log('\n' + table + '\n');
  writeSection(
    START,
    END,
    `## Pipeline (\`npm run bench\`)\n\nMeasured ${new Date().toISOString().slice(0, 10)} on this 2-core machine against the fake Lacework and the fake downstream on 127.0.0.1, the service spawned from \`dist/\` on ${databaseName}.\n\n${table}`,
  );
  await budgetSection(ADMIN_URL, log);
  await destinationsSection(ADMIN_URL, quick, log);
  await stopEmbeddedDatabases();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
