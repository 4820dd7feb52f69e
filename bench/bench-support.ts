import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { format, resolveConfig } from 'prettier';

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
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

/** Waits for `/health` to answer 200, failing early when the service exits. */
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

/** Replaces one benchmark's part of the report (between its markers), leaving the other parts alone. */
export async function writeReportSection(
  report: string,
  start: string,
  end: string,
  section: string,
): Promise<void> {
  const current = existsSync(report) ? readFileSync(report, 'utf8') : '# Benchmarks\n';
  const block = `${start}\n${section.trimEnd()}\n${end}`;
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next =
    from !== -1 && to > from
      ? current.slice(0, from) + block + current.slice(to + end.length)
      : `${current.trimEnd()}\n\n${block}\n`;
  // Formatted like every other file of the repository, so `npm run format:check` stays clean.
  const options = (await resolveConfig(report)) ?? {};
  writeFileSync(report, await format(next, { ...options, filepath: report }));
}

/** The built service, started for a benchmark on `databaseUrl` with fresh tokens and the scheduler off. */
export interface BenchService {
  baseUrl: string;
  viewerToken: string;
  stop(): Promise<void>;
}

export async function startBuiltService(
  root: string,
  databaseUrl: string,
  logLevel: string,
): Promise<BenchService> {
  const main = join(root, 'dist', 'src', 'main.js');
  if (!existsSync(main)) {
    throw new Error(`${main} not found: run npm run build first`);
  }
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const viewerToken = randomBytes(24).toString('base64url');
  let stderr = '';
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: databaseUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      ADMIN_API_TOKEN: randomBytes(36).toString('base64url'),
      VIEWER_API_TOKEN: viewerToken,
      SECRETS_KEY: randomBytes(32).toString('base64'),
      SCHEDULER_ENABLED: 'false',
      LOG_LEVEL: logLevel,
    },
    // Request logs go to /dev/null: they are written, as in production, but not kept.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  };
  try {
    await waitForHealth(baseUrl, child, () => stderr);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, viewerToken, stop };
}
