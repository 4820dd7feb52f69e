import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { writeReportSection } from './report-section';

/**
 * `npm run bench:api`: starts the built service on the database `npm run seed:scale` filled, measures the read API
 * under 20 concurrent connections with autocannon, prints p50/p99/throughput per endpoint and writes them to
 * BENCHMARKS.md (section "API at scale").
 */

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');
const REPORT = join(ROOT, 'BENCHMARKS.md');
const SECTION = '## API at scale';
const TARGET_P99_MS = 50;
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/lc_bench';
const CONNECTIONS = positiveInt('BENCH_CONNECTIONS', 20);
const DURATION_S = positiveInt('BENCH_DURATION_S', 10);
const WARMUP_S = positiveInt('BENCH_WARMUP_S', 2);
const CURSOR_PAGES = positiveInt('BENCH_CURSOR_PAGES', 200);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';

interface Endpoint {
  name: string;
  path: string;
}

interface Measured {
  name: string;
  p50: number;
  p99: number;
  rps: number;
  requests: number;
  errors: number;
}

function positiveInt(name: string, fallback: number): number {
  const value = process.env[name] === undefined ? fallback : Number(process.env[name]);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name}: must be a positive integer`);
  }
  return value;
}

function log(message: string): void {
  process.stdout.write(`[bench] ${message}\n`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(baseUrl: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`the service exited with ${child.exitCode}:\n${stderr()}`);
    }
    try {
      if ((await fetch(`${baseUrl}/health`)).status === 200) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the service did not become healthy within 60 s:\n${stderr()}`);
}

async function getJson<T>(url: string, token: string): Promise<T> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) {
    throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  }
  const body: T = (await res.json()) as T;
  return body;
}

/** Follows `nextCursor` through `pages` pages of the alert list and returns the cursor of the page after them. */
async function deepCursor(baseUrl: string, token: string, pages: number): Promise<string> {
  let cursor: string | null = null;
  for (let page = 0; page < pages; page += 1) {
    const query: string = cursor === null ? '' : `?cursor=${encodeURIComponent(cursor)}`;
    const body = await getJson<{ nextCursor: string | null }>(`${baseUrl}/api/v1/alerts${query}`, token);
    if (body.nextCursor === null) {
      throw new Error(`the alert list ended after ${page + 1} pages; seed more alerts`);
    }
    cursor = body.nextCursor;
  }
  if (cursor === null) {
    throw new Error('no cursor');
  }
  return cursor;
}

async function measure(baseUrl: string, token: string, endpoint: Endpoint): Promise<Measured> {
  const options = {
    url: `${baseUrl}${endpoint.path}`,
    connections: CONNECTIONS,
    headers: { authorization: `Bearer ${token}` },
  };
  await autocannon({ ...options, duration: WARMUP_S });
  const result = await autocannon({ ...options, duration: DURATION_S });
  return {
    name: endpoint.name,
    p50: result.latency.p50,
    p99: result.latency.p99,
    rps: result.requests.average,
    requests: result.requests.total,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

async function datasetSummary(): Promise<string> {
  const client = new Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    const parts: string[] = [];
    for (const table of [
      'integrations',
      'alerts',
      'alert_versions',
      'sync_runs',
      'deliveries',
      'lacework_calls',
    ]) {
      const [row] = (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows;
      parts.push(`${row.n.toLocaleString('en-US')} ${table}`);
    }
    const [version] = (await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`))
      .rows;
    return `${parts.join(', ')} (PostgreSQL ${version.v})`;
  } finally {
    await client.end();
  }
}

/** Median latency of `runs` sequential requests, after one unmeasured request. */
async function single(
  baseUrl: string,
  token: string,
  path: string,
  headers: Record<string, string> = {},
  runs = 5,
): Promise<number> {
  const once = async (): Promise<number> => {
    const started = process.hrtime.bigint();
    const res = await fetch(`${baseUrl}${path}`, {
      headers: { ...headers, authorization: `Bearer ${token}` },
    });
    await res.arrayBuffer();
    if (res.status !== 200) {
      throw new Error(`GET ${path}: ${res.status}`);
    }
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  await once();
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    times.push(await once());
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

function table(results: Measured[]): string {
  const header = `| endpoint | p50 (ms) | p99 (ms) | req/s | p99 / ${TARGET_P99_MS} ms |`;
  const rows = results.map(
    (r) =>
      `| \`${r.name}\` | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${Math.round(r.rps)} | ` +
      `${(r.p99 / TARGET_P99_MS).toFixed(2)} |`,
  );
  return [header, '|---|---:|---:|---:|---:|', ...rows].join('\n');
}

/** Replaces this benchmark's part of BENCHMARKS.md (between its markers), leaving the other parts alone. */
function writeReport(section: string): Promise<void> {
  return writeReportSection(REPORT, 'api-at-scale', section);
}

async function main(): Promise<void> {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} not found: run npm run build first`);
  }
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const viewerToken = randomBytes(24).toString('base64url');
  let stderr = '';
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL,
      HOST: '127.0.0.1',
      PORT: String(port),
      ADMIN_API_TOKEN: randomBytes(36).toString('base64url'),
      VIEWER_API_TOKEN: viewerToken,
      SECRETS_KEY: randomBytes(32).toString('base64'),
      SCHEDULER_ENABLED: 'false',
      LOG_LEVEL,
    },
    // Request logs go to /dev/null: they are written, as in production, but not kept.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await waitForHealth(baseUrl, child, () => stderr);
    log(`service up on ${baseUrl} (LOG_LEVEL=${LOG_LEVEL})`);
    const dataset = await datasetSummary();
    log(`dataset: ${dataset}`);
    const integrations = await getJson<{ items: { id: string }[] }>(
      `${baseUrl}/api/v1/integrations?limit=1`,
      viewerToken,
    );
    const integrationId = integrations.items[0]?.id;
    if (integrationId === undefined) {
      throw new Error('no integration in the database: run npm run seed:scale first');
    }
    const cursor = await deepCursor(baseUrl, viewerToken, CURSOR_PAGES);
    log(`walked ${CURSOR_PAGES} pages of alerts for a deep cursor`);
    const endpoints: Endpoint[] = [
      { name: 'GET /api/v1/status', path: '/api/v1/status' },
      {
        name: 'GET /api/v1/alerts?severity=Critical&integrationId=…',
        path: `/api/v1/alerts?severity=Critical&integrationId=${integrationId}`,
      },
      {
        name: `GET /api/v1/alerts?cursor=<page ${CURSOR_PAGES + 1}>`,
        path: `/api/v1/alerts?cursor=${encodeURIComponent(cursor)}`,
      },
      {
        name: 'GET /api/v1/integrations/:id/sync-runs',
        path: `/api/v1/integrations/${integrationId}/sync-runs`,
      },
    ];
    const results: Measured[] = [];
    for (const endpoint of endpoints) {
      const measured = await measure(baseUrl, viewerToken, endpoint);
      if (measured.errors > 0) {
        throw new Error(`${endpoint.name}: ${measured.errors} failed requests`);
      }
      log(
        `${endpoint.name}: p50 ${measured.p50} ms, p99 ${measured.p99} ms, ${Math.round(measured.rps)} req/s`,
      );
      results.push(measured);
    }
    const singles: [string, string, Record<string, string>?][] = [
      [
        'GET /api/v1/status with Cache-Control: no-cache (read afresh)',
        '/api/v1/status',
        { 'cache-control': 'no-cache' },
      ],
      ['GET /api/v1/integrations/:id/status', `/api/v1/integrations/${integrationId}/status`],
      [
        'GET /api/v1/stats/timeseries?metric=api_calls&bucket=1d (30 days, all integrations)',
        '/api/v1/stats/timeseries?metric=api_calls&bucket=1d',
      ],
      [
        'GET /api/v1/stats/timeseries?metric=alerts_delivered&bucket=1d',
        '/api/v1/stats/timeseries?metric=alerts_delivered&bucket=1d',
      ],
      [
        'GET /api/v1/stats/timeseries?metric=alerts_synced&bucket=1h&integrationId=…',
        `/api/v1/stats/timeseries?metric=alerts_synced&bucket=1h&integrationId=${integrationId}`,
      ],
      ['GET /metrics', '/metrics'],
    ];
    const singleRows: string[] = [];
    for (const [name, path, headers] of singles) {
      const ms = await single(baseUrl, viewerToken, path, headers);
      log(`${name}: ${ms.toFixed(1)} ms`);
      singleRows.push(`| \`${name}\` | ${ms.toFixed(1)} |`);
    }
    const rendered = table(results);
    const singleTable = ['| endpoint | median (ms) |', '|---|---:|', ...singleRows].join('\n');
    process.stdout.write(`\n${rendered}\n\n${singleTable}\n\n`);
    const cpu = cpus();
    await writeReport(
      [
        SECTION,
        '',
        `Measured by \`npm run bench:api\` on ${new Date().toISOString().slice(0, 10)}: the built service ` +
          `(LOG_LEVEL=${LOG_LEVEL}, scheduler off) against PostgreSQL on the same machine, ${CONNECTIONS} concurrent ` +
          `connections for ${DURATION_S} s per endpoint after a ${WARMUP_S} s warm-up, viewer token. ` +
          `Target: p99 under ${TARGET_P99_MS} ms.`,
        '',
        `- Machine: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ` +
          `${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node.js ${process.version}; autocannon runs on the same cores.`,
        `- Data (\`npm run seed:scale\`): ${dataset}.`,
        '',
        rendered,
        '',
        `With ${CONNECTIONS} connections kept busy, latency is about ${CONNECTIONS} / throughput: an endpoint meets the ` +
          `target once the service answers about ${Math.round((CONNECTIONS * 1000) / TARGET_P99_MS)} requests per second ` +
          'with room for the tail. `GET /api/v1/status` is served from a copy at most about a second old (README, ' +
          '"Dashboard and health rules"); the table below shows what reading it afresh costs.',
        '',
        'One request at a time (median of 5), for the routes not under load above:',
        '',
        singleTable,
        '',
      ].join('\n'),
    );
    log(`results written to ${REPORT}`);
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
